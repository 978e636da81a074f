package netc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import netc.ast.NetcException;
import netc.ir.Graph;
import netc.onnx.ModelSource;
import netc.runtime.Tensor;
import netc.runtime.io.Safetensors;
import netc.weights.SyntheticWeights;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code netc weights init SPEC -o FILE.safetensors [--seed N]}: deterministic synthetic weights. */
final class WeightsCommand implements Main.Command {
  private static final String USAGE = "netc weights init SPEC -o FILE.safetensors [--seed N] [-D name=value]... [--import-path DIR]...";

  @Override
  public String summary() {
    return "write deterministic synthetic weights for a spec (weights init)";
  }

  @Override
  public Options options() {
    return new Options()
        .addOption(CommandLines.defines()).addOption(CommandLines.importPath())
        .addOption(Option.builder("o").longOpt("output").hasArg().argName("FILE").required().desc("where to write the safetensors file").build())
        .addOption(Option.builder().longOpt("seed").hasArg().argName("N").desc("random seed (default 0)").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    Options options = options();
    if (args.length == 0 || !args[0].equals("init")) {
      if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
        options.addOption(CommandLines.help());
        CommandLines.printHelp(USAGE, options, out);
        return 0;
      }
      throw new UsageException("expects the subcommand init", USAGE);
    }
    CommandLine cl = CommandLines.parse(USAGE, options, java.util.Arrays.copyOfRange(args, 1, args.length), out);
    if (cl == null) return 0;
    String spec = CommandLines.oneArgument(cl, "spec", USAGE);
    Path target = CommandLines.outputFile(cl, "o");
    out = CommandLines.status(out, err, target);
    CommandLines.refuseOverwriting(target, Path.of(spec), "the " + (ModelSource.isOnnx(spec) ? "model" : "spec") + " being read");
    CommandLines.checkWritable(target); // before the spec is loaded and its weights made, not after
    long seed; // before the model is read: a typo costs nothing
    try {
      seed = Long.parseLong(cl.getOptionValue("seed", "0"));
    } catch (NumberFormatException e) {
      // a number past a long (9223372036854775808) is one too, but not a seed
      throw new UsageException("--seed " + cl.getOptionValue("seed") + ": expected a whole number from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE,
          USAGE);
    }
    ModelSource source = CommandLines.source(spec, cl);
    CommandLines.refuseOverwritingInputs(target, source.files()); // an import, or an ONNX model's external data
    Graph g = source.graph();
    Map<String, Tensor> tensors = SyntheticWeights.generate(g, seed);
    // in this order: Map.of's order changes from one JVM to the next, and the header's bytes with it
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("producer", "netc weights init");
    metadata.put("network", g.name());
    metadata.put("seed", Long.toString(seed));
    metadata.put(netc.weights.WeightBinding.ORIGIN_KEY, netc.weights.WeightBinding.RANDOM); // compile and run say so
    Safetensors.write(target, tensors, metadata);
    long count = tensors.values().stream().mapToLong(Tensor::size).sum();
    out.printf("wrote %s: %d tensors, %,d values, seed %d%n", target, tensors.size(), count, seed);
    return 0;
  }
}
