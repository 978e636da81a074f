package netc.maven;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import netc.ast.SpecLoader;
import netc.codegen.SpecCompiler;
import netc.runtime.BadInputException;

/** Which files of a project's spec folder are specs, the model each becomes, and the files a model depends on. */
final class SpecFiles {
  /** A spec to compile: its file, its base name (which names its weights) and the model's name. */
  record Spec(Path file, String baseName, String name) {}

  private SpecFiles() {}

  /**
   * The ONNX models directly in {@code source} that {@code specs} leave out: without {@code <includes>} only specs are
   * compiled (an import's M.net beside its M.onnx, -D params the models have none of), and such a model was skipped
   * without a word, then missing when loaded.
   */
  static List<Path> onnxLeftOut(Path source, List<Spec> specs) throws IOException {
    java.util.Set<Path> compiled = new HashSet<>();
    for (Spec spec : specs) compiled.add(spec.file().toAbsolutePath().normalize());
    try (Stream<Path> s = Files.list(source)) {
      return s.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") && Files.isRegularFile(p))
          .filter(p -> !compiled.contains(p.toAbsolutePath().normalize())).sorted().toList();
    }
  }

  /**
   * The specs of {@code source}, by file name: the {@code includes} when given, else every *.net
   * file directly in it that declares an input (the others hold blocks and params for import).
   */
  static List<Spec> find(Path source, List<String> includes, Map<String, String> names, List<Path> importPaths) throws IOException {
    List<Path> files = new ArrayList<>();
    if (includes != null && !includes.isEmpty()) {
      Set<Path> listed = new HashSet<>();
      for (String inc : includes) {
        List<Path> found;
        // a file of that very name (resnet[v2].net) is the file, not a pattern
        if (isPattern(inc) && !isFile(source, inc)) {
          // a pattern (Maven's way: **/*.net) lists the specs and ONNX models it matches, skipping files of blocks for
          // import as the folder's walk does (and labels, weights, anything else)
          found = new ArrayList<>();
          for (Path f : matching(source, inc)) {
            String file = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (file.endsWith(".onnx") || file.endsWith(".net") && declaresInput(f, importPaths)) found.add(f);
          }
          if (found.isEmpty()) throw new BadInputException("<includes><include>" + inc + "</include>: no spec in " + source + " matches it");
        } else {
          Path f;
          try {
            f = source.resolve(inc.replace('\\', '/')); // vision\resnet.net from a pom written on Windows: a separator, as in a pattern
          } catch (InvalidPathException e) { // Windows: a character no file name holds
            throw new BadInputException("<includes><include>" + inc + "</include>: not a file name (" + e.getReason() + ")");
          }
          if (!Files.isRegularFile(f)) throw new BadInputException(f + ": no such spec (listed in <includes>)");
          // a file of blocks for import, listed by name: said so, not compiled after a warning that it has no weights
          if (!f.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") && !declaresInput(f, importPaths)) {
            throw new BadInputException("<includes><include>" + inc + "</include>: " + f
                + " declares no input: it holds blocks and params for import, not a model");
          }
          found = List.of(f);
        }
        // a file listed twice (or as ./x.net, or by two patterns) is one spec, not two that "both make the model"
        for (Path f : found) if (listed.add(f.toAbsolutePath().normalize())) files.add(f);
      }
    } else {
      try (Stream<Path> s = Files.list(source)) {
        for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".net")).sorted().toList()) {
          // a link to a spec that is gone (or a pipe) was skipped without a word, the model missing at run time; a folder
          // named so is no spec, and skipped as before
          if (Files.isDirectory(f)) continue;
          if (!Files.isRegularFile(f)) throw new BadInputException(f + ": " + notASpec(f));
          if (declaresInput(f, importPaths)) files.add(f);
        }
      }
    }
    for (String base : names.keySet()) {
      if (files.stream().noneMatch(f -> baseName(f).equals(base))) {
        throw new BadInputException("<names><" + base + ">: no spec " + base + ".net (or ONNX model " + base + ".onnx) is compiled from " + source);
      }
    }
    List<Spec> out = new ArrayList<>();
    Map<String, Path> byName = new HashMap<>();
    for (Path f : files) {
      String base = baseName(f);
      String name = names.containsKey(base) ? configured(base, names.get(base)) : SpecCompiler.modelName(base);
      Path other = byName.putIfAbsent(name, f);
      if (other != null) {
        // <names> is keyed by the base name: it can rename one of two files only where their base names differ
        throw new BadInputException(other + " and " + f + " both make the model " + name + ": rename one"
            + (baseName(other).equals(base) ? " (<names> names a model by its file's base name, which they share)" : ", or give one another in <names>"));
      }
      out.add(new Spec(f, base, name));
    }
    return out;
  }

  /** Why {@code f}, named as a spec, is none: a link to nothing, or what {@link netc.runtime.io.RegularFile} says. */
  private static String notASpec(Path f) {
    if (Files.isSymbolicLink(f) && !Files.exists(f)) {
      try {
        return "a link to " + Files.readSymbolicLink(f) + ", which is not there";
      } catch (IOException e) {
        return "a link to a file that is not there";
      }
    }
    String problem = netc.runtime.io.RegularFile.problem(f);
    return problem == null ? "not a regular file" : problem;
  }

  /** Whether a spec declares an input: a model's spec, not a file of blocks and params for import. */
  private static boolean declaresInput(Path spec, List<Path> importPaths) {
    return SpecLoader.load(spec, importPaths).main().input() != null;
  }

  private static boolean isFile(Path source, String include) {
    try {
      return Files.isRegularFile(source.resolve(include));
    } catch (InvalidPathException e) { // Windows: * and ? are no file name's
      return false;
    }
  }

  /** Whether an {@code <include>} is a glob pattern rather than a file's path. */
  static boolean isPattern(String include) {
    return include.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  /**
   * The files under {@code source} (at any depth, sorted) whose path relative to it matches the glob
   * {@code pattern}, a leading {@code **}{@code /} also matching none of the folders, as in Maven's includes.
   */
  static List<Path> matching(Path source, String pattern) throws IOException {
    FileSystem fs = source.getFileSystem();
    pattern = pattern.replace('\\', '/'); // vision\*.net as Maven takes it: a separator (the glob's \ escapes), as / is on Windows too
    PathMatcher whole;
    PathMatcher rest;
    try {
      whole = fs.getPathMatcher("glob:" + pattern);
      rest = pattern.startsWith("**/") ? fs.getPathMatcher("glob:" + pattern.substring(3)) : whole;
    } catch (IllegalArgumentException e) { // PatternSyntaxException: an unclosed [ or {
      throw new BadInputException("<includes><include>" + pattern + "</include>: not a pattern (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    try (Stream<Path> walk = Files.walk(source)) {
      return walk.filter(Files::isRegularFile).filter(f -> {
        Path relative = source.relativize(f);
        return whole.matches(relative) || rest.matches(relative);
      }).sorted().toList();
    }
  }

  /**
   * A spec's or an ONNX model's file name without its extension: what {@code <names>} keys it by and its
   * model is named after (an ONNX model's name kept ".onnx", so {@code <names>} could not rename it).
   */
  static String baseName(Path file) {
    return file.getFileName().toString().replaceFirst("\\.net$|\\.[oO][nN][nN][xX]$", "");
  }

  private static String configured(String base, String name) {
    String problem = SpecCompiler.modelNameProblem(name);
    if (problem != null) throw new BadInputException("<names><" + base + ">" + name + "</" + base + ">: " + problem);
    return name;
  }

  /**
   * The files an ONNX model may read besides itself: its external data, which each tensor names by a
   * location relative to the model's folder, of any name and anywhere inside it (netc's OnnxReader refuses
   * one outside). Rather than parse the model for those names, every file of its folder counts but the
   * *.net specs, which an ONNX model never reads: new weights recompile it, an edited spec does not. The
   * folders in {@code leftOut} (the build's: a model in the project folder has target/ below it, where every
   * build writes its state and the compiled model, so it would never be up to date) are not walked.
   */
  static List<Path> onnxInputs(Path model, List<Path> leftOut) throws IOException {
    Path folder = model.toAbsolutePath().normalize().getParent();
    java.util.Set<Path> skip = new java.util.HashSet<>();
    for (Path p : leftOut) skip.add(realOrAbsolute(p));
    List<Path> out = new ArrayList<>();
    // where it leads, as netc confines the data: see netFiles
    Path start = folder.toRealPath();
    Files.walkFileTree(start, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path dir, java.nio.file.attribute.BasicFileAttributes a) {
        // below the model's folder only: a model kept in one of those folders still has its own files. Nor a version
        // control or IDE folder (.git, whose index `git status` rewrites) or another module (a folder with a pom.xml, its
        // target inside): a model at the project's root would otherwise be compiled again after most commands, walking the
        // whole repository each time. Other folders, hidden or named target, may hold its external data (.data/w.bin)
        if (dir.equals(start)) return java.nio.file.FileVisitResult.CONTINUE;
        String name = dir.getFileName().toString();
        boolean tooling = java.util.Set.of(".git", ".svn", ".hg", ".idea", ".vscode", ".mvn").contains(name);
        return skip.contains(dir) || tooling || Files.isRegularFile(dir.resolve("pom.xml")) ? java.nio.file.FileVisitResult.SKIP_SUBTREE
            : java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
        // a link to a file counts (its target changed is a new input), as Files.isRegularFile follows it
        if (Files.isRegularFile(file) && !file.getFileName().toString().endsWith(".net")) out.add(file);
        return java.nio.file.FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  /** {@code p}'s real path, or its absolute normal form when it does not exist (yet). */
  private static Path realOrAbsolute(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  /**
   * Every *.net file a spec in {@code specFolder} could import: its folder's and the import paths', at any
   * depth. Each folder is walked where it really is, without following links: the loader reads an import
   * only where its real path lies inside one of these folders' real paths, so that walk meets every file it
   * may read, also one reached through a link, and never loops. (Walking the folder as given found nothing
   * in one that is itself a link: the walk does not enter it.)
   */
  static List<Path> netFiles(Path specFolder, List<Path> importPaths) throws IOException {
    List<Path> out = new ArrayList<>();
    List<Path> roots = new ArrayList<>(List.of(specFolder));
    roots.addAll(importPaths);
    for (Path root : roots) {
      if (!Files.isDirectory(root)) continue; // a missing import path is reported by the compile itself
      try (Stream<Path> s = Files.walk(root.toRealPath())) {
        s.filter(p -> p.getFileName().toString().endsWith(".net") && Files.isRegularFile(p)).forEach(out::add);
      }
    }
    return out;
  }
}
