package netc.ast;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ast.Ast.BlockDecl;
import netc.ast.Ast.Import;
import netc.ast.Ast.ParamDecl;
import netc.ast.Ast.Spec;
import netc.runtime.io.FileOutput;

/**
 * Reads a spec and, transitively, the files it imports, into one {@link Program}. An import names a
 * file relative to the importing file, or else relative to a directory of the import path. Imports
 * are confined: a service that compiles its users' specs must not let {@code import "/etc/passwd"}
 * read (and print in an error excerpt) files outside the spec's folder and the import path, so
 * absolute paths are refused, and so is any path that leaves those folders, by {@code ..} or by a
 * symbolic link. An imported file may define blocks and parameters only.
 */
public final class SpecLoader {
  /** Spec files are small text; a larger file is a mistake (a weights file passed as a spec). */
  private static final long MAX_SPEC_BYTES = 4 << 20;

  /**
   * The spec and all its imports together: each file is held to 4 MiB, but a spec may import any
   * number of them, each kept as text and parsed with several hundred MB of heap for the largest.
   */
  private static final long MAX_TOTAL_BYTES = 64 << 20;

  /**
   * The main spec with everything it imports, blocks and parameters in definition order, and the
   * files read for it (the spec and its imports, by real path; none for a program from text), which a
   * command must not write over.
   */
  public record Program(Spec main, Map<String, BlockDecl> blocks, List<ParamDecl> params, List<Path> files) {
    public Program {
      files = List.copyOf(files);
    }
  }

  /** The folders imports may read from: as written (normalized) and with links resolved. */
  private record Root(Path lexical, Path real) {}

  private final List<Root> roots = new ArrayList<>();
  private final List<Path> importPath;
  /** Files by their real path, so two spellings of one file (a link) are one file. */
  private final Map<Path, Spec> loaded = new LinkedHashMap<>();
  private final Deque<Path> importing = new ArrayDeque<>();
  private final Map<String, BlockDecl> blocks = new LinkedHashMap<>();
  private final List<ParamDecl> params = new ArrayList<>();
  private final Map<String, ParamDecl> paramsByName = new HashMap<>();
  /** The bytes of the files read so far, held to {@link #MAX_TOTAL_BYTES}. */
  private long bytesRead;

  private SpecLoader(Path specFolder, List<Path> importPath) {
    this.importPath = new ArrayList<>();
    roots.add(root(specFolder, null));
    for (Path dir : importPath) {
      Root r = root(dir, "--import-path " + dir);
      roots.add(r);
      this.importPath.add(r.lexical());
    }
  }

  public static Program load(Path path) {
    return load(path, List.of());
  }

  /** Loads {@code path}; its imports may also come from the directories of {@code importPath}. */
  public static Program load(Path path, List<Path> importPath) {
    Path abs = path.toAbsolutePath().normalize();
    Path folder = abs.getParent() == null ? abs : abs.getParent();
    return new SpecLoader(folder, importPath).loadProgram(abs, path.toString());
  }

  /** Loads a program from text, for tests and tools; imports resolve in the working directory. */
  public static Program fromText(String displayName, String text) {
    SpecLoader loader = new SpecLoader(Path.of(""), List.of());
    Spec main = SpecParser.parse(new SourceFile(Path.of(displayName), displayName, text));
    loader.collect(main, Path.of("").toAbsolutePath(), displayName);
    return new Program(main, loader.blocks, loader.params, List.of());
  }

  private static Root root(Path dir, String what) {
    Path lexical = dir.toAbsolutePath().normalize();
    try {
      Path real = lexical.toRealPath();
      // a file given as --import-path was taken, and the imports then "not found" in it
      if (what != null && !Files.isDirectory(real)) throw new NetcException(what + ": not a directory");
      return new Root(lexical, real);
    } catch (IOException e) {
      if (what == null) return new Root(lexical, lexical); // the spec's own folder: reading the spec reports it
      throw new NetcException(what + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such directory" : FileOutput.reason(e)));
    }
  }

  private Program loadProgram(Path abs, String displayName) {
    Spec main = loadFile(abs, displayName, null);
    return new Program(main, blocks, params, List.copyOf(loaded.keySet()));
  }

  private Spec loadFile(Path abs, String displayName, Span importedAt) {
    Path key = realPath(abs);
    if (importing.contains(key)) {
      throw new NetcException(importedAt, "import cycle: " + cycle(key));
    }
    Spec known = loaded.get(key);
    if (known != null) return known; // diamond imports are fine; definitions are merged once
    long maxDepth = SpecLimit.IMPORT_DEPTH.get();
    if (importing.size() > maxDepth) {
      throw new NetcException(importedAt, "imports nested more than " + SpecLimit.IMPORT_DEPTH.shown() + " deep; " + SpecLimit.IMPORT_DEPTH.raise());
    }
    SourceFile file = new SourceFile(abs, displayName, read(abs, displayName, importedAt));
    Spec spec = SpecParser.parse(file);
    loaded.put(key, spec);
    importing.push(key);
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
      Path target = resolve(imp, dir);
      loadFile(target, displayName(imp, target, dir, displayName), imp.span());
    }
    for (BlockDecl block : spec.blocks()) {
      BlockDecl previous = blocks.putIfAbsent(block.name(), block);
      if (previous != null && previous != block) {
        throw new NetcException(block.span(), "block '" + block.name() + "' is already defined at " + previous.span().location());
      }
      ParamDecl param = paramsByName.get(block.name());
      if (param != null) throw sharedName(block.span(), "block", block.name(), "param", param.span());
    }
    long maxParams = SpecLimit.PARAMS.get();
    for (ParamDecl param : spec.params()) {
      ParamDecl previous = paramsByName.putIfAbsent(param.name(), param);
      if (previous != null) {
        throw new NetcException(param.span(), "param '" + param.name() + "' is already defined at " + previous.span().location());
      }
      BlockDecl block = blocks.get(param.name());
      if (block != null) throw sharedName(param.span(), "param", param.name(), "block", block.span());
      if (params.size() >= maxParams) {
        throw new NetcException(param.span(), "more than " + SpecLimit.PARAMS.shown() + " params; " + SpecLimit.PARAMS.raise());
      }
      params.add(param);
    }
  }

  /**
   * A param and a block of one name, refused at {@code at}, the one defined later: a call of that name used the param (a
   * block as its value, param basic = wide, made every basic(...) a wide(...), with no word; another value failed at the
   * call, inside the library).
   */
  private static NetcException sharedName(Span at, String what, String name, String other, Span otherAt) {
    String where = otherAt.file() == at.file() ? otherAt.line() + ":" + otherAt.column() : otherAt.location();
    return new NetcException(at, what + " '" + name + "' has the name of the " + other + " defined at " + where
        + ": a call of that name would use the param; give one of them another name");
  }

  // ---- where an import may come from ---------------------------------------------------------

  /**
   * The file {@code imp} names: next to the importing file, or else in a directory of the import
   * path. A candidate outside every allowed folder is never read, nor tested for existence.
   */
  private Path resolve(Import imp, Path dir) {
    Path written;
    try {
      written = Path.of(imp.path());
    } catch (InvalidPathException e) {
      throw new NetcException(imp.span(), "import \"" + imp.path() + "\" is not a valid path");
    }
    if (written.isAbsolute() || imp.path().startsWith("/") || imp.path().startsWith("\\")) {
      throw new NetcException(imp.span(), "import \"" + imp.path() + "\" is an absolute path; " + confinement());
    }
    List<Path> candidates = new ArrayList<>();
    candidates.add(dir.resolve(written).normalize());
    for (Path p : importPath) candidates.add(p.resolve(written).normalize());
    Path firstInside = null;
    for (Path c : candidates) {
      if (!insideLexically(c)) continue;
      if (firstInside == null) firstInside = c;
      if (Files.exists(c)) {
        if (!insideReally(c)) {
          throw new NetcException(imp.span(), "import \"" + imp.path() + "\" leads out of the allowed folders through a link; " + confinement());
        }
        return c;
      }
    }
    if (firstInside == null) {
      throw new NetcException(imp.span(), "import \"" + imp.path() + "\" leaves the spec's folder; " + confinement());
    }
    return firstInside; // reading it reports that it does not exist
  }

  /**
   * An import named as the user would reach it: relative to where the importing file was named, or
   * for one found on the import path, relative to the working directory when it is below it.
   */
  private static String displayName(Import imp, Path target, Path dir, String importerName) {
    if (target.equals(dir.resolve(imp.path()).normalize())) {
      Path shownDir = Path.of(importerName).getParent();
      return (shownDir == null ? Path.of(imp.path()) : shownDir.resolve(imp.path())).normalize().toString();
    }
    Path cwd = Path.of("").toAbsolutePath();
    return (target.startsWith(cwd) ? cwd.relativize(target) : target).toString();
  }

  private String confinement() {
    return "imports must stay inside the spec's folder" + (importPath.isEmpty() ? " (or a directory given with --import-path)" : " or the --import-path directories");
  }

  private boolean insideLexically(Path p) {
    for (Root r : roots) if (p.startsWith(r.lexical())) return true;
    return false;
  }

  private boolean insideReally(Path p) {
    Path real = realPath(p);
    for (Root r : roots) if (real.startsWith(r.real())) return true;
    return false;
  }

  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p; // a missing file: reading it reports that
    }
  }

  private String cycle(Path key) {
    List<String> names = new ArrayList<>();
    for (Path p : importing) names.add(0, p.getFileName().toString());
    int start = names.indexOf(key.getFileName().toString());
    List<String> loop = new ArrayList<>(names.subList(Math.max(0, start), names.size()));
    loop.add(key.getFileName().toString());
    return String.join(" -> ", loop);
  }

  private String read(Path abs, String displayName, Span importedAt) {
    String what = importedAt == null ? "spec " + displayName : "import " + Path.of(displayName).getFileName();
    try {
      String problem = netc.runtime.io.RegularFile.problem(abs);
      if (problem != null) throw new NetcException(importedAt, "cannot read " + what + ": " + problem);
      long size = Files.size(abs);
      if (size > MAX_SPEC_BYTES) {
        throw new NetcException(importedAt, displayName + ": not a spec file (larger than 4 MiB)");
      }
      if (bytesRead + size > MAX_TOTAL_BYTES) {
        throw new NetcException(importedAt, "import " + Path.of(displayName).getFileName() + ": the spec and its imports come to more than 64 MiB");
      }
      bytesRead += size;
      String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(abs))).toString();
      // a byte order mark, which some Windows editors write first, marks the encoding and is no part of the spec
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw new NetcException(importedAt, displayName + ": not a spec file (not UTF-8 text)");
    } catch (IOException e) {
      // the reason, where the message of an AccessDeniedException is the path alone
      throw new NetcException(importedAt, "cannot read " + what + ": " + FileOutput.reason(e)); // as a file that cannot be reached is said
    }
  }
}
