package netc.passes;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.Verifier;

/**
 * Runs the passes in order, skipping the disabled ones, calling the instruments around each and
 * verifying the structure of the graph after every pass. The pipeline reads as a flat list.
 */
public final class PassManager {
  /** The default pipeline, in order. Each pass's file explains its algorithm and legality. */
  public static List<Pass> pipeline() {
    return List.of(
        new EliminateDeadNodes(),
        new FoldBatchNorm(),
        new MergeParallelConvs(), // before the input's normalization folds: a stem of parallel convs is then one conv
        new FoldInputNormalization(),
        new FuseResidual(),
        new FuseActivation(),
        new ComposeGathers(),
        new SelectWinograd(),
        new AssignLayout());
  }

  public static Set<String> names() {
    return pipeline().stream().map(Pass::name).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
  }

  /** Rejects unknown names in --disable-pass with the list of real ones. */
  public static void checkNames(Set<String> disabled) {
    for (String name : disabled) {
      if (!names().contains(name)) {
        throw new NetcException("unknown pass '" + name + "' in --disable-pass; passes are: " + String.join(", ", names()));
      }
    }
  }

  public static Graph run(Graph graph, PassContext context) {
    return run(graph, context, pipeline());
  }

  public static Graph run(Graph graph, PassContext context, List<Pass> passes) {
    checkNames(context.disabled());
    for (Instrument i : context.instruments()) i.start(graph);
    // laid out already: the pipeline's own output, run again (a Java caller can). The passes before assign-layout
    // are written for a graph without its reorders and borders: run again they dropped the input's copies as
    // identities and folded a batch norm or activation that carried a later conv's border into a conv without
    // one, and code generation failed. The output is final, so it is returned as it is.
    if (laidOut(graph)) return graph;
    Graph current = graph;
    for (Pass pass : passes) {
      if (!context.enabled(pass)) continue;
      Graph next = pass.run(current, context);
      Verifier.verify(next, pass.name());
      for (Instrument i : context.instruments()) i.after(pass, current, next);
      current = next;
    }
    return current;
  }

  /** Whether assign-layout has run on the graph: its nodes carry layouts. */
  static boolean laidOut(Graph graph) {
    return graph.nodes().stream().anyMatch(n -> n.attrs().has("layout"));
  }

  /** The names of the passes a context runs, in order. */
  public static List<String> enabled(PassContext context) {
    List<String> out = new ArrayList<>();
    for (Pass p : pipeline()) if (context.enabled(p)) out.add(p.name());
    return out;
  }
}
