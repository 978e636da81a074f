package netc.ast;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ast.Ast.BlockDecl;
import netc.ast.Ast.Import;
import netc.ast.Ast.ParamDecl;
import netc.ast.Ast.Spec;

/**
 * Reads a spec and, transitively, the files it imports, into one {@link Program}. Imports resolve
 * relative to the importing file; an imported file may define blocks and parameters only.
 */
public final class SpecLoader {
  /** Spec files are small text; a larger file is a mistake (a weights file passed as a spec). */
  private static final long MAX_SPEC_BYTES = 4 << 20;

  /** The main spec with everything it imports, blocks and parameters in definition order. */
  public record Program(Spec main, Map<String, BlockDecl> blocks, List<ParamDecl> params) {}

  private final Map<Path, Spec> loaded = new LinkedHashMap<>();
  private final Deque<Path> importing = new ArrayDeque<>();
  private final Map<String, BlockDecl> blocks = new LinkedHashMap<>();
  private final List<ParamDecl> params = new ArrayList<>();

  public static Program load(Path path) {
    return new SpecLoader().loadProgram(path);
  }

  /** Loads a program from text, for tests and tools; imports resolve against the working directory. */
  public static Program fromText(String displayName, String text) {
    SpecLoader loader = new SpecLoader();
    Spec main = SpecParser.parse(new SourceFile(Path.of(displayName), displayName, text));
    loader.collect(main, Path.of("").toAbsolutePath(), displayName);
    return new Program(main, loader.blocks, loader.params);
  }

  private Program loadProgram(Path path) {
    Spec main = loadFile(path.toAbsolutePath().normalize(), path.toString(), null);
    return new Program(main, blocks, params);
  }

  private Spec loadFile(Path abs, String displayName, Span importedAt) {
    if (importing.contains(abs)) {
      throw new NetcException(importedAt, "import cycle: " + cycle(abs));
    }
    Spec known = loaded.get(abs);
    if (known != null) return known; // diamond imports are fine; definitions are merged once
    SourceFile file = new SourceFile(abs, displayName, read(abs, displayName, importedAt));
    Spec spec = SpecParser.parse(file);
    loaded.put(abs, spec);
    importing.push(abs);
    collect(spec, abs.getParent(), displayName);
    importing.pop();
    if (importedAt != null) {
      if (spec.input() != null) {
        throw new NetcException(spec.input().span(), "an imported file may define blocks and params only, not the input");
      }
      if (!spec.body().isEmpty()) {
        throw new NetcException(spec.body().get(0).span(), "an imported file may define blocks and params only, not layers");
      }
    }
    return spec;
  }

  private void collect(Spec spec, Path dir, String displayName) {
    for (Import imp : spec.imports()) {
      Path target = dir.resolve(imp.path()).toAbsolutePath().normalize();
      // Name an import as the user would reach it: relative to where the importing file was named.
      Path shownDir = Path.of(displayName).getParent();
      String display = (shownDir == null ? Path.of(imp.path()) : shownDir.resolve(imp.path())).normalize().toString();
      loadFile(target, display, imp.span());
    }
    for (BlockDecl block : spec.blocks()) {
      BlockDecl previous = blocks.putIfAbsent(block.name(), block);
      if (previous != null && previous != block) {
        throw new NetcException(block.span(), "block '" + block.name() + "' is already defined at " + previous.span().location());
      }
    }
    for (ParamDecl param : spec.params()) {
      for (ParamDecl p : params) {
        if (p.name().equals(param.name())) {
          throw new NetcException(param.span(), "param '" + param.name() + "' is already defined at " + p.span().location());
        }
      }
      params.add(param);
    }
  }

  private String cycle(Path abs) {
    List<String> names = new ArrayList<>();
    for (Path p : importing) names.add(0, p.getFileName().toString());
    int start = names.indexOf(abs.getFileName().toString());
    List<String> loop = new ArrayList<>(names.subList(Math.max(0, start), names.size()));
    loop.add(abs.getFileName().toString());
    return String.join(" -> ", loop);
  }

  private static String read(Path abs, String displayName, Span importedAt) {
    try {
      if (!Files.isRegularFile(abs)) {
        String what = importedAt == null ? "spec " + displayName : "import " + Path.of(displayName).getFileName();
        throw new NetcException(importedAt, "cannot read " + what + ": no such file");
      }
      if (Files.size(abs) > MAX_SPEC_BYTES) {
        throw new NetcException(importedAt, displayName + ": not a spec file (larger than 4 MiB)");
      }
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(abs))).toString();
    } catch (CharacterCodingException e) {
      throw new NetcException(importedAt, displayName + ": not a spec file (not UTF-8 text)");
    } catch (IOException e) {
      throw new NetcException(importedAt, "cannot read " + displayName + ": " + e.getMessage());
    }
  }
}
