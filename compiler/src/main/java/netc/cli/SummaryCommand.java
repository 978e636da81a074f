package netc.cli;

import java.io.PrintStream;
import netc.ir.Cost;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** {@code netc summary SPEC}: every layer with its output shape, parameters and multiply-accumulates. */
final class SummaryCommand implements Main.Command {
  private static final String USAGE = "netc summary SPEC [-D name=value]... [--import-path DIR]...";

  @Override
  public String summary() {
    return "print every layer, its shape, parameters and MACs, and the totals";
  }

  @Override
  public Options options() {
    return new Options().addOption(CommandLines.defines()).addOption(CommandLines.importPath());
  }

  @Override
  public int run(String[] args, PrintStream out) {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    Graph g = CommandLines.graph(CommandLines.oneArgument(cl, "spec", USAGE), cl);
    out.print(render(g));
    return 0;
  }

  static String render(Graph g) {
    int width = "layer".length();
    for (Node n : g.nodes()) width = Math.max(width, n.name().length());
    StringBuilder b = new StringBuilder();
    String row = "%-" + width + "s  %-14s  %-12s  %12s  %15s%n";
    b.append(String.format(row, "layer", "op", "output", "params", "MACs"));
    b.append("-".repeat(width + 63)).append('\n');
    for (Node n : g.nodes()) {
      long macs = Cost.macs(n, g);
      b.append(String.format(row, n.name(), n.op().spelling(), n.shape(),
          n.parameterCount() == 0 ? "" : String.format("%,d", n.parameterCount()),
          macs == 0 ? "" : String.format("%,d", macs)));
    }
    b.append("-".repeat(width + 63)).append('\n');
    long layers = g.nodes().stream().filter(n -> n.op() != Op.INPUT).count();
    b.append(String.format("network %s: %d layers, input %s, output %s%n", g.name(), layers, g.input().shape(), g.output().shape()));
    b.append(String.format("total parameters: %,d%n", g.parameterCount()));
    b.append(String.format("total multiply-accumulates (conv and fc, per image at %s): %,d (%.3f G)%n",
        g.input().shape(), g.macs(), g.macs() / 1e9));
    return b.toString();
  }
}
