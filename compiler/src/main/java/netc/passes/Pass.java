package netc.passes;

import netc.ir.Graph;

/** A graph-to-graph rewrite with its metadata; passes are pure: the input graph is never changed. */
public interface Pass {
  /** The name used by --disable-pass and in dumps, e.g. {@code fold-batchnorm}. */
  String name();

  /** The lowest -O level that runs this pass; 0 means it always runs (needed for code generation). */
  int optLevel();

  /** One line for inspect and --help. */
  String description();

  Graph run(Graph graph, PassContext context);
}
