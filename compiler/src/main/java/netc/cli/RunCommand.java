package netc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.onnx.ModelSource;
import netc.ir.ParamSource;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code netc run SPEC --input X.npy --output Y.npy --reference}: evaluates a network on a tensor. */
final class RunCommand implements Main.Command {
  private static final String USAGE =
      "netc run SPEC|MODEL.onnx [--weights W.safetensors] --input X.npy --output Y.npy --reference [-D name=value]... [--import-path DIR]...\n"
          + "       [--imagenet | --mean M --std S] [--resize N] [--bicubic]\n"
          + "       netc run MODEL.jar --input X.npy --output Y.npy";

  @Override
  public String summary() {
    return "evaluate a network on an NCHW .npy tensor and write the logits";
  }

  @Override
  public Options options() {
    return CommandLines.addPreparation(new Options())
        .addOption(CommandLines.defines()).addOption(CommandLines.importPath())
        .addOption(Option.builder("w").longOpt("weights").hasArg().argName("W.safetensors").desc("weights (default: an ONNX model's own, else synthetic, seed 0)").build())
        .addOption(Option.builder("i").longOpt("input").hasArg().argName("X.npy").required().desc("NCHW float32 input, any batch size").build())
        .addOption(Option.builder("o").longOpt("output").hasArg().argName("Y.npy").required().desc("where to write the output").build())
        .addOption(Option.builder().longOpt("reference").desc("evaluate with the reference interpreter").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    String spec = CommandLines.oneArgument(cl, "spec", USAGE);
    Path outPath = CommandLines.outputFile(cl, "o");
    out = CommandLines.status(out, err, outPath);
    boolean jar = ModelSource.isJar(spec);
    String kind = jar ? "jar" : ModelSource.isOnnx(spec) ? "model" : "spec";
    CommandLines.refuseOverwriting(outPath, Path.of(spec), "the " + kind + " being run");
    CommandLines.refuseOverwriting(outPath, Path.of(cl.getOptionValue("i")), "the input being read");
    CommandLines.refuseOverwriting(outPath, cl.hasOption("w") ? Path.of(cl.getOptionValue("w")) : null, "the weights being read");
    if (jar) {
      if (!CommandLines.preparation(cl).isNone()) {
        throw new UsageException("--imagenet, --mean, --std, --resize and --bicubic are given when an ONNX model is compiled; " + spec
            + " prepares its input as it was compiled to (java -jar " + spec + " --info)");
      }
      return runJar(spec, outPath, cl, out);
    }
    if (!cl.hasOption("reference")) {
      throw new UsageException("give --reference to evaluate a " + (ModelSource.isOnnx(spec) ? "model" : "spec")
          + " with the reference interpreter (or give a compiled .jar)");
    }
    CommandLines.checkWritable(outPath); // before the model is loaded, not after
    ModelSource source = CommandLines.source(spec, cl);
    CommandLines.refuseOverwritingInputs(outPath, source.files()); // an import, or an ONNX model's external data
    Graph g = source.graph();
    ParamSource params = CommandLines.params(source, cl.getOptionValue("w"), out, err);
    Tensor x = Npy.readBatch(Path.of(cl.getOptionValue("i")), g.input().shape().dims(), "the network");
    // a batch too large for the interpreter: the input file's problem, named as the jar's path names it
    String tooLarge = Interpreter.batchTooLarge(g, x.shape()[0]);
    if (tooLarge != null) throw new BadInputException(cl.getOptionValue("i") + ": " + tooLarge);
    long t0 = System.nanoTime();
    Tensor y = Interpreter.run(g, params, x);
    double ms = (System.nanoTime() - t0) / 1e6;
    // as a compiled model refuses them: finite inputs near 1e37 and more overflow float32 inside the network
    for (int i = 0; i < y.size(); i++) {
      if (!Float.isFinite(y.data()[i])) {
        int per = y.size() / y.shape()[0];
        throw new BadInputException(cl.getOptionValue("i") + ": output " + i % per + " of image " + i / per + " is " + y.data()[i]
            + ": the network's float32 arithmetic overflowed, or divided by zero, on that image");
      }
    }
    Npy.write(outPath, y);
    out.printf("wrote %s %s (reference interpreter, %.0f ms)%n", outPath, Arrays.toString(y.shape()), ms);
    return 0;
  }

  /** Runs a compiled jar in this process: its model classes load on top of netc's runtime. */
  private static int runJar(String jar, Path outPath, CommandLine cl, PrintStream out) throws IOException {
    if (cl.hasOption("w") || cl.hasOption("reference") || cl.hasOption("D") || cl.hasOption("import-path")) {
      throw new UsageException("a compiled jar carries its weights and parameters; --weights, --reference, -D and --import-path apply to specs");
    }
    Path jarPath = Path.of(jar);
    CommandLines.checkWritable(outPath);
    try (CompiledModel model = CompiledModel.load(jarPath, netc.runtime.CommandLineArgs.defaultThreads())) {
      Tensor x = Npy.readBatch(Path.of(cl.getOptionValue("i")), model.inputShape(), "the network");
      // a batch whose outputs would not fit one array (a model whose output per image outgrows its input): the file's problem
      String tooLarge = model.batchTooLarge(x.shape()[0]);
      if (tooLarge != null) throw new BadInputException(cl.getOptionValue("i") + ": " + tooLarge);
      long t0 = System.nanoTime();
      Tensor y;
      try {
        y = model.predict(x).reshape(model.outputShape(x.shape()[0])); // [N, C, H, W] for a map, as --reference writes it
      } catch (IllegalArgumentException e) { // outputs the network overflowed on values of the file: its problem, not netc's
        throw new BadInputException(cl.getOptionValue("i") + ": " + e.getMessage(), e);
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      Npy.write(outPath, y);
      out.printf("wrote %s %s (%s, %.0f ms including warm-up)%n", outPath, Arrays.toString(y.shape()), model.property("network"), ms);
    }
    return 0;
  }
}
