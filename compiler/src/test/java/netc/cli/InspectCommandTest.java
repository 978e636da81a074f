package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
  @TempDir Path dir;

  static final String R18 = "../examples/resnet18.net";

  @Test
  void reportsPassesFusionsMemoryAndWritesDotAndDumps() throws Exception {
    Path dot = dir.resolve("g.dot"), dumps = dir.resolve("dumps");
    Object[] r = netc("inspect", R18, "-D", "width=8", "-D", "size=32", "--memory", "--verify-each", "--dot", dot.toString(),
        "--dump-dir", dumps.toString());
    assertEquals(0, r[0], (String) r[2]);
    String out = (String) r[1];
    assertTrue(out.contains("resnet18: 70 nodes before the passes, 26 after"), out);
    // each pass's line says what the pass does, after its node count
    assertTrue(out.contains("passes (node count after each, and what each does):"), out);
    assertTrue(java.util.regex.Pattern.compile("\\n  fold-batchnorm +\\d+  fold batch norms into the preceding conv's weights and bias\\n").matcher(out).find(), out);
    assertTrue(java.util.regex.Pattern.compile("\\n  input +70\\n").matcher(out).find(), out); // the graph as parsed: no pass, no text
    // a long description wraps under its first word, within the 120 columns of every line
    String fuse = out.substring(out.indexOf("\n  fuse-activation ") + 1, out.indexOf("\n  compose-gathers "));
    assertTrue(fuse.contains("\n") && fuse.lines().allMatch(l -> l.length() <= 120), fuse);
    assertEquals(fuse.indexOf("apply"), fuse.lines().skip(1).findFirst().orElseThrow().indexOf(fuse.lines().skip(1).findFirst().orElseThrow().strip()), fuse);
    assertTrue(fuse.replaceAll("\\s+", " ").endsWith("as the conv, batchnorm, add or fc before it stores"), fuse);
    assertTrue(out.lines().anyMatch(l -> l.matches("verify winograd\\s+max error \\S+ of max \\|output\\| \\S+\\s+ok")), out);
    assertTrue(out.contains("      layer1.0.bn2 (batchnorm) at ../examples/resnet.net:"), "fused nodes list their spec layers:\n" + out);
    assertTrue(out.contains("peak activation memory per image, planned:"), out);
    String g = Files.readString(dot);
    assertTrue(g.startsWith("digraph \"resnet18\" {") && g.contains("layer4.1.conv2") && g.contains(" -> "), g);
    try (Stream<Path> files = Files.list(dumps)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(List.of("00-input.ir", "01-eliminate-dead-nodes.ir", "02-fold-batchnorm.ir", "03-merge-parallel-convs.ir",
          "04-fold-input-normalization.ir", "05-fuse-residual.ir", "06-fuse-activation.ir", "07-compose-gathers.ir", "08-winograd.ir",
          "09-assign-layout.ir"), names);
    }
  }

  @Test
  void printAfterAllShowsEveryStage() {
    String out = (String) netc("inspect", "../examples/smallnet.net", "--print-after-all")[1];
    assertEquals(10, out.lines().filter(l -> l.startsWith("=== ")).count(), out);
    assertTrue(out.contains("=== after fuse-activation (12 nodes)"), out);
    assertTrue(out.lines().allMatch(l -> l.length() <= 120), "long lines are wrapped:\n" + out);
  }

  @Test
  void printChangedSaysPassByPassWhatChangedInUnder200Lines() {
    Object[] r = netc("inspect", R18, "--print-changed");
    assertEquals(0, r[0], (String) r[2]);
    String out = (String) r[1];
    List<String> lines = out.lines().toList();
    assertTrue(lines.size() < 200, lines.size() + " lines:\n" + out);
    assertTrue(lines.stream().allMatch(l -> l.length() <= 120), out);
    for (String pass : List.of("eliminate-dead-nodes", "fold-input-normalization", "fold-batchnorm", "merge-parallel-convs", "fuse-residual", "fuse-activation",
        "winograd", "assign-layout")) {
      assertEquals(1, lines.stream().filter(l -> l.startsWith("*** " + pass + ": ") || l.equals("pass " + pass + ": no change")).count(),
          "one header for " + pass + ":\n" + out);
    }
    assertTrue(lines.contains("pass eliminate-dead-nodes: no change"), out);
    assertTrue(lines.contains("*** fold-batchnorm: 70 -> 50 nodes, 20 removed, 20 changed, 17 users rewired"), out);
    assertTrue(lines.contains("- %6 = batchnorm(%5) {eps=1.00000e-05} : 64x56x56  # layer1.0.bn1"), "folded batchnorm:\n" + out);
    assertTrue(lines.contains("+ %5 layer1.0.conv1: bias=true weight=bn_scale(..) bias=bn_shift(..)"), out);
    assertTrue(lines.contains("+ %8 layer1.0.conv2: (%7, %4) residual=true"), "fused residual:\n" + out);
    assertTrue(lines.contains("- %7 = relu(%5) : 64x56x56  # layer1.0.relu") && lines.contains("+ %5 layer1.0.conv1: act=relu"),
        "relu fused into the conv:\n" + out);
    assertTrue(lines.contains("+ %5 layer1.0.conv1: algo=winograd tile=4") && lines.contains("+ %38 layer3.0.conv2: algo=winograd tile=2"),
        "winograd and its tile:\n" + out);
    assertTrue(lines.contains("+ %5 layer1.0.conv1: halo=[1,1] layout=nchw16c"), "layout assigned:\n" + out);
    assertTrue(lines.contains("+ %70 = reorder(%0) {halo=[3,3], layout=nchw, pad_value=[0.485000,0.456000,0.406000]} : 3x224x224  # input.to_padded"),
        "the added reorder:\n" + out);
  }

  @Test
  void printChangedOnASmallSpecShowsTheFoldAndTheFusionAsDiffs() {
    String out = (String) netc("inspect", "../examples/smallnet.net", "--print-changed")[1];
    String fold = String.join("\n",
        "*** fold-batchnorm: 18 -> 16 nodes, 2 removed, 2 changed, 2 users rewired",
        "- %4 dw: weight=dw.weight[16x4x3x3] bias=dw.bias[16]",
        "+ %4 dw: weight=bn_scale(..) bias=bn_shift(..)",
        "- %5 = batchnorm(%4) {eps=0.00100000} : 16x16x16  # bn",
        "- %8 mix: bias=false weight=mix.weight[32x16x1x3]",
        "+ %8 mix: bias=true weight=bn_scale(..) bias=bn_shift(..)",
        "- %9 = batchnorm(%8) {eps=1.00000e-05} : 32x8x16  # bn2",
        "pass merge-parallel-convs: no change",
        "pass fold-input-normalization: no change",
        "pass fuse-residual: no change",
        "*** fuse-activation: 16 -> 12 nodes, 4 removed, 4 changed, 4 users rewired",
        "+ %1 stem: act=leaky_relu slope=0.100000",
        "- %2 = leaky_relu(%1) {slope=0.100000} : 16x32x32  # act1",
        "+ %4 dw: act=tanh",
        "- %6 = tanh(%4) : 16x16x16  # tanh",
        "");
    assertTrue(out.contains(fold), out);
    assertTrue(out.startsWith("*** input: smallnet, 18 nodes\npass eliminate-dead-nodes: no change\n"), out);
    assertTrue(!out.contains("fused nodes (spec layers"), "the diff replaces the fused-nodes list:\n" + out);
  }

  /** A second dump into the same folder replaces the first: a stage of a pass disabled since is not left as if it had run. */
  @Test
  void aDumpReplacesTheEarlierOne() throws Exception {
    Path dumps = dir.resolve("dumps");
    assertEquals(0, netc("inspect", "../examples/smallnet.net", "--dump-dir", dumps.toString())[0]);
    java.nio.file.Files.writeString(dumps.resolve("notes.txt"), "mine");
    List<String> all;
    try (var files = java.nio.file.Files.list(dumps)) {
      all = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    assertTrue(all.stream().anyMatch(f -> f.endsWith("-fold-batchnorm.ir")), all.toString());
    Object[] r = netc("inspect", "../examples/smallnet.net", "--dump-dir", dumps.toString(), "--disable-pass", "fold-batchnorm");
    assertEquals(0, r[0], (String) r[2]);
    List<String> now;
    try (var files = java.nio.file.Files.list(dumps)) {
      now = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    assertTrue(now.stream().noneMatch(f -> f.endsWith("-fold-batchnorm.ir")), now.toString());
    assertTrue(now.contains("notes.txt"), "only its own dumps are replaced: " + now);
    assertEquals(all.size() - 1, now.size(), all + " then " + now);
  }

  /**
   * The memory plan's rows tell long names apart: a fixed 32-character column cut DenseNet's
   * features_denseblock1_denselayer1_norm1 and its neighbours to one text, features_denseblock1_denselay...
   */
  @Test
  void theMemoryPlanKeepsLongNamesApart() throws Exception {
    Path spec = Files.writeString(dir.resolve("long.net"), "input(3, 8, 8)\n"
        + "features_denseblock1_denselayer1_conv1: conv(8, 3, padding = 1)\n"
        + "features_denseblock1_denselayer1_relu1: relu()\n"
        + "features_denseblock1_denselayer1_conv2: conv(8, 3, padding = 1)\n"
        + "features_denseblock1_denselayer1_relu2: relu()\n"
        + "features_denseblock1_denselayer1_and_a_name_longer_than_the_widest_column_conv3: conv(8, 3, padding = 1)\n");
    Object[] r = netc("inspect", spec.toString(), "--memory");
    assertEquals(0, r[0], (String) r[2]);
    List<String> rows = ((String) r[1]).lines().dropWhile(l -> !l.startsWith("memory plan")).skip(2).takeWhile(l -> !l.contains("peak")).toList();
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("  features_denseblock1_denselayer1_conv1 ")), rows.toString());
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("  features_denseblock1_denselayer1_conv2 ")), rows.toString());
    // past 60 characters, the middle goes
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("  features_denseblock1_denselay...than_the_widest_column_conv3 ")), rows.toString());
    // one column width for all, the widest: the floats right-aligned after it in every row
    assertTrue(rows.size() >= 3 && rows.stream().allMatch(l -> l.charAt(62) == ' ' && l.substring(63, 73).matches(" *[\\d,]+")), rows.toString());
  }

  /**
   * Only dumps are cleared or replaced. Every NN-*.ir file of the folder was deleted, and a stage's file written over
   * whatever had its name: a user's 05-mine.ir, and the spec being inspected when it lay there (as 12-my.ir: deleted; as
   * a stage's name: replaced by the stage), exit 0. A dump says what wrote it in its first line; one written before that
   * line (which began with the graph's) is still a dump.
   */
  @Test
  void aDumpReplacesNothingButDumps() throws Exception {
    Path dumps = Files.createDirectories(dir.resolve("dumps"));
    String spec = Files.readString(Path.of("../examples/smallnet.net"));
    Path mine = Files.writeString(dumps.resolve("05-mine.ir"), "my notes"), inspected = Files.writeString(dumps.resolve("12-my.ir"), spec);
    Path old = Files.writeString(dumps.resolve("13-gone-pass.ir"), "graph smallnet {\n}\n");
    Object[] r = netc("inspect", inspected.toString(), "--dump-dir", dumps.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals("my notes", Files.readString(mine));
    assertEquals(spec, Files.readString(inspected));
    assertFalse(Files.exists(old), "an earlier dump, of before the header line, is cleared");
    String first = Files.readString(dumps.resolve("00-input.ir"));
    assertTrue(first.startsWith("# written by netc inspect --dump-dir: the graph as built from " + inspected + "\ngraph 12-my.ir {\n"), first);
    assertTrue(Files.readString(dumps.resolve("02-fold-batchnorm.ir")).startsWith(
        "# written by netc inspect --dump-dir: the graph of " + inspected + " after fold-batchnorm\ngraph 12-my.ir {\n"));
    // the spec under a stage's name: refused before anything is written or cleared
    Path stage = dumps.resolve("04-fold-input-normalization.ir");
    Files.delete(stage);
    Files.move(inspected, stage);
    Files.delete(dumps.resolve("00-input.ir"));
    r = netc("inspect", stage.toString(), "--dump-dir", dumps.toString());
    assertEquals(1, r[0]);
    assertEquals("netc inspect: --dump-dir " + dumps + ": " + stage + " is not a dump of netc inspect, and a stage would replace it; move it,"
        + " or give another folder\n", r[2]);
    assertEquals(spec, Files.readString(stage));
    assertTrue(Files.exists(dumps.resolve("02-fold-batchnorm.ir")) && !Files.exists(dumps.resolve("00-input.ir")), "nothing cleared or written");
  }

  /** A folded batch norm prints every operand of its fold and its eps (smallnet's bn has ONNX-like 1e-3, bn2 PyTorch's 1e-5). */
  @Test
  void printAfterFoldBatchnormShowsTheWholeFold() {
    Object[] r = netc("inspect", "../examples/smallnet.net", "--print-after", "fold-batchnorm");
    assertEquals(0, r[0], (String) r[2]);
    String out = ((String) r[1]).replaceAll("\n\\s+", " ");
    assertTrue(out.contains("weight=bn_scale(dw.weight[16x4x3x3], bn.weight[16], bn.running_var[16], eps=0.001) bias=bn_shift(dw.bias[16],"
        + " bn.weight[16], bn.bias[16], bn.running_mean[16], bn.running_var[16], eps=0.001)"), out);
    assertTrue(out.contains("bn_scale(mix.weight[32x16x1x3], bn2.weight[32], bn2.running_var[32], eps=1.0E-5)"), out);
  }

  @Test
  void printAfterShowsOnePassWithLongLinesWrapped() {
    Object[] r = netc("inspect", R18, "--print-after", "winograd");
    assertEquals(0, r[0], (String) r[2]);
    String out = (String) r[1];
    assertEquals(List.of("=== after winograd (25 nodes)"), out.lines().filter(l -> l.startsWith("=== ")).toList(), out);
    assertTrue(out.lines().allMatch(l -> l.length() <= 120), out);
    assertTrue(out.contains("\n  %1 = conv(%0) {act=relu, bias=true, dilation=[1,1], groups=1, kernel=[7,7], out=64,\n"
        + "        pad_value=[0.485000,0.456000,0.406000], padding=[3,3], stride=[2,2]}\n"), "wrapped at attribute boundaries:\n" + out);
    r = netc("inspect", R18, "--print-after", "fold-bn");
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc inspect: unknown pass 'fold-bn' in --print-after; passes are: eliminate-dead-nodes, "), (String) r[2]);
  }

  @Test
  void badRequestsAreOneLineErrors() {
    Object[] r = netc("inspect", R18, "--disable-pass", "fold-bn");
    assertEquals(2, r[0], "a usage error, as --print-after's unknown pass is");
    assertTrue(((String) r[2]).startsWith("netc inspect: unknown pass 'fold-bn' in --disable-pass; passes are: eliminate-dead-nodes, "), (String) r[2]);
    assertEquals(1, ((String) r[2]).lines().count());
    r = netc("inspect", R18, "--dot", "/no/such/dir/g.dot");
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot write /no/such/dir/g.dot: no such directory /no/such/dir\n", r[2]);
  }

  /**
   * Mistakes in the options are refused before the passes run and print: --before without a picture
   * (refused after everything was printed), --weights without --verify-each (ignored), an --svg whose
   * DOT file beside it cannot be written (found after the passes).
   */
  @Test
  void optionMistakesAreRefusedBeforeThePasses() throws Exception {
    Object[] r = netc("inspect", "../examples/smallnet.net", "--before");
    assertEquals(2, r[0]);
    assertEquals("netc inspect: --before applies to --dot and --svg; give one of them\n", r[2]);
    assertEquals("", r[1]);
    Path w = dir.resolve("w.safetensors");
    assertEquals(0, netc("weights", "init", "../examples/smallnet.net", "-o", w.toString())[0]);
    r = netc("inspect", "../examples/smallnet.net", "-w", w.toString());
    assertEquals(2, r[0]);
    assertEquals("netc inspect: --weights applies to --verify-each; the passes themselves need no weights\n", r[2]);
    assertEquals("", r[1]);
    Files.createDirectories(dir.resolve("g.dot"));
    r = netc("inspect", "../examples/smallnet.net", "--svg", dir.resolve("g.svg").toString());
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot write " + dir.resolve("g.dot") + ": it is a directory\n", r[2]);
    assertEquals("", r[1]);
    r = netc("inspect", "../examples/smallnet.net", "-w", w.toString(), "--verify-each");
    assertEquals(0, r[0], (String) r[2]);
  }

  @Test
  void svgWithoutGraphvizLeavesTheDotFileAndAHint() {
    Path svg = dir.resolve("g.svg");
    String old = System.getProperty("netc.dot");
    System.setProperty("netc.dot", "/no/such/graphviz/dot");
    try {
      Object[] r = netc("inspect", "../examples/smallnet.net", "--svg", svg.toString());
      assertEquals(1, r[0]);
      assertEquals("netc inspect: cannot render " + svg + ": Graphviz 'dot' is not installed (apt-get install graphviz); the graph is in "
          + dir.resolve("g.dot") + "\n", r[2]);
      assertTrue(Files.exists(dir.resolve("g.dot")));
    } finally {
      if (old == null) System.clearProperty("netc.dot");
      else System.setProperty("netc.dot", old);
    }
  }

  /**
   * The SVG is dot's standard output, written whole or not at all: dot -o FILE wrote it in place, so a dot that
   * failed partway left an earlier picture cut short. Stand-ins for dot: one that renders, one that fails after
   * writing half a picture.
   */
  @Test
  void svgIsWrittenWholeOrNotAtAll() throws Exception {
    Path svg = dir.resolve("g.svg");
    Path renders = dir.resolve("renders.sh"), fails = dir.resolve("fails.sh");
    Files.writeString(renders, "#!/bin/sh\nprintf '<svg>%s</svg>' \"$(head -c 7 \"$2\")\"\n");
    Files.writeString(fails, "#!/bin/sh\nprintf '<svg>half'\necho 'Error: syntax error in line 1' >&2\nexit 1\n");
    for (Path script : List.of(renders, fails)) script.toFile().setExecutable(true);
    String old = System.getProperty("netc.dot");
    try {
      System.setProperty("netc.dot", renders.toString());
      Object[] r = netc("inspect", "../examples/smallnet.net", "--svg", svg.toString());
      assertEquals(0, r[0], (String) r[2]);
      assertEquals("<svg>digraph</svg>", Files.readString(svg));
      System.setProperty("netc.dot", fails.toString());
      r = netc("inspect", "../examples/smallnet.net", "--svg", svg.toString());
      assertEquals(1, r[0]);
      assertEquals("netc inspect: dot failed to render " + svg + ": Error: syntax error in line 1\n", r[2]);
      assertEquals("<svg>digraph</svg>", Files.readString(svg), "the earlier picture, whole");
    } finally {
      if (old == null) System.clearProperty("netc.dot");
      else System.setProperty("netc.dot", old);
    }
  }

  /** --dot and --svg naming one file: the DOT text was written, then replaced by the picture; refused before any work. */
  @Test
  void dotAndSvgOfOneFileAreRefused() {
    Path g = dir.resolve("g.svg");
    Object[] r = netc("inspect", "../examples/smallnet.net", "--dot", g.toString(), "--svg", g.toString());
    assertEquals(2, r[0]);
    assertEquals("netc inspect: --dot and --svg both name " + g + ": give each its own file (--svg writes its DOT beside it)\n", r[2]);
    assertFalse(Files.exists(g), "nothing written");
  }

  /**
   * --svg with a relative name starting with '-' (the working folder's): dot was given it as it was, took it for its
   * options, and with no file left read its standard input, a pipe never closed, so inspect waited forever. The
   * stand-in reads its standard input where its file argument looks like an option, as dot does.
   */
  @Test
  void anSvgNamedLikeAnOptionIsRendered() throws Exception {
    Path dotLike = dir.resolve("dot-like.sh");
    Files.writeString(dotLike, "#!/bin/sh\ncase \"$2\" in -*) cat ;; *) printf '<svg>%s</svg>' \"$(head -c 7 \"$2\")\" ;; esac\n");
    dotLike.toFile().setExecutable(true);
    Path svg = Path.of("-netc-inspect-test.svg"), dotFile = Path.of("-netc-inspect-test.dot"); // in the working folder
    String old = System.getProperty("netc.dot");
    try {
      System.setProperty("netc.dot", dotLike.toString());
      Object[] r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
          () -> netc("inspect", "../examples/smallnet.net", "--svg=" + svg));
      assertEquals(0, r[0], (String) r[2]);
      assertEquals("<svg>digraph</svg>", Files.readString(svg));
    } finally {
      Files.deleteIfExists(svg);
      Files.deleteIfExists(dotFile);
      if (old == null) System.clearProperty("netc.dot");
      else System.setProperty("netc.dot", old);
    }
  }

  @Test
  void profileNamesEveryStepOfACompiledModel() throws Exception {
    Path jar = dir.resolve("p.jar");
    assertEquals(0, netc("compile", "../examples/smallnet.net", "-o", jar.toString())[0]);
    Object[] r = netc("profile", jar.toString());
    assertEquals(2, r[0], "without -Dnetc.profile=true the command explains what it needs");
    assertTrue(((String) r[2]).contains("the JVM needs -Dnetc.profile=true"), (String) r[2]);
    // the timing switch is a static final, read once: profile in a JVM started with it
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Dnetc.profile=true", "-cp", System.getProperty("java.class.path"),
        "netc.cli.Main", "profile", jar.toString(), "--runs", "5").redirectError(dir.resolve("profile.err").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes()); // stderr to a file: two pipes read in turn may block each other
    assertEquals(0, p.waitFor(), Files.readString(dir.resolve("profile.err")));
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).startsWith("smallnet, batch 1, 1 thread: "), out);
    assertEquals(11, lines.size() - 2, "one line per step, between the header and the time outside the steps:\n" + out);
    assertTrue(lines.get(lines.size() - 1).startsWith("outside the steps: "), out);
    assertTrue(out.contains("GFLOP/s  stem\n") && out.contains("GFLOP/s  fc2\n"), "steps are named after the spec's layers, "
        + "those that multiply with their rate:\n" + out);
    assertTrue(lines.get(0).contains("; the steps that multiply ") && lines.get(0).contains(", 0.787 M multiply-adds per image, "), lines.get(0));
    assertTrue(lines.stream().anyMatch(l -> l.matches("\\s+[0-9.]+ ms\\s+[0-9.]+%\\s+[a-z].*")), "a step that only moves values has no rate:\n" + out);
  }

  @Test
  void runAcceptsACompiledJar() throws Exception {
    Path jar = dir.resolve("m.jar"), x = dir.resolve("x.npy"), y = dir.resolve("y.npy"), ref = dir.resolve("ref.npy");
    Object[] r = netc("compile", "../examples/smallnet.net", "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    Tensor input = Tensor.zeros(2, 3, 32, 32);
    for (int i = 0; i < input.size(); i++) input.data()[i] = (i % 97) / 97f;
    Npy.write(x, input);
    r = netc("run", jar.toString(), "--input", x.toString(), "--output", y.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals(0, netc("run", "../examples/smallnet.net", "--input", x.toString(), "--output", ref.toString(), "--reference")[0]);
    Tensor compiled = Npy.read(y), reference = Npy.read(ref);
    assertTrue(compiled.maxAbsDiff(reference) <= 1e-4 * reference.maxAbs(), "the jar and the interpreter agree");
    r = netc("run", jar.toString(), "--input", x.toString(), "--output", y.toString(), "--reference");
    assertEquals(2, r[0], "--reference applies to specs only");
  }
}
