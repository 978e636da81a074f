package netc.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import netc.ir.Cost;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;
import netc.ir.Shape;
import netc.passes.MemoryPlanner;
import netc.passes.PassContext;
import netc.passes.PassManager;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code netc summary SPEC}: every layer with its output shape, parameters and multiply-accumulates,
 * the totals and the memory. {@code --depth N} nests the rows by block as torchinfo's depth does (the
 * nesting comes from the dotted prefixes of the hierarchical names, {@code layer3.5.conv2}); a block
 * shown collapsed carries its subtree's totals. {@code --optimized} shows the graph after the passes.
 */
final class SummaryCommand implements Main.Command {
  private static final String USAGE = "netc summary SPEC|MODEL.onnx [--depth N] [--optimized] [-D name=value]... [--import-path DIR]... [--imagenet | --mean M --std S] [--resize N] [--bicubic]";

  @Override
  public String summary() {
    return "print every layer (or block, with --depth), its shape, parameters and MACs, the totals and the memory";
  }

  @Override
  public Options options() {
    return CommandLines.addPreparation(new Options()).addOption(CommandLines.defines()).addOption(CommandLines.importPath())
        .addOption(Option.builder().longOpt("depth").hasArg().argName("N")
            .desc("nest the rows by block down to N levels of the dotted layer names (1: the top-level layers and "
                + "blocks, one row each with its totals; 2: one level deeper; ...); default: the flat table of every layer").build())
        .addOption(Option.builder().longOpt("optimized")
            .desc("show the graph after the passes (fused layers, folded batch norms) instead of the graph as parsed").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    int depth = 0;
    if (cl.hasOption("depth")) {
      String v = cl.getOptionValue("depth");
      try {
        depth = Integer.parseInt(v.strip());
      } catch (NumberFormatException e) {
        depth = -1;
      }
      if (depth < 1) throw new UsageException("--depth " + v + ": expects a whole number of levels, 1 or more", USAGE);
    }
    Graph g = CommandLines.graph(CommandLines.oneArgument(cl, "spec", USAGE), cl);
    out.print(render(g, depth, cl.hasOption("optimized")));
    return 0;
  }

  /** Today's flat table of the graph as parsed. */
  static String render(Graph g) {
    return render(g, 0, false);
  }

  /** The table at {@code depth} (0: flat, every layer) of the parsed or optimized graph, totals and memory. */
  static String render(Graph parsed, int depth, boolean optimized) {
    Graph opt = null;
    String passError = null;
    try {
      opt = PassManager.run(parsed, PassContext.defaults());
    } catch (RuntimeException e) {
      passError = e.getMessage();
    }
    if (optimized && opt == null) throw new netc.runtime.BadInputException("--optimized: the passes failed: " + passError);
    Graph g = optimized ? opt : parsed;

    List<Row> rows = new ArrayList<>();
    if (depth == 0) {
      for (Node n : g.nodes()) rows.add(new Row(n.name(), op(n, optimized), n.shape(), n.parameterCount(), Cost.macs(n, g)));
    } else {
      Group root = new Group("", 0);
      for (Node n : g.nodes()) root.add(n, n.name().split("\\."), 0, Cost.macs(n, g), optimized);
      for (Group c : root.children.values()) c.emit(depth, rows);
    }

    int width = "layer".length(), opWidth = 14, shapeWidth = 16;
    for (Row r : rows) {
      width = Math.max(width, r.name.length());
      opWidth = Math.max(opWidth, r.op.length());
      shapeWidth = Math.max(shapeWidth, batched(r.shape).length());
    }
    StringBuilder b = new StringBuilder();
    String row = "%-" + width + "s  %-" + opWidth + "s  %-" + shapeWidth + "s  %12s  %15s%n";
    int rule = width + opWidth + shapeWidth + 35;
    b.append(String.format(java.util.Locale.ROOT, row, "layer", "op", "output", "params", "MACs"));
    b.append("-".repeat(rule)).append('\n');
    for (Row r : rows) {
      // a row of no parameters and no MACs ended in 29 spaces: stripped, as a diff of two summaries showed them
      b.append(String.format(java.util.Locale.ROOT, row, r.name, r.op, batched(r.shape),
          r.params == 0 ? "" : String.format(java.util.Locale.ROOT, "%,d", r.params), r.macs == 0 ? "" : String.format(java.util.Locale.ROOT, "%,d", r.macs))
          .stripTrailing()).append('\n');
    }
    b.append("-".repeat(rule)).append('\n');
    long layers = g.nodes().stream().filter(n -> n.op() != Op.INPUT).count();
    b.append(String.format(java.util.Locale.ROOT, "network %s%s: %d layers, input %s, output %s%n", g.name(), optimized ? " after the passes" : "",
        layers, g.input().shape(), g.output().shape()));
    b.append("input preparation: ").append(preparation(g.input())).append('\n');
    b.append(String.format(java.util.Locale.ROOT, "total parameters: %,d%n", g.parameterCount()));
    b.append(String.format(java.util.Locale.ROOT, "total multiply-accumulates (conv and fc, per image at %s): %,d (%.3f G)%n",
        g.input().shape(), g.macs(), g.macs() / 1e9));
    b.append(String.format(java.util.Locale.ROOT, "parameter memory (float32): %s%n", mb(g.parameterCount() * 4)));
    b.append(String.format(java.util.Locale.ROOT, "input memory per image: %s%n", mb(g.input().shape().size() * 4)));
    b.append(String.format(java.util.Locale.ROOT, "activation memory per image, unplanned (every layer's output): %s%n", mb(unplannedFloats(g) * 4)));
    if (opt != null) {
      long arena = MemoryPlanner.plan(opt, 16).arenaFloats(), scratch = netc.codegen.ModelGenerator.scratchFloats(opt);
      b.append(String.format(java.util.Locale.ROOT, "activation memory per image, planned (the compiled model's arena, blocked layouts): %s%n",
          mb(arena * 4)));
      // what a call holds per image and thread is the arena and the convs' scratch: the workspace compile reports
      if (scratch > 0) {
        b.append(String.format(java.util.Locale.ROOT, "  plus conv scratch (panels, Winograd tiles) %s: a workspace of %s per image and thread%n",
            mb(scratch * 4), mb((arena + scratch) * 4)));
      }
    } else {
      b.append("activation memory per image, planned: unavailable, the passes failed: " + passError + "\n");
    }
    return b.toString();
  }

  /** What the input line states about images: the resize and crop, the normalization; or that tensors are taken as given. */
  static String preparation(Node input) {
    List<String> parts = new ArrayList<>();
    int[] d = input.shape().dims();
    if (input.attrs().has("resize")) {
      parts.add("shorter side resized to " + input.attrs().getInt("resize") + (input.attrs().has("bicubic") ? " (bicubic)" : "")
          + ", center-cropped to " + d[1] + "x" + d[2]);
    } else if (input.attrs().has("bicubic")) {
      parts.add("shorter side resized to " + d[1] + " (bicubic), center-cropped to " + d[1] + "x" + d[2]);
    }
    List<Double> mean = input.attrs().getDoubles("mean");
    if (mean != null) parts.add("normalized with mean " + mean + ", std " + input.attrs().getDoubles("std"));
    return parts.isEmpty() ? "none stated (tensors are taken as given)" : String.join("; ", parts);
  }

  /** Sum of the outputs of every layer (the input excluded), in floats per image. */
  static long unplannedFloats(Graph g) {
    long floats = 0;
    for (Node n : g.nodes()) if (n.op() != Op.INPUT) floats += n.shape().size();
    return floats;
  }

  /** A shape with the batch dimension first: [N, 64, 56, 56]. */
  static String batched(Shape s) {
    StringBuilder b = new StringBuilder("[N");
    for (int d : s.dims()) b.append(", ").append(d);
    return b.append(']').toString();
  }

  /**
   * Bytes, and in binary units as compile (KiB) and inspect --memory (MiB) say memory, so one figure reads the same in all
   * three (the planned arena was 5.34 MB here, 5.09 MiB there).
   */
  private static String mb(long bytes) {
    double mib = bytes / (1024.0 * 1024);
    String unit = mib >= 1024 ? String.format(java.util.Locale.ROOT, "%.2f GiB", mib / 1024)
        : mib >= 1 ? String.format(java.util.Locale.ROOT, "%.2f MiB", mib) : String.format(java.util.Locale.ROOT, "%.2f KiB", bytes / 1024.0);
    return String.format(java.util.Locale.ROOT, "%,d bytes (%s)", bytes, unit);
  }

  /** The op, or after the passes the ops fused into the node: conv+batchnorm+add+relu. */
  private static String op(Node n, boolean optimized) {
    if (!optimized || n.origins().size() < 2) return n.op().spelling();
    Set<String> ops = new LinkedHashSet<>();
    ops.add(n.op().spelling());
    for (Origin o : n.origins()) if (o.op() != Op.INPUT) ops.add(o.op().spelling());
    return String.join("+", ops);
  }

  private record Row(String name, String op, Shape shape, long params, long macs) {}

  /** A dotted prefix of the layer names: its own node (a layer of that exact name), if any, and its children. */
  private static final class Group {
    final String name;
    final int level;
    final Map<String, Group> children = new LinkedHashMap<>();
    Node node;
    String op;
    Shape shape; // the output of the last node in execution order: the block's output
    long params, macs;
    int layers;

    Group(String name, int level) {
      this.name = name;
      this.level = level;
    }

    void add(Node n, String[] parts, int i, long nodeMacs, boolean optimized) {
      shape = n.shape();
      params += n.parameterCount();
      macs += nodeMacs;
      layers++;
      if (i == parts.length) {
        node = n;
        op = op(n, optimized);
        return;
      }
      String childName = name.isEmpty() ? parts[i] : name + "." + parts[i];
      children.computeIfAbsent(parts[i], k -> new Group(childName, level + 1)).add(n, parts, i + 1, nodeMacs, optimized);
    }

    void emit(int depth, List<Row> rows) {
      String indent = "  ".repeat(level - 1);
      boolean leaf = children.isEmpty();
      String kind = leaf ? op
          : node != null ? op + " (+" + (layers - 1) + " nested)" // a layer whose name also prefixes others: input, input.to_padded
          : "block (" + layers + (layers == 1 ? " layer)" : " layers)");
      rows.add(new Row(indent + name, kind, shape, params, macs));
      if (level < depth) for (Group c : children.values()) c.emit(depth, rows);
    }
  }
}
