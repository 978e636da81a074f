package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertTrue(out.lines().anyMatch(l -> l.matches("verify winograd\\s+max error \\S+ of max \\|output\\| \\S+\\s+ok")), out);
    assertTrue(out.contains("      layer1.0.bn2 (batchnorm) at ../examples/resnet.net:"), "fused nodes list their spec layers:\n" + out);
    assertTrue(out.contains("peak activation memory per image, planned:"), out);
    String g = Files.readString(dot);
    assertTrue(g.startsWith("digraph \"resnet18\" {") && g.contains("layer4.1.conv2") && g.contains(" -> "), g);
    try (Stream<Path> files = Files.list(dumps)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(List.of("00-input.ir", "01-eliminate-dead-nodes.ir", "02-fold-input-normalization.ir", "03-fold-batchnorm.ir",
          "04-fuse-residual.ir", "05-fuse-activation.ir", "06-winograd.ir", "07-assign-layout.ir"), names);
    }
  }

  @Test
  void printAfterAllShowsEveryStage() {
    String out = (String) netc("inspect", "../examples/smallnet.net", "--print-after-all")[1];
    assertEquals(8, out.lines().filter(l -> l.startsWith("=== ")).count(), out);
    assertTrue(out.contains("=== after fuse-activation (12 nodes)"), out);
  }

  @Test
  void badRequestsAreOneLineErrors() {
    Object[] r = netc("inspect", R18, "--disable-pass", "fold-bn");
    assertEquals(1, r[0]);
    assertTrue(((String) r[2]).startsWith("netc inspect: unknown pass 'fold-bn' in --disable-pass; passes are: eliminate-dead-nodes, "), (String) r[2]);
    assertEquals(1, ((String) r[2]).lines().count());
    r = netc("inspect", R18, "--dot", "/no/such/dir/g.dot");
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot write /no/such/dir/g.dot: no such directory /no/such/dir\n", r[2]);
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
        "netc.cli.Main", "profile", jar.toString(), "--runs", "5").start();
    String out = new String(p.getInputStream().readAllBytes());
    String err = new String(p.getErrorStream().readAllBytes());
    assertEquals(0, p.waitFor(), err);
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).startsWith("smallnet, batch 1, 1 thread: "), out);
    assertEquals(13, lines.size() - 1, "one line per step (two of the convs pack their windows first):\n" + out);
    assertTrue(out.contains("%  stem\n") && out.contains("%  fc2\n"), "steps are named after the spec's layers:\n" + out);
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
