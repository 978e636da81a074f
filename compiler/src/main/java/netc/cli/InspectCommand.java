package netc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import netc.ir.Graph;
import netc.onnx.ModelSource;
import netc.ir.Node;
import netc.ir.Origin;
import netc.ir.ParamSource;
import netc.passes.Dot;
import netc.passes.Instrument;
import netc.passes.Instruments;
import netc.passes.MemoryPlan;
import netc.passes.MemoryPlanner;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.FileOutput;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code netc inspect SPEC}: what every pass did, the optimized graph, and the memory plan. */
final class InspectCommand implements Main.Command {
  private static final String USAGE = "netc inspect SPEC|MODEL.onnx [-D k=v]... [--import-path DIR]... [-O N] [--disable-pass NAME]... [--print-after-all] [--print-changed] [--print-after NAME] "
      + "[--dump-dir DIR] [--verify-each [--weights W.safetensors]] [--dot FILE.dot] [--svg FILE.svg] [--before] [--memory] [--imagenet | --mean M --std S] [--resize N] [--bicubic] [--block 16]";

  @Override
  public String summary() {
    return "run the passes and show what each did; with its options, the graph after a pass and the memory plan";
  }

  static Options passOptions() {
    return new Options()
        .addOption(CommandLines.defines()).addOption(CommandLines.importPath())
        .addOption(Option.builder("O").hasArg().argName("LEVEL").desc("optimization level: 0 runs only required passes, 1 adds the folds and fusions, 2 (default) all").build())
        .addOption(Option.builder().longOpt("disable-pass").hasArg().argName("NAME").desc("skip a pass (repeatable)").build())
        .addOption(Option.builder().longOpt("block").hasArg().argName("B").desc("channel block of the NCHW{B}c layout: 16, the only one this version's kernels have").build());
  }

  static PassContext context(CommandLine cl, List<Instrument> instruments) {
    // -O 7 ran as 2 and -O -1 skipped the required passes: a level past the passes' is refused, naming it
    int level = CommandLines.whole("-O", cl.getOptionValue("O", "2"), 0, PassContext.MAX_OPT_LEVEL);
    int block;
    try {
      block = Integer.parseInt(cl.getOptionValue("block", "16"));
    } catch (NumberFormatException e) {
      throw new UsageException("--block takes an integer, got " + cl.getOptionValue("block"));
    }
    if (block != 16) throw new UsageException("--block: the kernels of this version are written for 16 (the AVX-512 float vector)");
    Set<String> disabled = new LinkedHashSet<>();
    String[] values = cl.getOptionValues("disable-pass");
    if (values != null) for (String v : values) disabled.addAll(List.of(v.split(",")));
    for (String name : disabled) { // a usage error (exit 2), as --print-after's; PassManager's own check is for the Java API
      if (!PassManager.names().contains(name)) {
        throw new UsageException("unknown pass '" + name + "' in --disable-pass; passes are: " + String.join(", ", PassManager.names()));
      }
    }
    return new PassContext(level, disabled, block, instruments);
  }

  @Override
  public Options options() {
    return CommandLines.addPreparation(passOptions())
        .addOption(Option.builder().longOpt("print-after-all").desc("print the IR after every pass").build())
        .addOption(Option.builder().longOpt("print-changed").desc("after each pass, only the nodes it removed, added or changed, as -/+ lines").build())
        .addOption(Option.builder().longOpt("print-after").hasArg().argName("NAME").desc("print the whole IR after the pass NAME only").build())
        .addOption(Option.builder().longOpt("dump-dir").hasArg().argName("DIR").desc("write the IR of every stage to DIR, NN-PASS.ir (replacing an earlier dump's files, never another file)").build())
        .addOption(Option.builder().longOpt("verify-each").desc("check every pass with the reference interpreter").build())
        .addOption(Option.builder("w").longOpt("weights").hasArg().argName("W.safetensors").desc("weights for --verify-each (default: an ONNX model's own, else synthetic, seed 0)").build())
        .addOption(Option.builder().longOpt("dot").hasArg().argName("FILE.dot").desc("write the optimized graph as Graphviz DOT: per node the fused spec layers, algorithm and tile, layout, MACs and output size; residual joins dashed").build())
        .addOption(Option.builder().longOpt("svg").hasArg().argName("FILE.svg").desc("render the optimized graph as SVG (needs graphviz); its DOT source is left beside it, FILE.dot").build())
        .addOption(Option.builder().longOpt("before").desc("--dot and --svg draw the graph as parsed, before the passes, instead of the optimized one").build())
        .addOption(Option.builder().longOpt("memory").desc("print the memory plan").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    Path dot = cl.hasOption("dot") ? CommandLines.outputFile(cl, "dot") : null;
    Path svg = cl.hasOption("svg") ? CommandLines.outputFile(cl, "svg") : null;
    out = CommandLines.status(out, err, dot, svg); // --dot /dev/stdout: the report goes to standard error, the graph alone to standard output
    boolean before = cl.hasOption("before");
    // refused before the passes run and print, not after
    if (before && dot == null && svg == null) throw new UsageException("--before applies to --dot and --svg; give one of them");
    if (cl.hasOption("w") && !cl.hasOption("verify-each")) throw new UsageException("--weights applies to --verify-each; the passes themselves need no weights");
    // one file for both: the DOT text was written, then replaced by the picture, "wrote" said twice
    if (dot != null && svg != null && !FileOutput.isStandardOutput(dot) && FileOutput.sameFile(dot, svg)) {
      throw new UsageException("--dot and --svg both name " + svg + ": give each its own file (--svg writes its DOT beside it)");
    }
    String spec = CommandLines.oneArgument(cl, "spec", USAGE);
    // every option's value checked before the model is read and --dump-dir made: a refusal costs nothing, leaves nothing
    PassContext checked = context(cl, List.of());
    String printAfter = cl.getOptionValue("print-after");
    if (printAfter != null && !PassManager.names().contains(printAfter)) {
      throw new UsageException("unknown pass '" + printAfter + "' in --print-after; passes are: " + String.join(", ", PassManager.names()));
    }
    if (printAfter != null && !PassManager.enabled(checked).contains(printAfter)) { // it printed nothing and said nothing
      throw new UsageException("--print-after " + printAfter + ": the pass does not run here (" + (checked.disabled().contains(printAfter)
          ? "--disable-pass" : "-O " + checked.optLevel()) + "); passes that run: " + String.join(", ", PassManager.enabled(checked)));
    }
    for (Path p : new Path[] {dot, svg, svg == null ? null : dotBeside(svg)}) {
      if (p == null) continue;
      CommandLines.refuseOverwriting(p, Path.of(spec), "the " + (ModelSource.isOnnx(spec) ? "model" : "spec") + " being inspected");
      CommandLines.refuseOverwriting(p, cl.hasOption("w") ? Path.of(cl.getOptionValue("w")) : null, "the weights being read");
      CommandLines.checkWritable(p);
    }
    ModelSource source = CommandLines.source(spec, cl);
    for (Path p : new Path[] {dot, svg, svg == null ? null : dotBeside(svg)}) CommandLines.refuseOverwritingInputs(p, source.files());
    Graph graph = source.graph();
    List<Instrument> instruments = new ArrayList<>();
    Instruments.NodeCounts counts = new Instruments.NodeCounts();
    instruments.add(counts);
    if (cl.hasOption("print-after-all")) instruments.add(Instruments.printAfterAll(out));
    if (cl.hasOption("print-changed")) instruments.add(Instruments.printChanged(out));
    if (cl.hasOption("print-after")) instruments.add(Instruments.printAfter(cl.getOptionValue("print-after"), out));
    if (cl.hasOption("dump-dir")) {
      Path dir = Path.of(cl.getOptionValue("dump-dir"));
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        // the exception's own message is only the path
        String why = Files.exists(dir) && !Files.isDirectory(dir) ? "it is a file, not a folder" : netc.runtime.io.FileOutput.reason(e);
        throw new BadInputException("cannot create --dump-dir " + dir + ": " + why);
      }
      if (!Files.isWritable(dir)) throw new BadInputException("cannot write to --dump-dir " + dir);
      Instruments.checkDumpDir(dir, PassManager.enabled(checked));
      instruments.add(Instruments.dumpToDir(dir, spec));
    }
    if (cl.hasOption("verify-each")) {
      ParamSource params = CommandLines.params(source, cl.getOptionValue("w"), out, err);
      instruments.add(new Instruments.VerifyEach(params, randomInput(graph, 1), 1e-4, out));
    }
    PassContext context = context(cl, instruments);
    Graph optimized = PassManager.run(graph, context);

    out.println("passes (node count after each, and what each does):");
    out.println(wrapped(String.format(java.util.Locale.ROOT, "  %-26s %4d", counts.stages.get(0), counts.counts.get(0)), ""));
    // in pipeline order, each pass that did not run said so, and why: the list is the whole pipeline, not what ran of it
    for (netc.passes.Pass p : PassManager.pipeline()) {
      int i = counts.stages.indexOf(p.name());
      String count = i < 0 ? "   -" : String.format(java.util.Locale.ROOT, "%4d", counts.counts.get(i));
      String why = i >= 0 ? "" : context.disabled().contains(p.name()) ? "skipped (--disable-pass): " : "skipped (-O " + context.optLevel() + "): ";
      out.println(wrapped(String.format(java.util.Locale.ROOT, "  %-26s %s", p.name(), count), why + p.description()));
    }
    out.printf("%s: %d nodes before the passes, %d after%n", graph.name(), graph.nodes().size(), optimized.nodes().size());
    if (!cl.hasOption("print-changed")) { // the changes already say what each fused node absorbed
      out.println("fused nodes (spec layers each came from):");
      for (Node n : optimized.nodes()) {
        if (n.origins().size() < 2) continue;
        out.printf("  %s:%n", n.name());
        for (Origin o : n.origins()) out.printf("      %s%n", o);
      }
    }
    if (cl.hasOption("memory")) out.print(memoryReport(optimized));
    String picture = before ? Dot.render(graph, "as parsed, before the passes") : Dot.render(optimized, "after the passes");
    if (dot != null) {
      FileOutput.writeString(dot, picture);
      out.println("wrote " + dot + (before ? " (the graph as parsed)" : ""));
    }
    if (svg != null) return svg(picture, svg, out);
    return 0;
  }

  /** The memory plan's value column at its widest: with the other columns, a line of about 100 characters. */
  static final int MAX_VALUE_COLUMN = 60;

  /** {@code s} within {@code width} characters: whole, or its start and end around "...". */
  static String middleCut(String s, int width) {
    if (s.length() <= width) return s;
    int head = (width - 3 + 1) / 2;
    return s.substring(0, head) + "..." + s.substring(s.length() - (width - 3 - head));
  }

  static String memoryReport(Graph g) {
    MemoryPlan plan = MemoryPlanner.plan(g, 16);
    StringBuilder b = new StringBuilder("memory plan (activations of one image, float32):\n");
    List<String> values = new ArrayList<>();
    for (MemoryPlan.Buffer buf : plan.buffers()) values.add(String.join(" = ", buf.values().stream().map(id -> g.node(id).name()).toList()));
    // as wide as the longest (within a line's room): a fixed 32 cut DenseNet's features_denseblock1_denselayer1_norm1, ..._norm2,
    // ... all to the same features_denseblock1_denselay...; a longer one loses its middle, where such names repeat themselves
    int width = Math.max(5, Math.min(MAX_VALUE_COLUMN, values.stream().mapToInt(String::length).max().orElse(0)));
    b.append(String.format(java.util.Locale.ROOT, "  %-" + width + "s %10s  %9s  %s%n", "value", "floats", "offset", "live (nodes)"));
    for (int i = 0; i < values.size(); i++) {
      MemoryPlan.Buffer buf = plan.buffers().get(i);
      // a concat's branch written in place lies inside the concat's buffer: say so, or it reads as an overlap
      String inside = buf.parent() < 0 ? "" : "  inside " + g.node(plan.buffers().get(buf.parent()).values().get(0)).name();
      b.append(String.format(java.util.Locale.ROOT, "  %-" + width + "s %,10d  %,9d  %d-%d%s%n", middleCut(values.get(i), width),
          buf.floats(), buf.offset(), buf.first(), buf.last(), inside));
    }
    long scratch = netc.codegen.ModelGenerator.scratchFloats(g);
    b.append(String.format(java.util.Locale.ROOT, "  peak activation memory per image, planned:      %s%n", mib(plan.arenaFloats())));
    if (scratch > 0) {
      b.append(String.format(java.util.Locale.ROOT, "  plus conv scratch (panels, Winograd tiles):     %s, workspace %s%n", mib(scratch), mib(plan.arenaFloats() + scratch)));
    }
    b.append(String.format(java.util.Locale.ROOT, "  lower bound for this execution order:           %s%n", mib(plan.lowerBoundFloats())));
    b.append(String.format(java.util.Locale.ROOT, "  with in-place sharing but no reuse:             %s%n", mib(plan.withoutReuseFloats())));
    b.append(String.format(java.util.Locale.ROOT, "  before planning (every value its own buffer):   %s%n", mib(plan.withoutPlanningFloats())));
    return b.toString();
  }

  private static String mib(long floats) {
    return String.format(java.util.Locale.ROOT, "%,d bytes (%.2f MiB)", floats * 4, floats * 4 / 1048576.0);
  }

  /** The DOT file --svg writes beside the picture (and leaves there): g.svg's is g.dot. */
  private static Path dotBeside(Path svg) {
    return svg.resolveSibling(svg.getFileName().toString().replaceFirst("\\.svg$", "") + ".dot");
  }

  private static int svg(String picture, Path svg, PrintStream out) throws IOException {
    Path dotFile = dotBeside(svg);
    FileOutput.writeString(dotFile, picture);
    Process p;
    try {
      // the file by its absolute path: a relative one starting with '-' (--svg -g.svg) was read by dot as its options
      // (-o..., -x), and with no file left dot read its standard input, a pipe never closed: netc waited forever.
      // Standard input is empty, whatever dot reads
      java.io.File nothing = new java.io.File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null");
      p = new ProcessBuilder(System.getProperty("netc.dot", "dot"), "-Tsvg", dotFile.toAbsolutePath().toString())
          .redirectInput(ProcessBuilder.Redirect.from(nothing)).start();
    } catch (IOException e) {
      throw new BadInputException("cannot render " + svg + ": Graphviz 'dot' is not installed (apt-get install graphviz); the graph is in " + dotFile);
    }
    try {
      // the picture from dot's standard output, written whole or not at all (dot -o wrote the file in place)
      java.util.concurrent.CompletableFuture<byte[]> log = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return p.getErrorStream().readAllBytes();
        } catch (IOException e) {
          return new byte[0];
        }
      });
      byte[] rendered = p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) throw new BadInputException("dot failed to render " + svg + ": " + new String(log.join()).strip());
      FileOutput.write(svg, o -> o.write(rendered));
      out.println("wrote " + svg);
      return 0;
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** The widest line inspect prints (the IR's long lines wrap at it too). */
  static final int WIDTH = 120;

  /** {@code head}, two spaces and {@code text}, the text's words wrapped at {@link #WIDTH} under its first. */
  static String wrapped(String head, String text) {
    if (text.isEmpty()) return head;
    String indent = " ".repeat(head.length() + 2);
    StringBuilder all = new StringBuilder(head).append(' ');
    int lineStart = 0;
    for (String word : text.split(" ")) {
      if (all.length() - lineStart + 1 + word.length() > WIDTH && all.length() - lineStart > indent.length()) {
        all.append('\n').append(indent);
        lineStart = all.length() - indent.length();
      } else {
        all.append(' ');
      }
      all.append(word);
    }
    return all.toString();
  }

  /** A seeded random input in [0, 1) of the declared shape: the same for every pass. */
  static Tensor randomInput(Graph g, int batch) {
    int[] dims = g.input().shape().dims();
    int[] shape = new int[dims.length + 1];
    shape[0] = batch;
    System.arraycopy(dims, 0, shape, 1, dims.length);
    return Tensor.uniform(1234, shape);
  }
}
