package netc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import netc.codegen.ModelCompiler;
import java.util.List;
import netc.codegen.SpecCompiler;
import netc.ir.Graph;
import netc.onnx.ModelSource;
import netc.runtime.BadInputException;
import netc.runtime.io.FileOutput;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code netc compile SPEC [--weights W] -o OUT.jar}: the spec and its weights as a runnable jar. */
final class CompileCommand implements Main.Command {
  static final String USAGE = "netc compile SPEC|MODEL.onnx [--weights W.safetensors] [-D name=value]... [--import-path DIR]... -o OUT.jar [--name NAME] [--thin] [--emit-source DIR] [--strict-weights] [--labels FILE | --no-labels] [--imagenet | --mean M --std S] [--resize N] [--bicubic] [-O N] [--disable-pass NAME]";

  @Override
  public String summary() {
    return "compile a spec and its weights (or an ONNX model) into a self-contained, runnable jar";
  }

  @Override
  public Options options() {
    return CommandLines.addPreparation(InspectCommand.passOptions())
        .addOption(Option.builder("w").longOpt("weights").hasArg().argName("W.safetensors").desc("weights (default: an ONNX model's own, else synthetic, seed 0)").build())
        .addOption(Option.builder("o").longOpt("output").hasArg().argName("OUT.jar").required().desc("the jar to write").build())
        .addOption(Option.builder().longOpt("name").hasArg().argName("NAME").desc("the model's name: its package netc.models.NAME and resources"
            + " netc/models/NAME/, what CompiledModel.load(loader, NAME, threads) takes (default: the network's name, made lower-case)").build())
        .addOption(Option.builder().longOpt("thin").desc("write a thin jar: the model's classes and weights only, for a library user's class or"
            + " module path beside netc-runtime (automatic module netc.models.NAME); default: a self-contained jar that runs with java -jar").build())
        .addOption(Option.builder().longOpt("emit-source").hasArg().argName("DIR").desc("also write the generated Java source to DIR").build())
        .addOption(Option.builder().longOpt("strict-weights").desc("refuse a weights file with tensors the spec does not use (default: a"
            + " warning naming them), as PyTorch's load_state_dict(strict=True)").build())
        .addOption(Option.builder().longOpt("labels").hasArg().argName("FILE").desc("the classes' names, one a line (UTF-8), one per output"
            + " value (default: ImageNet's for a network of 1000 class scores, else \"class i\")").build())
        .addOption(Option.builder().longOpt("no-labels").desc("no names: the classes are \"class i\" (a 1000-class model that is not"
            + " ImageNet's)").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    return run(args, out, err, true);
  }

  /** As {@link #run(String[], PrintStream, PrintStream)}; the demo, which states the synthetic-weights caveat itself, passes false. */
  int run(String[] args, PrintStream stdout, PrintStream err, boolean noteSynthetic) throws IOException {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, stdout);
    if (cl == null) return 0;
    String spec = CommandLines.oneArgument(cl, "spec", USAGE);
    Path jar = CommandLines.outputFile(cl, "o");
    PrintStream out = CommandLines.status(stdout, err, jar);
    String weights = cl.getOptionValue("w");
    String name = cl.getOptionValue("name");
    String nameProblem = name == null ? null : SpecCompiler.modelNameProblem(name);
    if (nameProblem != null) throw new UsageException("--name " + name + ": " + nameProblem); // before the model is loaded and optimized
    CommandLines.refuseOverwriting(jar, Path.of(spec), "the " + (ModelSource.isOnnx(spec) ? "model" : "spec") + " being compiled");
    CommandLines.refuseOverwriting(jar, weights == null ? null : Path.of(weights), "the weights being compiled");
    CommandLines.checkSourceOptions(spec, cl);
    CommandLines.checkWritable(jar);
    if (cl.hasOption("strict-weights") && weights == null) { // it checks a weights file against the spec or model: none, no check
      throw new UsageException("--strict-weights checks the --weights file against the " + (ModelSource.isOnnx(spec) ? "model" : "spec")
          + ", and none is given" + (ModelSource.isOnnx(spec) ? " (the model's own weights are all used)" : " (the weights are synthetic)"));
    }
    if (cl.hasOption("labels") && cl.hasOption("no-labels")) throw new UsageException("--labels and --no-labels: give one of them");
    SpecCompiler.Labels labels = cl.hasOption("no-labels") ? SpecCompiler.Labels.NONE
        : cl.hasOption("labels") ? SpecCompiler.Labels.of(Path.of(cl.getOptionValue("labels"))) : SpecCompiler.Labels.DEFAULT;
    if (labels.file() != null) CommandLines.refuseOverwriting(jar, labels.file(), "the labels being read"); // read by SpecCompiler.Labels
    long t0 = System.nanoTime();
    // the options parsed (-O, -D, --disable-pass, --mean) before --emit-source's folder is made: a refusal leaves nothing behind
    SpecCompiler.Request request = new SpecCompiler.Request(Path.of(spec), CommandLines.importPaths(cl), CommandLines.overrides(cl),
        weights == null ? null : Path.of(weights), name, InspectCommand.context(cl, List.of()), null,
        CommandLines.preparation(cl), labels);
    Path sourceDir = cl.hasOption("emit-source") ? Path.of(cl.getOptionValue("emit-source")) : null;
    if (sourceDir != null && jar.toAbsolutePath().normalize().equals(sourceDir.toAbsolutePath().normalize())) { // made a folder, then the jar failed
      throw new UsageException("--emit-source " + sourceDir + " is the jar's own path (-o): give the sources a folder of their own");
    }
    List<Path> inputs = new java.util.ArrayList<>(); // every file the compile reads, known once the spec or model is loaded
    boolean[] takesImages = {true}; // known once the network is planned
    String[] importedSpec = {null}; // an ONNX model's spec, as imported in memory
    Path work = FileOutput.createTemporaryFolder("netc-compile"); // packed weights of up to GiBs: deleted on Ctrl-C or SIGTERM too
    try {
      ModelCompiler.Output o;
      try {
        o = SpecCompiler.compile(request, work, new SpecCompiler.Listener() {
          @Override
          public void loaded(List<Path> files) {
            inputs.addAll(files);
            CommandLines.refuseOverwritingInputs(jar, files); // an import or external data file: before minutes of compile
            // once the spec is read (a missing or broken one left an empty folder behind), before minutes of compile
            if (sourceDir != null) emitSourceDir(sourceDir);
          }

          @Override
          public void imported(String spec) {
            importedSpec[0] = spec;
          }

          @Override
          public void planned(Graph graph, Graph optimized, boolean syntheticWeights) {
            int[] in = optimized.input().shape().dims(), y = optimized.output().shape().dims();
            // what the jar's command line takes: images where 3 x S x S goes in and one score per class comes out
            takesImages[0] = in.length == 3 && in[0] == 3 && in[1] == in[2] && netc.runtime.ModelInfo.classScores(y);
            if (importedSpec[0] != null && takesImages[0] && graph.input().attrs().getDoubles("mean") == null) {
              // said by the jar before its answers too; here before minutes of compile of a jar that answers photos wrongly
              err.println("note: " + spec + " declares no input normalization, so the jar will take images as pixels in [0, 1]; a"
                  + " classifier exported from torchvision expects ImageNet's: --imagenet (or --mean, --std and --resize) gives it");
            }
            if (syntheticWeights && noteSynthetic) out.println(CommandLines.SYNTHETIC_NOTE);
            out.printf("%s: %d layers, %d after the passes (fused)%n", graph.name(), graph.nodes().size() - 1, optimized.nodes().size() - 1);
          }

          @Override
          public void step(String what) {
            out.printf("  %s (%.1f s)%n", what, (System.nanoTime() - t0) / 1e9);
          }

          @Override
          public void warning(String line) {
            err.println(line);
          }

          @Override
          public boolean strictWeights() {
            return cl.hasOption("strict-weights");
          }
        });
      } catch (IOException | IllegalStateException e) { // a full temporary folder fails a write there, or javac's class output
        String said = e instanceof IOException io ? FileOutput.reason(io) : e.getMessage();
        String full = outOfSpace(work, usableSpace(work), said);
        if (full != null) throw new BadInputException(full);
        throw e;
      }
      if (sourceDir != null) {
        Path file = sourceDir.resolve(o.className().replace('.', '/') + ".java");
        CommandLines.refuseOverwritingInputs(file, inputs);
        // the source's comments place each layer in the imported spec ("M.onnx (imported):11:1"), which was never written:
        // written beside the source, both checked before either is written
        Path written = importedSpec[0] == null ? null
            : file.resolveSibling(Path.of(spec).getFileName().toString().replaceFirst("(?i)\\.onnx$", "") + ".net");
        if (written != null) CommandLines.refuseOverwritingInputs(written, inputs);
        emitSourceDir(file.getParent());
        FileOutput.writeString(file, o.source());
        out.println("  wrote " + file);
        if (written != null) {
          FileOutput.writeString(written, importedSpec[0]);
          out.println("  wrote " + written + " (the imported spec, whose lines the source's comments give; netc import writes the same)");
        }
      }
      out.printf("  writing %s (%.1f s)%n", jar, (System.nanoTime() - t0) / 1e9);
      boolean thin = cl.hasOption("thin");
      ModelCompiler.writeJar(work, jar, !thin);
      out.printf("wrote %s%s: model %s (%s), %,d weight floats, %,d KiB of workspace per image and thread (%.1f s)%n",
          jar, thin ? " (thin)" : "", o.name(), o.className(), o.weightFloats(), o.workspaceFloats() * 4 / 1024, (System.nanoTime() - t0) / 1e9);
      // which names its answers will carry: ImageNet's are a guess from the count, said so with how to change it
      if (labels.file() != null) out.printf("labels: %d from %s%n", o.labels(), labels.file());
      else if (o.labels() > 0) out.println("labels: ImageNet's (the network gives 1000 class scores; --labels FILE or --no-labels for other classes)");
      if (thin) out.println("use it: CompiledModel.load(Path.of(\"" + jar + "\"), threads), or put it beside netc-runtime on your class or module path");
      else if (takesImages[0]) out.println("run it: java -jar " + DemoCommand.shellWord(jar.toString()) + " IMAGE...   (or --input X.npy --output Y.npy; --info)");
      else out.println("run it: java -jar " + DemoCommand.shellWord(jar.toString()) + " --input X.npy --output Y.npy   (tensors: it takes no images; --info)");
    } finally {
      ModelCompiler.deleteTree(work);
      FileOutput.unregisterTemporary(work); // after: a signal while deleting still finds it registered
    }
    return 0;
  }

  /**
   * Why a compile failed, when its work folder (in java.io.tmpdir) has less than 16 MiB left: the weights and
   * classes it writes there did not fit, which the write's own error ("No space left on device", or javac's)
   * says without naming the folder. Null with more room (the failure was something else). The failure's own words
   * follow, for the rare failure that is not about space on a nearly full disk.
   */
  static String outOfSpace(Path work, long usable, String said) {
    if (usable < 0 || usable >= 16L << 20) return null;
    return String.format(java.util.Locale.ROOT, "the compile's work folder %s ran out of space (%,d bytes left in java.io.tmpdir, %s; "
        + "the write said: %s): NETC_JAVA_OPTS=-Djava.io.tmpdir=DIR puts it on a disk with room for the weights",
        work, usable, System.getProperty("java.io.tmpdir"), said);
  }

  /** The bytes this user may still write where {@code folder} is, -1 when unknown. */
  private static long usableSpace(Path folder) {
    try {
      return Files.getFileStore(folder).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Creates the --emit-source folder (or a package folder in it), or says why it cannot. */
  private static void emitSourceDir(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BadInputException("cannot create --emit-source folder " + dir + ": " + FileOutput.reason(e));
    }
    if (!Files.isWritable(dir)) throw new BadInputException("cannot write to --emit-source folder " + dir + ": permission denied");
  }
}
