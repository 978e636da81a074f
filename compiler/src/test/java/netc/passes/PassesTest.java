package netc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import netc.ast.NetcException;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamExpr;
import netc.runtime.Tensor;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Per pass: the rewritten graph compared structurally with the expected one (as op sequences and
 * attributes), cases where the pass must not fire, and a differential check with the interpreter.
 */
class PassesTest {
  static final PassContext CTX = PassContext.defaults();

  static String ops(Graph g) {
    StringBuilder b = new StringBuilder();
    for (Node n : g.nodes()) {
      b.append(b.length() == 0 ? "" : " ").append(n.op().spelling());
      if (n.attrs().has("act")) b.append("+").append(n.attrs().getString("act", ""));
      if (n.attrs().has("residual")) b.append("+res");
    }
    return b.toString();
  }

  /** Max |before - after| relative to max |before| on a seeded input and synthetic weights. */
  static double differential(Graph before, Graph after) {
    var w = SyntheticWeights.source(before, 11);
    Tensor x = InputsForTests.random(before, 2);
    Tensor a = Interpreter.run(before, w, x);
    Tensor b = Interpreter.run(after, w, x);
    return a.maxAbsDiff(b) / a.maxAbs();
  }

  @Test
  void foldBatchNormIntoConv() {
    Graph before = Specs.fromText("input(3, 8, 8)\nc: conv(4, 3, padding = 1)\nbn: batchnorm()\nrelu()");
    Graph after = new FoldBatchNorm().run(before, CTX);
    assertEquals("input conv relu", ops(after));
    Node conv = after.nodes().get(1);
    assertTrue(conv.param("weight") instanceof ParamExpr.BnScaledWeight);
    assertTrue(conv.param("bias") instanceof ParamExpr.BnShiftedBias);
    assertEquals(List.of("c", "bn"), conv.origins().stream().map(o -> o.layer()).toList());
    assertTrue(differential(before, after) < 1e-6);
  }

  /**
   * RepVGG's block, a 3x3 and a 1x1 conv with batch norms and the input's batch norm, added: after the batch
   * norms fold, one 3x3 conv whose kernel is the three added (the 1x1 and the identity at its center), with
   * every spec layer among its origins; the same outputs. A sum of two 3x3s and the input itself too.
   */
  @Test
  void mergeParallelConvsMakesRepVggsBlockOneConv() {
    Graph before = Specs.fromText("""
        input(8, 8, 8)
        sum {
            dense: conv(8, 3, padding = 1, bias = false)
            dense_bn: batchnorm()
        } and {
            one: conv(8, 1, bias = false)
            one_bn: batchnorm()
        } and {
            id_bn: batchnorm()
        }
        relu()
        """);
    Graph folded = new FoldBatchNorm().run(before, CTX);
    assertEquals("input conv conv batchnorm add add relu", ops(folded));
    Graph after = new MergeParallelConvs().run(folded, CTX);
    assertEquals("input conv relu", ops(after));
    Node conv = after.nodes().get(1);
    assertEquals(List.of(3, 3), conv.attrs().getInts("kernel"));
    assertEquals(List.of(1, 1), conv.attrs().getInts("padding"));
    assertTrue(conv.param("weight") instanceof ParamExpr.Sum s && s.terms().size() == 3, conv.param("weight").describe());
    assertEquals(List.of("dense", "dense_bn", "one", "one_bn", "add", "id_bn", "add_1"), conv.origins().stream().map(o -> o.layer()).toList());
    assertTrue(differential(before, after) < 1e-6, "merged: " + differential(before, after));
    // and through the whole pipeline, Winograd taking the merged 3x3
    Graph all = PassManager.run(before, CTX);
    assertEquals("input reorder conv+relu reorder", ops(all)); // the reorders: assign-layout's, in and out of the blocked layout
    assertTrue(differential(before, all) < 1e-5);

    Graph plain = Specs.fromText("input(4, 8, 8)\nsum { a: conv(4, 3, padding = 1) } and { b: conv(4, 5, padding = 2) } and { }");
    Graph merged = new MergeParallelConvs().run(plain, CTX);
    assertEquals("input conv", ops(merged));
    assertEquals(List.of(5, 5), merged.nodes().get(1).attrs().getInts("kernel"));
    assertTrue(differential(plain, merged) < 1e-6);
    // a batch norm after the sum folds into the merged conv (ACNet's and DBB's blocks have one there); not with
    // fold-batchnorm disabled
    Graph normed = Specs.fromText("input(4, 8, 8)\nsum { a: conv(4, 3, padding = 1) } and { b: conv(4, 1) }\nbn: batchnorm()\nrelu()");
    Graph normedMerged = new MergeParallelConvs().run(normed, CTX);
    assertEquals("input conv relu", ops(normedMerged));
    assertTrue(normedMerged.nodes().get(1).param("weight") instanceof ParamExpr.BnScaledWeight w && w.weight() instanceof ParamExpr.Sum,
        normedMerged.nodes().get(1).param("weight").describe());
    assertEquals(List.of("a", "b", "add", "bn"), normedMerged.nodes().get(1).origins().stream().map(o -> o.layer()).toList());
    assertTrue(differential(normed, normedMerged) < 1e-6, "merged and folded: " + differential(normed, normedMerged));
    PassContext noFold = new PassContext(CTX.optLevel(), Set.of("fold-batchnorm"), CTX.block(), List.of());
    assertEquals("input conv batchnorm relu", ops(new MergeParallelConvs().run(normed, noFold)));
    Graph inputNorm = Specs.fromText("input(4, 8, 8)\nsum { conv(4, 3, padding = 1) } and { batchnorm() }");
    assertEquals("input conv batchnorm add", ops(new MergeParallelConvs().run(inputNorm, noFold)), "the input's batch norm kept too");
    // the order of a sum's branches does not decide what merges: a 1x3 and a 3x1 (neither within the other) before a
    // 3x3 (ACNet's block) merge into it, the sum's adds regrouped; two 3x3s after a branch ending in relu merge too
    for (String branches : List.of("{ h: conv(8, [1, 3], padding = [0, 1]) } and { v: conv(8, [3, 1], padding = [1, 0]) } and { s: conv(8, 3, padding = 1) }",
        "{ s: conv(8, 3, padding = 1) } and { h: conv(8, [1, 3], padding = [0, 1]) } and { v: conv(8, [3, 1], padding = [1, 0]) }",
        "{ h: conv(8, [1, 3], padding = [0, 1]) } and { s: conv(8, 3, padding = 1) } and { v: conv(8, [3, 1], padding = [1, 0]) } and { }")) {
      Graph acnet = Specs.fromText("input(8, 8, 8)\nsum " + branches + "\nbn: batchnorm()");
      Graph acnetMerged = new MergeParallelConvs().run(acnet, CTX);
      assertEquals("input conv", ops(acnetMerged), branches);
      assertEquals(List.of(3, 3), acnetMerged.nodes().get(1).attrs().getInts("kernel"));
      assertTrue(acnetMerged.nodes().get(1).origins().stream().map(o -> o.layer()).toList().containsAll(List.of("h", "v", "s", "bn")));
      assertTrue(differential(acnet, acnetMerged) < 1e-6, branches + ": " + differential(acnet, acnetMerged));
    }
    Graph afterRelu = Specs.fromText("input(8, 8, 8)\nsum { conv(8, 3, padding = 1)  relu() } and { conv(8, 3, padding = 1) } and { conv(8, 1) }");
    Graph afterReluMerged = new MergeParallelConvs().run(afterRelu, CTX);
    assertEquals(2, afterReluMerged.nodes().stream().filter(n -> n.op() == Op.CONV).count(), ops(afterReluMerged));
    assertEquals(1, afterReluMerged.nodes().stream().filter(n -> n.op() == Op.ADD).count(), ops(afterReluMerged));
    assertTrue(differential(afterRelu, afterReluMerged) < 1e-6);
    // a grouped conv and the input's batch norm: the scaled identity within each group
    Graph groupedNorm = Specs.fromText("input(8, 6, 6)\nsum { conv(8, 3, padding = 1, groups = 4) } and { batchnorm() } and { conv(8, 1, groups = 2) }");
    Graph groupedNormMerged = new MergeParallelConvs().run(groupedNorm, CTX);
    assertEquals("input conv conv add", ops(groupedNormMerged), "groups 4 and 2 do not merge; the batch norm does");
    assertTrue(differential(groupedNorm, groupedNormMerged) < 1e-6);
    Graph depthwise = Specs.fromText("input(8, 6, 6)\nsum { conv(8, 3, padding = 1, groups = 8) } and { batchnorm() } and { conv(8, 1, groups = 8) }");
    Graph depthwiseMerged = new MergeParallelConvs().run(depthwise, CTX);
    assertEquals("input conv", ops(depthwiseMerged));
    assertTrue(differential(depthwise, depthwiseMerged) < 1e-6);
    // a grouped conv and the input: the identity within each group
    Graph grouped = Specs.fromText("input(8, 6, 6)\nsum { a: conv(8, 3, padding = 1, groups = 4) } and { }");
    Graph groupedMerged = new MergeParallelConvs().run(grouped, CTX);
    assertEquals("input conv", ops(groupedMerged));
    assertTrue(differential(grouped, groupedMerged) < 1e-6);
  }

  /**
   * Where the windows differ or a branch does more than a conv, the add stays: an activation in a branch, a
   * dilated conv, a padding that is not half the kernel on each side (the windows' centers differ), an even
   * kernel, convs of other groups, a 1x3 beside a 3x1 (merged, a 3x3 of more multiply-adds than both), the
   * input's batch norm followed by an activation. Strided convs of one stride merge; so does a residual whose main path is one conv of the input
   * (the identity kernel), but not one whose conv reads another node.
   */
  @Test
  void mergeParallelConvsMustNotFire() {
    for (String spec : List.of(
        "input(4, 8, 8)\nsum { conv(4, 3, padding = 1)  relu() } and { conv(4, 1) }",
        "input(4, 8, 8)\nsum { conv(4, 3, padding = 2, dilation = 2) } and { conv(4, 1) }",
        "input(4, 8, 8)\nsum { conv(4, 3, padding = [0, 0, 2, 2]) } and { conv(4, 1) }",
        "input(4, 8, 8)\nsum { conv(4, 2, padding = [0, 0, 1, 1]) } and { conv(4, 1) }",
        "input(4, 8, 8)\nsum { conv(4, 3, padding = 1, groups = 2) } and { conv(4, 1) }",
        "input(4, 8, 8)\nsum { conv(4, [1, 3], padding = [0, 1]) } and { conv(4, [3, 1], padding = [1, 0]) }",
        "input(4, 8, 8)\nsum { conv(4, 3, padding = 1) } and { batchnorm()  relu() }")) {
      Graph g = Specs.fromText(spec);
      Graph after = new MergeParallelConvs().run(g, CTX);
      assertEquals(ops(g), ops(after), spec);
    }
    // a sum that stays has its add fused into a conv as a residual's is, marked a sum: inspect's picture draws no residual
    Graph kept = PassManager.run(Specs.fromText("input(4, 8, 8)\nsum { conv(4, 3, padding = 1)  relu() } and { conv(4, 1) }"), CTX);
    Node joined = kept.nodes().stream().filter(n -> n.attrs().has("residual")).findFirst().orElseThrow();
    assertTrue(joined.attrs().has("sum") && !Dot.isResidual(joined, 1), joined.toString());
    Graph strided = Specs.fromText("input(4, 8, 8)\nsum { conv(4, 3, stride = 2, padding = 1) } and { conv(4, 1, stride = 2) }");
    Graph stridedMerged = new MergeParallelConvs().run(strided, CTX);
    assertEquals("input conv", ops(stridedMerged));
    assertTrue(differential(strided, stridedMerged) < 1e-6);
    Graph residual = Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nresidual { conv(4, 3, padding = 1) }\nresidual { conv(4, 1)  conv(4, 3, padding = 1) }");
    Graph residualMerged = new MergeParallelConvs().run(residual, CTX);
    assertEquals("input conv conv conv conv add", ops(residualMerged), "the first residual merged, the second's conv reads another node");
    assertTrue(differential(residual, residualMerged) < 1e-6);
  }

  @Test
  void foldBatchNormMustNotFire() {
    // the conv's output has a second consumer: the other user needs the unscaled value
    Graph shared = Specs.fromText("input(4, 8, 8)\nresidual {\n c: conv(4, 3, padding = 1)\n bn: batchnorm()\n}");
    Graph twoUses = Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nresidual {\n bn: batchnorm()\n}");
    assertEquals(ops(twoUses), ops(new FoldBatchNorm().run(twoUses, CTX)));
    assertEquals("input conv add", ops(new FoldBatchNorm().run(shared, CTX)));
    // a batch norm with no conv before it
    Graph noConv = Specs.fromText("input(4, 8, 8)\nrelu()\nbn: batchnorm()");
    assertEquals("input relu batchnorm", ops(new FoldBatchNorm().run(noConv, CTX)));
    // a conv whose epilogue already has an activation
    Graph fused = new FuseActivation().run(Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nrelu()\nbn: batchnorm()"), CTX);
    assertEquals("input conv+relu batchnorm", ops(new FoldBatchNorm().run(fused, CTX)));
    // a batch norm with an activation of its own (fused where the batch norm stood alone, or by a pipeline run again):
    // folded, the conv would drop the activation
    Graph bnRelu = Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nchannels(0, 4)\nbn: batchnorm()\nrelu()");
    Graph actOnBn = new ComposeGathers().run(new FuseActivation().run(bnRelu, CTX), CTX);
    assertEquals("input conv batchnorm+relu", ops(actOnBn));
    Graph again = new FoldBatchNorm().run(actOnBn, CTX);
    assertEquals("input conv batchnorm+relu", ops(again));
    assertTrue(differential(bnRelu, again) < 1e-6);
  }

  /** An add that applies an activation already keeps it: the residual conv it would become has only the conv's epilogue. */
  @Test
  void fuseResidualKeepsAnAddsActivation() {
    Graph before = Specs.fromText("input(16, 8, 8)\nresidual {\n c: conv(16, 3, padding = 1)\n channels(0, 16)\n}\nrelu()");
    Graph actOnAdd = new ComposeGathers().run(new FuseActivation().run(before, CTX), CTX);
    assertEquals("input conv add+relu", ops(actOnAdd));
    Graph again = new FuseResidual().run(actOnAdd, CTX);
    assertEquals("input conv add+relu", ops(again));
    assertTrue(differential(before, again) < 1e-6);
    // the whole pipeline run on its own output keeps it too
    Graph twice = PassManager.run(PassManager.run(before, CTX), CTX);
    assertTrue(ops(twice).contains("+relu"), ops(twice));
  }

  /**
   * The pipeline run on its own output changes nothing: assign-layout added a second normalizing reorder
   * after the first (the input normalized twice), or a blocked copy of the padded input copy with a zero
   * border where the first filled it with the mean.
   */
  @Test
  void thePipelineRunOnItsOwnOutputChangesNothing() {
    for (String spec : List.of("input(3, 8, 8, mean = [0.5, 0.4, 0.3], std = [0.2, 0.2, 0.2])\nmaxpool(2)",
        "input(3, 16, 16, mean = [0.5, 0.4, 0.3], std = [0.2, 0.2, 0.2])\nc: conv(8, 7, stride = 2, padding = 3)\nrelu()\nmaxpool(3, stride = 2, padding = 1)",
        // the input's copies are no identities, though their layouts match (dropped, code generation failed)
        "input(3, 8, 8)\nflatten()\nfc(2)", "input(3, 8, 8)\nmaxpool(1)",
        // a batch norm or activation that a whole-map channel move kept apart from its conv the first time, and that
        // carries the next conv's border (folded the second time, the border lost with it)
        "input(16, 8, 8)\nc: conv(16, 1)\nchannels(0, 16)\nbn: batchnorm()\nconv(16, 3, padding = 1)",
        "input(16, 8, 8)\nc: conv(16, 1)\nchannels(0, 16)\nrelu()\nconv(16, 3, padding = 1)")) {
      Graph once = PassManager.run(Specs.fromText(spec), CTX);
      Graph twice = PassManager.run(once, CTX);
      assertEquals(ops(once), ops(twice), spec);
      assertEquals(once.nodes().stream().map(n -> n.name() + " " + n.attrs()).toList(), twice.nodes().stream().map(n -> n.name() + " " + n.attrs()).toList());
    }
  }

  @Test
  void fuseActivationIntoConvAndFc() {
    Graph before = Specs.fromText("input(3, 8, 8)\nc: conv(4, 3)\nleaky_relu(0.2)\nflatten()\nf: fc(5)\nsigmoid()");
    Graph after = new FuseActivation().run(before, CTX);
    assertEquals("input conv+leaky_relu flatten fc+sigmoid", ops(after));
    assertEquals(0.2, after.nodes().get(1).attrs().getDouble("slope"));
    assertTrue(differential(before, after) < 1e-7);
    // must not fire: the conv output is also used by the add
    Graph shared = Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nresidual {\n relu()\n}");
    assertEquals("input conv relu add", ops(new FuseActivation().run(shared, CTX)));
  }

  /**
   * The description lists every activation the pass fuses, and the pass fuses every one it lists: it
   * named five while silu, hardsigmoid, hardswish and gelu fused too.
   */
  @Test
  void fuseActivationSaysWhatItFuses() {
    String d = new FuseActivation().description();
    assertEquals("apply relu/sigmoid/tanh/leaky_relu/clip(0, max)/silu/hardsigmoid/hardswish/gelu as the conv, batchnorm, add or fc "
        + "before it stores", d);
    for (Op op : Op.values()) {
      if (!op.isActivation()) continue;
      String call = op == Op.CLIP ? "clip(0, 6)" : op.spelling() + "()";
      assertTrue(d.contains(op == Op.CLIP ? "clip(0, max)" : op.spelling()), op + " in " + d);
      Graph after = new FuseActivation().run(Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\n" + call), CTX);
      assertEquals("input conv+" + op.spelling(), ops(after), call);
    }
  }

  @Test
  void fuseActivationIntoStandaloneBatchNormAndAdd() {
    // DenseNet's pre-activation: a batch norm after a relu has no conv to fold into, but carries its relu
    Graph before = Specs.fromText("input(4, 8, 8)\nc: conv(4, 1)\nrelu()\nbn: batchnorm()\nrelu()\nresidual {\n tanh()\n}\nleaky_relu(0.3)");
    Graph after = new FuseActivation().run(before, CTX);
    assertEquals("input conv+relu batchnorm+relu tanh add+leaky_relu", ops(after));
    assertEquals(0.3, after.nodes().get(4).attrs().getDouble("slope"));
    assertTrue(differential(before, after) < 1e-7);
    // must not fire: the batch norm's output is also the add's
    Graph shared = Specs.fromText("input(4, 8, 8)\nrelu()\nbn: batchnorm()\nresidual {\n relu()\n}");
    assertEquals("input relu batchnorm relu add", ops(new FuseActivation().run(shared, CTX)));
  }

  @Test
  void fuseResidualTakesTheLaterConv() {
    Graph before = new FoldBatchNorm().run(Specs.example("resnet18", Map.of("width", "8", "size", "32", "classes", "4")), CTX);
    Graph after = new FuseResidual().run(before, CTX);
    assertFalse(ops(after).contains("add"));
    Node proj = after.nodes().stream().filter(n -> n.name().equals("layer2.0.downsample.0")).findFirst().orElseThrow();
    assertTrue(proj.attrs().has("residual"), "the projection is later in the order than conv2, so it takes the add");
    assertEquals("layer2.0.bn2", after.node(proj.input(1)).origins().get(1).layer());
    assertTrue(differential(before, after) < 1e-6);
  }

  @Test
  void fuseResidualMustNotFireAfterAnActivation() {
    // tanh(conv) + x cannot become conv's epilogue: the activation would have to precede the add
    Graph g = new FuseActivation().run(Specs.fromText("input(4, 8, 8)\nresidual {\n c: conv(4, 3, padding = 1)\n tanh()\n}"), CTX);
    assertEquals("input conv+tanh add", ops(new FuseResidual().run(g, CTX)));
  }

  @Test
  void foldInputNormalizationPadsWithTheMean() {
    Graph before = Specs.fromText("input(3, 6, 6, mean = [0.4, 0.5, 0.6], std = [0.2, 0.3, 0.4])\nc: conv(4, 3, stride = 2, padding = 1)");
    Graph after = new FoldInputNormalization().run(before, CTX);
    Node conv = after.nodes().get(1);
    assertEquals(List.of(0.4, 0.5, 0.6), conv.attrs().getDoubles("pad_value"));
    assertTrue(after.input().attrs().has("normalization_folded"));
    // the border is where a fold without the pad value would go wrong; this input has a 1-pixel border
    assertTrue(differential(before, after) < 1e-6, "exact including the padded border");
    // must not fire when the input has another user
    Graph twoUsers = Specs.fromText("input(3, 6, 6, mean = [0.4, 0.5, 0.6], std = [0.2, 0.3, 0.4])\nresidual {\n c: conv(3, 1)\n}");
    assertSame(twoUsers, new FoldInputNormalization().run(twoUsers, CTX));
  }

  @Test
  void eliminateDeadNodesAndIdentities() {
    Graph before = Specs.fromText("input(3, 8, 8)\nmaxpool(1)\nc: conv(4, 1)\nflatten()\nflatten()\nfc(2)");
    Graph after = new EliminateDeadNodes().run(before, CTX);
    assertEquals("input conv flatten fc", ops(after));
    assertTrue(differential(before, after) == 0);
    // after assign-layout, an unfolded normalization is a reorder that keeps the layout but computes (x - mean) / std
    Graph laid = new AssignLayout().run(Specs.fromText("input(3, 6, 6, mean = [0.4, 0.5, 0.6], std = [0.2, 0.3, 0.4])\nresidual {\n c: conv(3, 1)\n}"), CTX);
    assertTrue(laid.nodes().stream().anyMatch(n -> n.op() == Op.REORDER && n.attrs().has("normalize")), laid.toString());
    assertEquals(ops(laid), ops(new EliminateDeadNodes().run(laid, CTX)), "the normalizing reorder is no identity");
  }

  /**
   * ShuffleNetV2's units (lang/valid/channel_shuffle.net: a stride-2 unit, then three of 48 channels,
   * halves of 24 that start mid-block): every split, concat and shuffle composed, so what is left to
   * copy is the half each unit's branch reads and the map the last conv reads, each gathered from the
   * nodes that computed its channels. A gather copies, so the outputs are equal to the bit.
   */
  @Test
  void composeGathersLeavesOneCopyAUnit() throws java.io.IOException {
    String units = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/lang/valid/channel_shuffle.net"));
    Graph before = Specs.fromText(units.replace("unit: shuffle_unit(48)", "u1: shuffle_unit(48)\nu2: shuffle_unit(48)\nu3: shuffle_unit(48)\nconv(8, 1)"));
    assertEquals(List.of(6L, 4L, 4L), List.of(count(before, Op.CHANNELS), count(before, Op.CONCAT), count(before, Op.CHANNEL_SHUFFLE)));
    Graph after = new ComposeGathers().run(before, CTX);
    assertEquals(List.of(0L, 0L, 0L, 4L),
        List.of(count(after, Op.CHANNELS), count(after, Op.CONCAT), count(after, Op.CHANNEL_SHUFFLE), count(after, Op.GATHER)));
    for (Node n : after.nodes()) {
      if (n.op() != Op.GATHER) continue;
      for (int in : n.inputs()) assertFalse(ComposeGathers.isMove(after.node(in).op()), n.name() + " reads a move");
    }
    Node last = after.node(after.output().input(0));
    assertEquals(Op.GATHER, last.op());
    assertTrue(last.inputs().size() >= 4, "u3's shuffle reads the branches of every unit: " + last.inputs());
    assertEquals(0, differential(before, after));
  }

  /**
   * A shuffle in one group and all channels in order are their input, and go; a concat that a conv
   * reads stays (its branches may be written in place), while a move reading it reads past it.
   */
  @Test
  void composeGathersDropsIdentitiesAndKeepsConcatsOthersRead() {
    Graph before = Specs.fromText("""
        input(4, 6, 6)
        channel_shuffle(1)
        channels(0, 4)
        concat {
            x: conv(5, 1)
        } and {
            y: conv(6, 1)
        }
        concat {
            c: conv(3, 1)
        } and {
            channels(2, 9)
        }
        """);
    Graph after = new ComposeGathers().run(before, CTX);
    assertEquals("input conv conv concat conv gather concat", ops(after));
    Node gather = after.nodes().get(5);
    assertEquals(List.of("x", "y"), gather.inputs().stream().map(i -> after.node(i).name()).toList());
    // x's channels 2..4 to 0..2, y's 0..3 to 3..6: a run each
    assertEquals(List.of(0, 2, 1, 0, 1, 3, 1, 0, 1, 3, 1, 4), gather.attrs().getInts("runs"));
    assertEquals(0, differential(before, after));
    // a concat's branch that the channels() after it skips is read by nobody once that reads past the concat:
    // removed with the concat (it was left, and computed on every call)
    Graph skipped = Specs.fromText("input(4, 6, 6)\nconcat {\n x: conv(5, 1)\n} and {\n y: conv(6, 1)\n relu()\n}\nchannels(0, 5)\nc: conv(3, 1)");
    Graph composed = new ComposeGathers().run(skipped, CTX);
    assertEquals("input conv conv", ops(composed));
    assertEquals(List.of("input", "x", "c"), composed.nodes().stream().map(Node::name).toList());
    assertEquals(0, differential(skipped, composed));
    // nothing to compose: the same graph back
    Graph plain = Specs.fromText("input(3, 8, 8)\nc: conv(4, 1)");
    assertSame(plain, new ComposeGathers().run(plain, CTX));
  }

  private static long count(Graph g, Op op) {
    return g.nodes().stream().filter(n -> n.op() == op).count();
  }

  @Test
  void layoutBlocksFeatureMapsAndBordersPaddedInputs() {
    Graph g = PassManager.run(Specs.example("resnet18", Map.of("width", "8", "size", "32", "classes", "4")), CTX);
    Node pad = g.nodes().get(1);
    assertEquals(Op.REORDER, pad.op());
    assertEquals(List.of(3, 3), pad.attrs().getInts("halo"), "the 7x7 stem reads a 3-pixel border");
    assertEquals(List.of(0.485, 0.456, 0.406), pad.attrs().getDoubles("pad_value"));
    for (Node n : g.nodes()) {
      if (n.op() == Op.CONV) assertEquals("nchw16c", n.attrs().getString("layout", ""), n.name());
    }
    Node maxpool = g.nodes().stream().filter(n -> n.op() == Op.MAXPOOL).findFirst().orElseThrow();
    assertEquals(List.of(1, 1), maxpool.attrs().getInts("halo"), "layer1.0.conv1 is a 3x3 with padding 1");
    assertEquals(1, g.nodes().stream().filter(n -> n.op() == Op.REORDER).count(), "no reorder but the stem's border");
  }

  @Test
  void layoutReordersOnlyWhereNeeded() {
    Graph g = PassManager.run(Specs.fromText("input(3, 8, 8)\nc: conv(16, 3)\nflatten()\nfc(2)"), CTX);
    assertEquals("input conv reorder flatten fc", ops(g), "a 6x6 blocked map is reordered before flatten");
    Graph ends = PassManager.run(Specs.fromText("input(3, 8, 8)\nc: conv(16, 1)"), CTX);
    assertEquals("input conv reorder", ops(ends), "the output is given back in NCHW");
  }

  @Test
  void passManagerHonoursLevelsAndDisabledPasses() {
    Graph g = Specs.example("resnet18", Map.of("width", "8", "size", "32"));
    Graph o0 = PassManager.run(g, new PassContext(0, Set.of(), 16, List.of()));
    assertTrue(ops(o0).contains("batchnorm"), "-O0 folds nothing");
    Graph noFold = PassManager.run(g, new PassContext(2, Set.of("fold-batchnorm"), 16, List.of()));
    assertTrue(ops(noFold).contains("batchnorm"));
    NetcException e = assertThrows(NetcException.class, () -> PassManager.run(g, new PassContext(2, Set.of("fold-bn"), 16, List.of())));
    assertTrue(e.getMessage().startsWith("unknown pass 'fold-bn' in --disable-pass; passes are: eliminate-dead-nodes,"), e.getMessage());
    // a block other than the kernels' 16 would size buffers in its multiples that the generated code overruns (Geometry's 16 a pixel)
    IllegalArgumentException block = assertThrows(IllegalArgumentException.class, () -> new PassContext(2, Set.of(), 8, List.of()));
    assertEquals("block 8: the kernels of this version are written for 16", block.getMessage());
  }

  @Test
  void winogradMarksOnlyStrideOne3x3ConvsOnBlockedInputs() {
    Graph g = Specs.fromText(String.join("\n",
        "input(3, 16, 16)",
        "stem: conv(32, 3, padding = 1)",          // reads the caller's NCHW input: stays direct
        "a: conv(32, 3, padding = 1)",             // the case Winograd is for
        "b: conv(32, 3, stride = 2, padding = 1)", // strided
        "c: conv(32, 3, padding = 1, groups = 4)", // grouped
        "d: conv(16, 1)",                          // 1x1
        "e: conv(16, 3, padding = 2, dilation = 2)",
        "one: conv(32, 3, padding = 1)",           // 16 input channels, one block: stays direct
        "f: conv(32, 3)"));                        // no padding, odd output: 6x6 -> fine, 3x3 tiles
    Graph after = new SelectWinograd().run(g, CTX);
    List<String> marked = after.nodes().stream().filter(n -> n.attrs().has("algo")).map(Node::name).toList();
    assertEquals(List.of("a", "f"), marked);
    double err = differential(g, after);
    assertTrue(err > 0 && err < 1e-5, "float32 Winograd differs from the direct conv by rounding only: " + err);
    assertEquals(List.of(2, 2), PassManager.run(Specs.fromText("input(32, 7, 7)\nx: relu()\na: conv(32, 3, padding = 1)"), CTX)
        .nodes().stream().filter(n -> n.name().equals("x")).findFirst().orElseThrow().attrs().getInts("halo"),
        "a 7x7 output in 2x2 tiles reads one row and column past the padding: a border of 2");
  }

  /**
   * A Winograd conv without padding reads past its input too where its output is no multiple of
   * the tile: a 30x30 output of 4x4 tiles reads rows and columns 32 and 33 of a 32x32 input, which
   * had no border (the halo pass skipped unpadded convs) and so read the next block's rows or the
   * next tensor in the arena, feeding the kept outputs in float32. Its input now has a border of 2
   * (zeroed), and the compiled model agrees with the reference interpreter.
   */
  @Test
  void anUnpaddedWinogradConvReadsOnlyItsInputsBorder() {
    String spec = "input(32, 32, 32)\nx: relu()\ny: conv(32, 3)\nz: conv(32, 3)"; // 30x30 (4x4 tiles), 28x28 (4x4, a multiple)
    Graph after = PassManager.run(Specs.fromText(spec), CTX);
    java.util.function.Function<String, Node> node = name -> after.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    assertEquals("winograd", node.apply("y").attrs().getString("algo", ""));
    assertEquals(4, node.apply("y").attrs().getInt("tile"));
    assertEquals(List.of(2, 2), node.apply("x").attrs().getInts("halo"), "30 = 7 x 4 + 2: two rows and columns past the map");
    assertEquals("winograd", node.apply("z").attrs().getString("algo", ""));
    assertEquals(List.of(0, 0), node.apply("y").attrs().has("halo") ? node.apply("y").attrs().getInts("halo") : List.of(0, 0),
        "28 = 7 x 4: no border for z's input");
  }

  /**
   * F(4x4,3x3) for maps of at least 32 tiles of 4x4, F(2x2,3x3) below; the 4x4 tiles of a 30x30
   * output read two rows and columns past the padding, so the input's border is 3.
   */
  @Test
  void winogradTakes4x4TilesOnLargeMaps() {
    Graph g = Specs.fromText(String.join("\n",
        "input(32, 30, 30)",
        "x: relu()",
        "big: conv(32, 3, padding = 1)",     // 30x30: 8 x 8 = 64 tiles of 4x4
        "pool: maxpool(2)",
        "small: conv(32, 3, padding = 1)")); // 15x15: 16 tiles
    Graph after = PassManager.run(g, CTX);
    java.util.function.Function<String, Node> node = name -> after.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    assertEquals(4, node.apply("big").attrs().getInt("tile"));
    assertEquals(2, node.apply("small").attrs().getInt("tile"));
    assertEquals(List.of(3, 3), node.apply("x").attrs().getInts("halo"));
    double err = differential(g, new SelectWinograd().run(g, CTX));
    assertTrue(err > 0 && err < 1e-5, "float32 F(4x4,3x3) differs from the direct conv by rounding only: " + err);
  }

  /** The whole pipeline keeps every example network's output within 1e-4 of the unoptimized result. */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "smallnet"})
  void pipelineKeepsEveryExampleNetworksOutput(String net) {
    Map<String, String> small = net.equals("smallnet") ? Map.of() : Map.of("width", "8", "size", "32", "classes", "10");
    Graph before = Specs.example(net, small);
    Graph after = PassManager.run(before, CTX);
    assertTrue(after.nodes().size() < before.nodes().size());
    double err = differential(before, after);
    assertTrue(err < 1e-4, net + ": relative error " + err);
  }

  @Test
  void memoryPlanReusesBuffersAndMeetsTheBound() {
    Graph g = PassManager.run(Specs.example("resnet50", Map.of()), CTX);
    MemoryPlan plan = MemoryPlanner.plan(g, 16);
    assertTrue(plan.arenaFloats() >= plan.lowerBoundFloats());
    assertEquals(plan.lowerBoundFloats(), plan.arenaFloats(), "greedy-by-size meets the bound on resnet50 (both from the aligned base): printed equal");
    for (MemoryPlan.Buffer b : plan.buffers()) assertEquals(Layouts.ALIGNED_BASE, b.offset() % 16, "64-byte aligned in a large array: " + b);
    assertTrue(plan.arenaFloats() * 5 < plan.withoutPlanningFloats(), "reuse saves most of the memory");
    // counted alike (aligned buffers from the aligned base), sharing a buffer in place never costs more than none
    assertTrue(plan.withoutReuseFloats() <= plan.withoutPlanningFloats(), plan.withoutReuseFloats() + " > " + plan.withoutPlanningFloats());
    MemoryPlan small = MemoryPlanner.plan(PassManager.run(Specs.example("smallnet", Map.of()), CTX), 16);
    assertTrue(small.withoutReuseFloats() <= small.withoutPlanningFloats(), small.withoutReuseFloats() + " > " + small.withoutPlanningFloats());
    // residual convs write over their shortcut when it dies there
    Node conv3 = g.nodes().stream().filter(n -> n.name().equals("layer1.1.conv3")).findFirst().orElseThrow();
    assertEquals(plan.bufferOf().get(conv3.input(1)), plan.bufferOf().get(conv3.id()));
    assertNoLiveOverlap("resnet50", plan);
  }

  /** No two values live at the same step overlap in the arena, but a concat's slice inside it (by design). */
  private static void assertNoLiveOverlap(String name, MemoryPlan plan) {
    for (MemoryPlan.Buffer a : plan.buffers()) {
      for (MemoryPlan.Buffer b : plan.buffers()) {
        if (a.id() >= b.id() || a.last() < b.first() || b.last() < a.first()) continue;
        if (plan.within(a.id(), b.id()) || plan.within(b.id(), a.id())) continue;
        boolean disjoint = a.offset() + a.floats() <= b.offset() || b.offset() + b.floats() <= a.offset();
        assertTrue(disjoint, name + ": buffers " + a + " and " + b + " overlap while both live");
      }
    }
  }

  /**
   * The same over the networks whose plans mix what resnet50's does not: concat slices, nested and
   * partial (DenseNet's 8-channel growth, SqueezeNet's fire modules, Inception's forks, InceptionE's
   * concat of concats, ShuffleNet's split and shuffle gathers), gates (MobileNetV3, EfficientNet,
   * squeeze-and-excitation), sums of three paths (RepVGG), flattens, and the example specs; each planned as the compiler plans it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"squeezenet", "densenet", "inception", "inception_e", "shufflenet", "split_concat", "mobilenet_v3", "efficientnet",
      "se_linear", "convnext", "mobilenet_v2", "misc", "pools", "resnext", "resnet_bottle", "repvgg", "inception_transform"})
  void importedNetworksPlanNoOverlapOfLiveValues(String model) {
    var r = netc.onnx.OnnxImporter.translate(netc.onnx.OnnxReader.read(java.nio.file.Path.of("../weights/fixtures/onnx/" + model + ".onnx")));
    Graph g = PassManager.run(netc.ir.GraphBuilder.build(netc.ast.SpecLoader.fromText(model, r.spec()), Map.of()), CTX);
    MemoryPlan plan = MemoryPlanner.plan(g, 16);
    assertTrue(plan.arenaFloats() >= plan.lowerBoundFloats(), model);
    assertNoLiveOverlap(model, plan);
  }

  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet34", "resnet101", "mobilenet_v2", "digits", "smallnet"})
  void exampleSpecsPlanNoOverlapOfLiveValues(String net) {
    Graph g = PassManager.run(Specs.example(net, Map.of()), CTX);
    assertNoLiveOverlap(net, MemoryPlanner.plan(g, 16));
  }

  /**
   * A concat of thousands of branches keeps them all live at once: planned in seconds (a walk of each
   * buffer's lifetime over the buffers live at each step was cubic there: 3,000 branches took 33 s,
   * 10,000 would have taken some 20 minutes), and no two live buffers overlap.
   */
  @Test
  void aConcatOfThousandsOfBranchesIsPlannedQuickly() {
    StringBuilder spec = new StringBuilder("input(16, 4, 4)\nconcat ");
    for (int i = 0; i < 4000; i++) spec.append(i == 0 ? "" : " and ").append("{ conv(8, 1) }");
    Graph g = PassManager.run(Specs.fromText(spec + "\n"), CTX);
    MemoryPlan plan = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> MemoryPlanner.plan(g, 16));
    assertTrue(plan.arenaFloats() >= plan.lowerBoundFloats());
    java.util.List<MemoryPlan.Buffer> roots = plan.buffers().stream().filter(b -> b.parent() < 0).toList();
    for (MemoryPlan.Buffer a : roots) {
      for (MemoryPlan.Buffer b : roots) {
        if (a.id() >= b.id() || a.last() < b.first() || b.last() < a.first()) continue;
        assertTrue(a.offset() + a.floats() <= b.offset() || b.offset() + b.floats() <= a.offset(), a + " and " + b + " overlap while both live");
      }
    }
  }
}
