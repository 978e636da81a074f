package netc.maven;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import netc.ast.NetcException;
import netc.ast.SpecLoader;
import netc.codegen.ModelCompiler;
import netc.codegen.SpecCompiler;
import netc.ir.Graph;
import netc.onnx.InputPreparation;
import netc.passes.PassContext;
import netc.runtime.BadInputException;
import org.apache.maven.model.Plugin;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Goal {@code netc:compile}: every spec of {@code src/main/netc} becomes a model in the project's own
 * classes (package {@code netc.models.NAME}) and resources ({@code netc/models/NAME/}), which
 * {@code CompiledModel.load(loader, "NAME", threads)} finds at run time with netc-runtime alone.
 *
 * <p>A spec is a {@code *.net} file that declares an {@code input(...)}; files that hold only blocks
 * and params (for import) are skipped, or {@code includes} names the specs. An ONNX model ({@code *.onnx}) is
 * compiled when {@code includes} lists it; one left in the folder is named in a warning. A model is compiled again
 * only when a {@code *.net} file of its folders, its weights or its configuration changed.
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.PROCESS_CLASSES, threadSafe = true)
public final class CompileMojo extends AbstractMojo {
  /** The suffix of the files in stateDirectory that record what a model was compiled from. */
  private static final String STAMP = ".stamp";

  /** The file in an execution's stamp folder that holds the start time of the last build it ran in. */
  private static final String LAST_BUILD = "last-build";

  /** Where the specs are. */
  @Parameter(defaultValue = "${project.basedir}/src/main/netc", required = true)
  File sourceDirectory;

  /** Spec files (names relative to sourceDirectory) to compile; default: every *.net there that declares an input. */
  @Parameter
  List<String> includes;

  /** The file beside a spec (or ONNX model) NAME.net that names its classes, one a line, as netc compile --labels FILE. */
  static final String LABELS_SUFFIX = ".labels.txt";

  /** Where NAME.safetensors is looked for (NAME: the spec's base name); default: beside the spec. Absent: synthetic weights. */
  @Parameter
  File weightsDirectory;

  /** Overrides of top-level params, as netc's -D name=value, for every spec compiled (one without the param is an error: use includes). */
  @Parameter
  Map<String, String> defines;

  /** More folders imports may come from, as netc's --import-path. */
  @Parameter
  List<File> importPaths;

  /** Model names by spec base name, for a model not named after its file (netc's --name). */
  @Parameter
  Map<String, String> names;

  /** Where the classes and resources go: the project's own, so they are in its jar. */
  @Parameter(defaultValue = "${project.build.outputDirectory}", required = true)
  File outputDirectory;

  /**
   * The project's classes folder, to warn when outputDirectory is another: nothing adds that one to the jar.
   * (Adding it as a resource folder would not help: the goal runs at process-classes, after
   * process-resources copied the resources, and it would copy the generated classes as resources.)
   */
  @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true)
  File projectOutputDirectory;

  /** Where the plugin remembers what each model was compiled from (to skip an unchanged one). */
  @Parameter(defaultValue = "${project.build.directory}/netc-maven-plugin", required = true)
  File stateDirectory;

  /** This execution's id: each execution keeps its own stamps, so one never removes another's models. */
  @Parameter(defaultValue = "${mojoExecution.executionId}", readonly = true)
  String executionId;

  /**
   * Refuse a weights file with tensors the spec does not use (as PyTorch's load_state_dict(strict=True))
   * instead of warning of them.
   */
  @Parameter(defaultValue = "false")
  boolean strictWeights;

  /**
   * An ONNX model's input preparation, as netc compile's --imagenet: torchvision's ImageNet mean, std and resize
   * (a classifier exported from torchvision expects them). For the execution's ONNX models; a spec says its own.
   */
  @Parameter(defaultValue = "false")
  boolean imagenet;

  /** An ONNX model's input normalization, as netc compile's --mean and --std: comma-separated values, one a channel. */
  @Parameter
  String mean;

  /** See {@link #mean}. */
  @Parameter
  String std;

  /** An ONNX model's images: shorter side resized to this many pixels, then center-cropped, as netc compile's --resize. */
  @Parameter
  String resize;

  /** An ONNX model's images are resized with the bicubic filter (torchvision's EfficientNet weights), as netc compile's --bicubic. */
  @Parameter
  boolean bicubic;

  /** Skips the goal. */
  @Parameter(property = "netc.skip", defaultValue = "false")
  boolean skip;

  /**
   * When this build started: each execution writes it beside its stamps, so another execution of the same
   * build can tell its stamps are current (and not left by an earlier build with another configuration).
   */
  @Parameter(defaultValue = "${session.startTime}", readonly = true)
  Date buildStarted;

  /** The project's plugins, inherited ones included: which executions of this plugin the pom still declares. */
  @Parameter(defaultValue = "${project.build.plugins}", readonly = true)
  List<Plugin> buildPlugins;

  /** This plugin's groupId:artifactId, to find it among buildPlugins. */
  @Parameter(defaultValue = "${plugin.pluginLookupKey}", readonly = true)
  String pluginKey;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("netc: skipped");
      return;
    }
    digests.clear(); // read during one run: a mojo run again (a test's, an IDE's incremental build) reads the files again
    Path source = sourceDirectory.toPath();
    if (projectOutputDirectory != null && !normal(outputDirectory).equals(normal(projectOutputDirectory))) {
      getLog().warn("netc: <outputDirectory> " + outputDirectory + " is not the project's classes folder " + projectOutputDirectory
          + ": the models written there are not in its jar or on its class path unless the build adds that folder");
    }
    try {
      refuseEmpty();
      if (buildStarted != null) {
        Files.createDirectories(executionState());
        Files.writeString(executionState().resolve(LAST_BUILD), Long.toString(buildStarted.getTime()));
      }
      if (weightsDirectory != null && !weightsDirectory.isDirectory()) {
        // a mistyped folder would otherwise give every model synthetic weights, with only warnings to say so
        throw new BadInputException("<weightsDirectory> " + weightsDirectory + ": " + (weightsDirectory.exists() ? "a file, not a folder" : "no such directory"));
      }
      preparation(); // a bad <mean>, <std> or <resize> fails the build before any model is touched
      for (Path dir : importPathList()) {
        // here, not by the compiler, whose refusal names its command line's flag: "--import-path /p/libz: no such directory"
        if (!Files.isDirectory(dir)) throw new BadInputException("<importPaths> " + dir + ": no such directory");
      }
      List<SpecFiles.Spec> specs = List.of();
      if (Files.exists(source) && !Files.isDirectory(source)) {
        throw new BadInputException("<sourceDirectory> " + source + ": a file, not a folder (the folder of the specs to compile)");
      }
      if (!Files.isDirectory(source)) {
        // listed specs in a folder that is not there: a mistyped <sourceDirectory>, not a project without specs
        if (includes != null && !includes.isEmpty()) throw new BadInputException("<sourceDirectory> " + source + ": no such directory (it holds the"
            + " <includes>)");
        // not an early return: the models this execution compiled before must still go
        // a folder configured elsewhere than the default that is not there is most likely mistyped: said louder
        String none = "netc: no spec folder " + source + ", nothing to compile";
        if (normal(source.toFile()).equals(normal(defaultSourceDirectory()))) getLog().info(none);
        else getLog().warn(none + " (<sourceDirectory> is not the default " + defaultSourceDirectory() + ")");
      } else {
        specs = SpecFiles.find(source, includes, names == null ? Map.of() : names, importPathList());
        // an ONNX model put in the folder was skipped without a word, and missing when the program loaded it
        List<Path> leftOut = includes == null || includes.isEmpty() ? SpecFiles.onnxLeftOut(source, specs) : List.of();
        for (Path model : leftOut) {
          getLog().warn("netc: " + model + " is not compiled: an ONNX model is, when <includes> lists it (<include>" + model.getFileName()
              + "</include>, beside the specs to compile)");
        }
        if (specs.isEmpty()) getLog().warn("netc: no spec in " + source + " (a spec is a *.net file that declares an input)");
        for (SpecFiles.Spec s : specs) {
          // a file name that is no model name as it is ("class", "Ünï", "_") compiled under another without a word, and the
          // program's CompiledModel.load by the file's name failed at run time
          if (names == null || !names.containsKey(s.baseName())) {
            String plain = s.baseName().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
            if (!s.name().equals(plain)) {
              getLog().warn("netc: " + s.file().getFileName() + " compiles as the model " + s.name() + " (its name as a Java package);"
                  + " load it by that name, or give it one in <names>, or rename the file");
            }
          }
        }
        InputPreparation p = preparation();
        if (!p.isNone() && !specs.isEmpty() && specs.stream().noneMatch(s -> netc.onnx.ModelSource.isOnnx(s.file().toString()))) {
          // it would be ignored, and the models would answer real photos unnormalized: refused, as netc compile refuses it for a spec
          throw new BadInputException(p.origin() + ": an ONNX model's input preparation, and this execution compiles specs only, which"
              + " say their own (input(3, 224, 224, mean = [...], std = [...], resize = 256))" + (leftOut.isEmpty() ? ""
              : "; " + leftOut.get(0).getFileName() + " in the folder is compiled when <includes> lists it"));
        }
      }
      Path out = outputDirectory.toPath();
      leaveEarlierOutput(out);
      if (!specs.isEmpty()) Files.createDirectories(out); // absent in a project without Java sources
      boolean done = false;
      try {
        for (SpecFiles.Spec spec : specs) compile(spec, out);
        removeGone(out, specs.stream().map(SpecFiles.Spec::name).toList());
        // after the compiles: an undeclared execution's stamps (mvn netc:compile's) may show a model up to date
        retireUndeclared(out, specs.stream().map(SpecFiles.Spec::name).toList());
        done = true;
      } finally {
        // a failed compile took its model out (no stale model stays behind a failed build) and the compiler wrote
        // the list of models with its own alone: the list names the models there, whatever failed
        if (!done && Files.isDirectory(out)) {
          try {
            // the models of executions the pom no longer declares go whatever failed, as they did before the compiles
            retireUndeclared(out, specs.stream().map(SpecFiles.Spec::name).toList());
            ModelDirectory.declarePresent(out);
          } catch (IOException e) {
            getLog().warn("netc: could not rewrite the list of models in " + out + ": " + e);
          }
        }
      }
      ModelDirectory.declarePresent(out);
    } catch (NetcException e) {
      throw new MojoFailureException(inPomWords(oneLine(e)));
    } catch (BadInputException e) {
      throw new MojoFailureException(inPomWords(e.getMessage()));
    } catch (OutOfMemoryError e) {
      throw new MojoFailureException("netc: out of memory compiling a model (" + e.getMessage() + "); give Maven more heap: MAVEN_OPTS=-Xmx2g");
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      throw unexpected(e);
    }
  }

  /**
   * Refuses an empty entry of the pom's lists and maps, which Maven gives as null ({@code <defines><width/>}:
   * width with no value), by its element rather than with a NullPointerException where it is first used.
   */
  private void refuseEmpty() {
    refuseEmpty("defines", defines);
    refuseEmpty("names", names);
    refuseEmpty("includes", includes);
    refuseEmpty("importPaths", importPaths);
  }

  private static void refuseEmpty(String element, Map<String, String> entries) {
    if (entries == null) return;
    for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) { // sorted: the same entry named on every run
      if (e.getValue() == null) throw new BadInputException("<" + element + "><" + e.getKey() + ">: no value");
    }
  }

  private static void refuseEmpty(String element, List<?> entries) {
    if (entries == null) return;
    for (int i = 0; i < entries.size(); i++) { // not indexOf(null), which List.of refuses
      if (entries.get(i) == null) throw new BadInputException("<" + element + ">: entry " + (i + 1) + " is empty");
    }
  }

  /**
   * A failure that is not the input's, as one line Maven prints without a stack trace (the cause is kept for
   * mvn -e): I/O as its file and what is wrong with it, since a FileSystemException's own message is often
   * the bare path; a Files.walk stream's UncheckedIOException as its cause; an IllegalStateException (the
   * compiler's "no Java compiler in this JVM" on a JRE) as its message, not "Execution failed" and a trace.
   */
  static MojoExecutionException unexpected(Exception e) {
    return new MojoExecutionException("netc: " + problem(e), e);
  }

  /** What {@link #unexpected} says is wrong. */
  private static String problem(Exception e) {
    Exception cause = e instanceof UncheckedIOException u ? u.getCause() : e;
    return cause instanceof IOException io ? ioProblem(io) : cause.getMessage();
  }

  /**
   * A compile that failed otherwise than on its input, as one line naming the spec and the model (Maven
   * would report an unchecked exception as the execution's failure, with a stack trace and no spec): I/O
   * and the compiler's IllegalStateException (no javac in a JRE) as {@link #unexpected} says them, anything
   * else as netc's internal error, by its class too (a NullPointerException may have no message).
   */
  MojoExecutionException failed(RuntimeException e, SpecFiles.Spec spec) {
    String problem = e instanceof UncheckedIOException || e instanceof IllegalStateException ? problem(e)
        : "internal error compiling model " + spec.name() + ": " + e + " (mvn -e shows where)";
    return new MojoExecutionException("netc: " + shown(spec.file()) + ": " + problem, e);
  }

  /** Out of memory compiling a spec: which spec and model, and what to do (what the compile allocated is garbage by now). */
  String outOfMemory(OutOfMemoryError e, SpecFiles.Spec spec) {
    return "netc: " + shown(spec.file()) + ": out of memory compiling model " + spec.name() + " (" + e.getMessage()
        + "); give Maven more heap: MAVEN_OPTS=-Xmx2g";
  }

  private static String ioProblem(IOException e) {
    if (!(e instanceof FileSystemException f)) return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    String kind = f instanceof AccessDeniedException ? "access denied"
        : f instanceof NoSuchFileException ? "no such file or folder"
        : f instanceof FileAlreadyExistsException ? "already exists"
        : f instanceof DirectoryNotEmptyException ? "folder not empty"
        : f instanceof NotDirectoryException ? "not a folder"
        : f instanceof FileSystemLoopException ? "a cycle of links"
        : null;
    String reason = f.getReason();
    if (kind == null) kind = reason != null ? reason : f.getClass().getSimpleName();
    else if (reason != null) kind += " (" + reason + ")";
    String where = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": ";
    return where + kind;
  }

  /** ${project.basedir}/src/main/netc, {@code sourceDirectory}'s default (the folder itself where the base is unknown, as in tests). */
  private File defaultSourceDirectory() {
    return basedir == null ? sourceDirectory : new File(basedir, "src/main/netc");
  }

  private static Path normal(File f) {
    return f.toPath().toAbsolutePath().normalize();
  }

  /** The project's folder: specs are recorded relative to it, so the same project builds the same jar anywhere. */
  @Parameter(defaultValue = "${project.basedir}", readonly = true)
  File basedir;

  /** The project's build directory (target/): never walked for a model's inputs. */
  @Parameter(defaultValue = "${project.build.directory}", readonly = true)
  File buildDirectory;

  /** {@code src/main/netc/digits.net}, not the absolute path, where the spec is inside the project. */
  String shown(Path spec) {
    if (basedir == null) return spec.toString();
    Path base = basedir.toPath().toAbsolutePath().normalize(), file = spec.toAbsolutePath().normalize();
    return file.startsWith(base) ? base.relativize(file).toString().replace(java.io.File.separatorChar, '/') : spec.toString();
  }

  private void compile(SpecFiles.Spec spec, Path out) throws IOException, MojoFailureException, MojoExecutionException {
    boolean onnx = netc.onnx.ModelSource.isOnnx(spec.file().toString());
    // an ONNX model carries its weights: a NAME.safetensors beside it (an earlier netc import's) is not read
    Path weights = onnx ? null : weightsFor(spec);
    // the project's import paths are its specs'; an ONNX model imports nothing (and the compiler refuses import paths for one)
    // NAME.labels.txt beside the spec or model names its classes, as netc compile --labels does; without it, the default
    Path labels = spec.file().resolveSibling(spec.baseName() + LABELS_SUFFIX);
    labels = Files.isRegularFile(labels) ? labels : null;
    SpecCompiler.Request request = new SpecCompiler.Request(spec.file(), onnx ? List.of() : importPathList(), defines == null ? Map.of() : defines,
        weights, spec.name(), PassContext.defaults(), shown(spec.file()), onnx ? preparation() : null,
        labels == null ? SpecCompiler.Labels.DEFAULT : SpecCompiler.Labels.of(labels));
    // a spec reads the *.net files it imports; an ONNX model (listed in <includes>) its external data
    List<Path> inputs = new ArrayList<>(onnx ? SpecFiles.onnxInputs(spec.file(), buildFolders())
        : SpecFiles.netFiles(spec.file().getParent(), importPathList()));
    inputs.add(spec.file());
    // an import may name a file of any name ("blocks.inc"), which that walk misses: the files the spec
    // reads count too (by real path, as the walk's). The walk stays: a *.net file added may shadow an import.
    boolean loaded = true;
    if (!onnx) {
      try {
        inputs.addAll(SpecLoader.load(spec.file(), importPathList()).files());
      } catch (RuntimeException e) {
        loaded = false; // a broken spec is not up to date: its compile below reports the problem
      }
    }
    if (weights != null) inputs.add(weights);
    if (labels != null) inputs.add(labels);
    // netc itself: a compiler or runtime rebuilt and installed again under the same version (a
    // SNAPSHOT, a local fix) may compile differently, so its jars count as inputs too
    for (Class<?> part : NETC_PARTS) {
      Path jar = codeSource(part);
      if (jar != null) inputs.add(jar);
    }
    if (weights == null && !onnx && weightsDirectory != null) {
      // the folder was named for the weights: a model without its file there (a spec renamed) is a mistake, not a demo;
      // checked before any stamp (another execution's, without <weightsDirectory>, may record a synthetic model), and the
      // model an earlier build compiled with the file goes, as a failed compile's does
      ModelDirectory.clear(out, spec.name());
      throw new MojoFailureException("netc: " + shown(spec.file()) + ": no weights " + weightsPath(spec) + " in <weightsDirectory> "
          + weightsDirectory + " (named after the spec; without <weightsDirectory>, a spec without weights gets synthetic ones)");
    }
    String configuration = configuration(spec, weights) + "labels " + labels + "\n"; // one added or removed recompiles
    refuseRival(spec.name(), configuration, out);
    // every small input by its contents, and of the large ones the weights and the model itself: not every large file of
    // an ONNX model's folder (a model at the project's root has them all: datasets, other models), read on every build
    List<Path> whole = new ArrayList<>(List.of(spec.file()));
    if (weights != null) whole.add(weights);
    Stamp stamp = new Stamp(executionState().resolve(spec.name() + STAMP), configuration, inputs, whole, digests);
    List<Path> others = otherExecutions().stream().map(e -> e.resolve(spec.name() + STAMP)).toList();
    if (loaded && stamp.upToDate(ModelDirectory.folder(out, spec.name()), others)) {
      getLog().info("netc: model " + spec.name() + " is up to date");
      // another execution's compile (mvn netc:compile's default-cli): this one's stamp records it, as its own would
      if (stamp.adopted()) stamp.write(ModelDirectory.folder(out, spec.name()), stamp.warnings());
      // its compile's warnings hold for the model this build packages: said again, not only by the build that compiled it
      for (String w : stamp.warnings()) getLog().warn(w);
      return;
    }
    List<String> warnings = new ArrayList<>();
    if (weights == null && !onnx) { // an ONNX model carries its weights
      warn(warnings, "netc: no weights for " + spec.file().getFileName() + " (looked for " + weightsPath(spec)
          + "): model " + spec.name() + " gets synthetic weights (seed " + SpecCompiler.SYNTHETIC_SEED + "), its answers mean nothing");
    }
    ModelDirectory.clear(out, spec.name());
    ModelCompiler.Output o;
    try {
      o = compile(request, out, spec, warnings);
    } catch (NetcException e) {
      throw new MojoFailureException(located(e, spec));
    } catch (BadInputException e) {
      // a refusal without a place in the spec text (a weights file's, named by its path) names no spec
      throw new MojoFailureException(located(e.getMessage(), spec));
    } catch (OutOfMemoryError e) {
      throw new MojoFailureException(outOfMemory(e, spec));
    } catch (RuntimeException e) {
      throw failed(e, spec);
    }
    stamp.write(ModelDirectory.folder(out, spec.name()), warnings);
    getLog().info("netc: model " + o.name() + " (" + o.className() + "), " + o.weightFloats() + " weight floats, into " + out);
  }

  /** Says a warning, and adds it to {@code said} (for the stamp, so that a build finding the model up to date says it again). */
  private void warn(List<String> said, String line) {
    getLog().warn(line);
    said.add(line);
  }

  private ModelCompiler.Output compile(SpecCompiler.Request request, Path out, SpecFiles.Spec spec, List<String> warnings) throws IOException {
    return SpecCompiler.compile(request, out, new SpecCompiler.Listener() {
      @Override
      public void planned(Graph graph, Graph optimized, boolean syntheticWeights) {
        getLog().info("netc: " + spec.file().getFileName() + ": " + (graph.nodes().size() - 1) + " layers, "
            + (optimized.nodes().size() - 1) + " after the passes (fused)");
      }

      @Override
      public void warning(String line) {
        // the compiler's lines begin "warning: " or "note: " for a terminal; Maven's [WARNING] says the first already
        warn(warnings, "netc: " + line.replaceFirst("^warning: ", ""));
      }

      @Override
      public boolean strictWeights() {
        return strictWeights;
      }
    });
  }

  /**
   * The compiler's message as the pom's reader needs it. One without a place in the spec text (a define's)
   * would not say which spec it is about, so it is prefixed with the spec, unless it names it already (an
   * ONNX model's errors do); and netc's "-D name=value" is shown as the pom's {@code <defines>} entry.
   */
  String located(NetcException e, SpecFiles.Spec spec) {
    return e.span() != null ? withDefines(inPomWords(oneLine(e))) : located(e.getMessage(), spec);
  }

  /** {@code m} with netc's "-D name=value" shown as the pom's {@code <defines>} entry. */
  private String withDefines(String m) {
    if (defines != null) {
      for (Map.Entry<String, String> d : defines.entrySet()) {
        m = m.replace("-D " + d.getKey() + "=" + d.getValue(), "<defines><" + d.getKey() + ">" + d.getValue() + "</" + d.getKey() + ">");
      }
    }
    return m;
  }

  /**
   * The compiler's words for its command line's flags as a pom's reader knows them: the labels file is
   * NAME.labels.txt beside the spec, named by its path (not "--labels FILE"), the import folders {@code <importPaths>}.
   */
  static String inPomWords(String m) {
    return m.replace("(or a directory given with --import-path)", "(or a folder of <importPaths>)")
        .replace("or the --import-path directories", "or the <importPaths> folders").replace("--labels ", "");
  }

  /** A message of the compiler's without a place in the spec text, as {@link #located(NetcException, SpecFiles.Spec)} shows it. */
  String located(String m, SpecFiles.Spec spec) {
    m = inPomWords(withDefines(m));
    return m.startsWith(spec.file().toString()) ? m : shown(spec.file()) + ": " + m;
  }

  /** Where this execution last wrote its models: a file of its stamp folder. */
  static final String LAST_OUTPUT = "output-directory";

  /**
   * Where {@code <outputDirectory>} changed since this execution's last build, removes the models it wrote
   * into the folder before (their stamps name them), unless another execution compiles them too: left
   * there, they went into the jar stale, never again updated by an edit of their specs, and with both
   * folders on a class path a model was there twice. Then records {@code out}. The folders are recorded
   * relative to the project, and only one inside it is cleared: a project copied with its target folder
   * records the original's, which is not this build's to touch. A folder that cannot be cleared is a
   * warning, not a failed build.
   */
  private void leaveEarlierOutput(Path out) throws IOException {
    Path state = executionState(), record = state.resolve(LAST_OUTPUT), project = basedir.toPath().toAbsolutePath().normalize();
    Path now = out.toAbsolutePath().normalize();
    if (Files.isRegularFile(record)) {
      Path before = project.resolve(Files.readString(record).strip()).normalize();
      if (!before.equals(now) && before.startsWith(project) && Files.isDirectory(before)) {
        try {
          for (String name : stamps(state).keySet()) {
            if (claimedElsewhere(name, before) || !Files.isDirectory(before.resolve("netc/models/" + name))) continue;
            ModelDirectory.clear(before, name);
            getLog().info("netc: removed model " + name + " from " + before + ": <outputDirectory> is now " + out);
          }
          ModelDirectory.declarePresent(before);
        } catch (IOException e) {
          getLog().warn("netc: could not take this execution's models out of " + before + ", its earlier <outputDirectory>: " + e);
        }
      }
    }
    Files.createDirectories(state);
    Files.writeString(record, (now.startsWith(project) ? project.relativize(now) : now) + "\n");
  }

  /**
   * Removes the models this execution compiled before whose specs are gone (renamed, deleted or no longer
   * included), so the jar holds none of them; another execution's models are its own business.
   */
  private void removeGone(Path out, List<String> current) throws IOException {
    for (Map.Entry<String, Path> stamp : stamps(executionState()).entrySet()) {
      String name = stamp.getKey();
      if (current.contains(name)) continue;
      if (!claimedElsewhere(name, out)) { // another execution compiles it into this folder too: its model stays
        ModelDirectory.clear(out, name);
        getLog().info("netc: removed model " + name + " from " + out + ": its spec is gone");
      }
      Files.delete(stamp.getValue()); // after the clear: a clear that fails leaves the stamp, so the next build tries again
    }
  }

  /**
   * Removes the models of the executions the pom no longer declares (an id renamed, an execution removed, a
   * profile not active, {@code mvn netc:compile}'s default-cli), unless this execution or a declared one
   * compiles them, then their stamp folders: nothing else would take those models out of the jar, where
   * {@code CompiledModel.load(loader, threads)} then finds more than one. Each is taken out of the folder
   * that execution last wrote to (this one's where it did not record it), only inside the project.
   */
  private void retireUndeclared(Path out, List<String> current) throws IOException {
    Path project = basedir.toPath().toAbsolutePath().normalize();
    for (Path other : otherExecutions()) {
      if (declared(other.getFileName().toString())) continue;
      Path record = other.resolve(LAST_OUTPUT);
      Path folder = Files.isRegularFile(record) ? project.resolve(Files.readString(record).strip()).normalize() : out.toAbsolutePath().normalize();
      if (folder.startsWith(project) && Files.isDirectory(folder)) {
        boolean removed = false;
        for (String name : stamps(other).keySet()) {
          if ((folder.equals(out.toAbsolutePath().normalize()) && current.contains(name)) || claimedElsewhere(name, folder)) continue;
          if (!Files.isDirectory(ModelDirectory.folder(folder, name))) continue;
          ModelDirectory.clear(folder, name);
          removed = true;
          getLog().info("netc: removed model " + name + " from " + folder + ": execution " + other.getFileName()
              + ", which compiled it, is no longer in the pom");
        }
        if (removed) ModelDirectory.declarePresent(folder);
      }
      deleteTree(other);
    }
  }

  /** The stamps in an execution's folder, by the model each names (NAME.stamp); none where the folder is not there. */
  private static Map<String, Path> stamps(Path state) throws IOException {
    Map<String, Path> byModel = new TreeMap<>();
    if (!Files.isDirectory(state)) return byModel;
    try (var files = Files.list(state)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(STAMP)).toList()) {
        String file = f.getFileName().toString();
        byModel.put(file.substring(0, file.length() - STAMP.length()), f);
      }
    }
    return byModel;
  }

  /**
   * Whether another execution still compiles the model {@code name} into {@code folder}, so it is not this one's to
   * remove from there: one the pom still declares, whose stamp of the model records a spec that is still there, and
   * whose last output folder is {@code folder}. A stamp alone proves neither: {@code mvn netc:compile} (execution
   * default-cli) leaves stamps no lifecycle build revisits, and a stamp outlives its spec, so trusting every stamp
   * kept models whose specs were deleted. Nor does an execution writing another folder keep a model in this one:
   * one compiling it into target/test-classes kept it in target/classes, and so in the jar, after the execution that
   * wrote it there dropped it. Stale claims are deleted where found.
   */
  private boolean claimedElsewhere(String name, Path folder) throws IOException {
    boolean claimed = false;
    for (Path other : otherExecutions()) {
      if (!declared(other.getFileName().toString())) continue; // retireUndeclared's
      Path stamp = other.resolve(name + STAMP);
      if (!Files.isRegularFile(stamp)) continue;
      String spec = recordedSpec(Stamp.recordedConfiguration(stamp));
      if (spec == null || !Files.isRegularFile(Path.of(spec))) Files.delete(stamp);
      else if (writesInto(other, folder)) claimed = true;
    }
    return claimed;
  }

  /**
   * Whether execution {@code other} last wrote its models into {@code folder}, by its record of it; one without a
   * record (a plugin before the record) is taken to, so its models stay where they may be.
   */
  private boolean writesInto(Path other, Path folder) throws IOException {
    Path record = other.resolve(LAST_OUTPUT);
    if (!Files.isRegularFile(record)) return true;
    Path project = basedir.toPath().toAbsolutePath().normalize();
    return project.resolve(Files.readString(record).strip()).normalize().equals(folder.toAbsolutePath().normalize());
  }

  /** Whether the pom declares execution {@code id} of this plugin; true where Maven did not say (outside a build). */
  private boolean declared(String id) {
    if (buildPlugins == null || pluginKey == null) return true;
    return buildPlugins.stream().filter(p -> pluginKey.equals(p.getKey()))
        .anyMatch(p -> p.getExecutions().stream().anyMatch(e -> id.equals(e.getId())));
  }

  /**
   * Refuses a model another execution of this same build made from another configuration. Into the same folder, both
   * write netc/models/NAME, so the one that ran last would silently replace the other's; into two, a class path with
   * both (the tests' holds target/classes and target/test-classes) has the name twice, which loading refuses when the
   * tests run. Only stamps of executions that ran in this build count: older ones may record a configuration since changed.
   */
  private void refuseRival(String name, String configuration, Path out) throws IOException, MojoFailureException {
    if (buildStarted == null) return;
    String build = Long.toString(buildStarted.getTime());
    for (Path other : otherExecutions()) {
      Path marker = other.resolve(LAST_BUILD), stamp = other.resolve(name + STAMP);
      if (!Files.isRegularFile(marker) || !Files.isRegularFile(stamp) || !Files.readString(marker).equals(build)) continue;
      String theirs = Stamp.recordedConfiguration(stamp);
      if (theirs.equals(configuration)) continue;
      String[] a = theirs.split("\n"), b = configuration.split("\n");
      int i = 0;
      while (i < Math.min(a.length, b.length) - 1 && a[i].equals(b[i])) i++;
      String they = other.getFileName().toString(), we = executionState().getFileName().toString();
      throw new MojoFailureException("netc: executions " + they + " and " + we + " both make the model " + name
          + ", from different configurations (" + they + ": " + a[i] + "; " + we + ": " + b[i] + "): "
          + (writesInto(other, out) ? "the later would replace the earlier's"
              : "a class path holding both their folders (the tests' holds target/classes and target/test-classes) would have it twice")
          + "; give one another name in <names>");
    }
  }

  /**
   * The stamp folders of this plugin's other executions, by name: only folders holding nothing but what an
   * execution writes (its last-build marker, its stamps, its output folder's record). A {@code <stateDirectory>}
   * pointed at a shared folder (target, the project) had every folder in it taken for a retired execution's and
   * deleted: target/classes with the project's own classes, src and .git.
   */
  private List<Path> otherExecutions() throws IOException {
    Path own = executionState(), all = stateDirectory.toPath();
    if (!Files.isDirectory(all)) return List.of();
    List<Path> others = new ArrayList<>();
    try (var executions = Files.list(all)) {
      for (Path e : executions.filter(e -> !e.equals(own) && Files.isDirectory(e, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
        if (isExecutionState(e)) others.add(e);
      }
    }
    return others;
  }

  /** Whether {@code folder} holds something, and only files an execution writes (an empty one is nobody's to delete). */
  private static boolean isExecutionState(Path folder) throws IOException {
    try (var files = Files.list(folder)) {
      List<Path> all = files.toList();
      return !all.isEmpty() && all.stream().allMatch(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
          && (f.getFileName().toString().endsWith(STAMP) || f.getFileName().toString().equals(LAST_BUILD)
              || f.getFileName().toString().equals(LAST_OUTPUT)));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  /** The contents' digests this run of the execution's stamps have read (see {@link Stamp}), by file, size, time and identity. */
  private final Map<String, String> digests = new java.util.HashMap<>();

  /**
   * A class of each of netc's jars a compile runs: the spec grammar, the compiler, the runtime, and this
   * plugin (which chooses the models' names, labels and the spec path their messages show).
   */
  static final List<Class<?>> NETC_PARTS = List.of(netc.grammar.NetParser.class, ModelCompiler.class, netc.runtime.CompiledModel.class,
      CompileMojo.class);

  /** The folders the build writes, which hold no model's inputs: the build directory, the classes and the plugin's state. */
  private List<Path> buildFolders() {
    List<Path> out = new ArrayList<>();
    for (File f : new File[] {buildDirectory, outputDirectory, projectOutputDirectory, stateDirectory}) if (f != null) out.add(f.toPath());
    return out;
  }

  /** This execution's stamps: a folder per execution id ("default" when run outside Maven's lifecycle). */
  private Path executionState() {
    String id = executionId == null || executionId.isBlank() ? "default" : executionId;
    return stateDirectory.toPath().resolve(id);
  }

  /** The jar (or classes folder) {@code type} was loaded from, or null where the class loader does not say. */
  static Path codeSource(Class<?> type) {
    try {
      var source = type.getProtectionDomain().getCodeSource();
      return source == null || source.getLocation() == null ? null : Path.of(source.getLocation().toURI());
    } catch (java.net.URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException | SecurityException e) {
      return null;
    }
  }

  /**
   * Everything besides file contents that the model depends on, in a stable order (a changed define
   * recompiles): with the runtime ABI, so a netc whose generated code changed its contract recompiles
   * the models an older one left in target/classes, which its runtime would refuse to load.
   */
  private String configuration(SpecFiles.Spec spec, Path weights) throws MojoFailureException {
    InputPreparation p = netc.onnx.ModelSource.isOnnx(spec.file().toString()) ? preparation() : InputPreparation.NONE;
    return "netc " + ModelCompiler.VERSION + "\nruntime ABI " + netc.runtime.CompiledModel.ABI + "\nspec " + spec.file().toAbsolutePath() + "\nname " + spec.name() + "\nweights " + weights
        + "\ndefines " + new TreeMap<>(defines == null ? Map.of() : defines) + "\nimport paths " + importPathList()
        + "\nstrict weights " + strictWeights + (p.isNone() ? "" : "\npreparation mean " + p.mean() + " std " + p.std() + " resize " + p.resize() + (p.bicubic() ? " bicubic" : "")) + "\n";
  }

  /** The pom's input preparation for the execution's ONNX models (none without those parameters). */
  private InputPreparation preparation() throws MojoFailureException {
    try {
      return InputPreparation.parse(imagenet, mean, std, resize, bicubic, name -> "<" + name + ">", "in the pom");
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException("netc: " + e.getMessage());
    }
  }

  /** The spec path a configuration records (its "spec " line), or null. */
  static String recordedSpec(String configuration) {
    for (String line : configuration.split("\n")) if (line.startsWith("spec ")) return line.substring("spec ".length());
    return null;
  }

  private Path weightsPath(SpecFiles.Spec spec) {
    String file = spec.baseName() + ".safetensors";
    return weightsDirectory != null ? weightsDirectory.toPath().resolve(file) : spec.file().resolveSibling(file);
  }

  /** The spec's weights file, or null (synthetic) when there is none. */
  private Path weightsFor(SpecFiles.Spec spec) {
    Path w = weightsPath(spec);
    return Files.isRegularFile(w) ? w : null;
  }

  private List<Path> importPathList() {
    List<Path> out = new ArrayList<>();
    if (importPaths != null) for (File f : importPaths) out.add(f.toPath());
    return out;
  }

  /** The compiler's located message on one line: Maven prints it as the build's failure, without a stack trace. */
  static String oneLine(NetcException e) {
    // escaped and cut as a whole, location included (an import's file name is text from the spec), as NetcException.format does
    return e.span() == null ? e.getMessage() : netc.runtime.BadInputException.oneLine(e.span().location() + ": " + e.problem());
  }
}
