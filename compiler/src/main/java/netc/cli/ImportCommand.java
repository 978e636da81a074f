package netc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import netc.onnx.ModelSource;
import netc.runtime.io.FileOutput;
import netc.runtime.io.Safetensors;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code netc import MODEL.onnx -o MODEL.net}: an ONNX model as a readable spec and its weights. */
final class ImportCommand implements Main.Command {
  private static final String USAGE = "netc import MODEL.onnx -o MODEL.net [--weights-out W.safetensors] [--imagenet | --mean M --std S] [--resize N] [--bicubic]";

  @Override
  public String summary() {
    return "translate an ONNX model into a readable spec and a safetensors file of its weights";
  }

  @Override
  public Options options() {
    return CommandLines.addPreparation(new Options())
        .addOption(Option.builder("o").longOpt("output").hasArg().argName("MODEL.net").required().desc("the spec to write").build())
        .addOption(Option.builder().longOpt("weights-out").hasArg().argName("W.safetensors")
            .desc("where to write the weights (default: beside the spec, MODEL.safetensors)").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    CommandLine cl = CommandLines.parse(USAGE, options(), args, out);
    if (cl == null) return 0;
    String model = CommandLines.oneArgument(cl, "ONNX model", USAGE);
    if (!ModelSource.isOnnx(model)) throw new UsageException("expects an ONNX model (a .onnx file), got " + model, USAGE);
    Path spec = CommandLines.outputFile(cl, "o");
    Path weights = cl.hasOption("weights-out") ? CommandLines.outputFile(cl, "weights-out") : beside(spec);
    out = CommandLines.status(out, err, spec, weights);
    if (FileOutput.sameFile(spec, weights)) throw new UsageException("the spec and the weights would both be written to " + spec);
    if (!cl.hasOption("weights-out")) refuseForeignWeights(weights);
    for (Path target : new Path[] {spec, weights}) CommandLines.refuseOverwriting(target, Path.of(model), "the model being imported");
    CommandLines.checkWritable(spec);
    CommandLines.checkWritable(weights);
    // Loading builds the spec's graph and binds the weights to it: nothing is written that would not compile.
    ModelSource source = ModelSource.load(model, Map.of(), java.util.List.of(), CommandLines.preparation(cl));
    // the model's external data files, known once it is read: the reader holds their bytes, so the import would succeed and break the model
    CommandLines.refuseOverwritingInputs(spec, source.files());
    CommandLines.refuseOverwritingInputs(weights, source.files());
    // in this order: Map.of's order changes from one JVM to the next, and the header's bytes with it
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("producer", PRODUCER);
    metadata.put("source", Path.of(model).getFileName().toString());
    // both made whole beside their targets before either is moved into place: a failure leaves neither
    try (FileOutput.Staged w = FileOutput.stage(weights, o -> Safetensors.write(o, source.imported().weights(), metadata));
        FileOutput.Staged s = FileOutput.stage(spec, o -> o.write(source.imported().spec().getBytes(StandardCharsets.UTF_8)))) {
      FileOutput.commitAll(w, s); // both in place, or both as they were
    }
    out.printf("wrote %s (%d layers) and %s (%d tensors)%n", spec, source.graph().nodes().size() - 1, weights, source.imported().weights().size());
    // the weights go with the spec by name: compiled without them, the model got synthetic ones (a note said so, easily missed)
    String jarName = spec.getFileName().toString().replaceFirst("\\.net$", "") + ".jar";
    out.println("compile it: netc compile " + DemoCommand.shellWord(spec.toString()) + " --weights " + DemoCommand.shellWord(weights.toString())
        + " -o " + DemoCommand.shellWord(spec.resolveSibling(jarName).toString()));
    return 0;
  }

  /**
   * Refuses to replace, at the weights' default path (beside the spec, never named by the user), a file an earlier
   * netc import did not write: torchvision's exported weights of the same base name (export_torchvision.py --onnx
   * writes resnet50.safetensors beside resnet50.onnx) were replaced by the importer's tensors, silently. Named with
   * --weights-out, any file is replaced, as the user asked.
   */
  private static void refuseForeignWeights(Path weights) {
    if (!java.nio.file.Files.isRegularFile(weights)) return; // nothing there, or what checkWritable names
    String why;
    try {
      String producer = Safetensors.read(weights).metadata().get("producer");
      if (PRODUCER.equals(producer)) return;
      why = "a file netc import did not write" + (producer == null ? "" : " (its producer: " + producer + ")");
    } catch (netc.runtime.BadInputException e) { // not a safetensors file, or one that cannot be read: not known to be an import's
      why = "a file not known to be an import's (" + e.getMessage() + ")";
    }
    throw new UsageException("writing " + weights + " (the weights' place beside the spec) would replace " + why
        + "; name the weights' file with --weights-out, or move that one");
  }

  /** The producer an import's weights file names in its metadata. */
  private static final String PRODUCER = "netc import";

  /** MODEL.net -> MODEL.safetensors in the same folder. */
  private static Path beside(Path spec) {
    String name = spec.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return spec.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".safetensors");
  }
}
