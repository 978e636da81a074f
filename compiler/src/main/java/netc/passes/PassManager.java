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

  /** The names of the passes a context runs, in order. */
  public static List<String> enabled(PassContext context) {
    List<String> out = new ArrayList<>();
    for (Pass p : pipeline()) if (context.enabled(p)) out.add(p.name());
    return out;
  }
}
