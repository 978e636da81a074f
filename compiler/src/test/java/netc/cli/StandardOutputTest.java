package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output written to /dev/stdout (documented as a target) gets the data alone: the commands' status
 * lines ("wrote ...", compile's steps) went into it. Each command runs in its own JVM, whose standard
 * output is a pipe read here.
 */
class StandardOutputTest {
  @TempDir Path dir;

  record Run(int status, byte[] out, String err) {}

  /** {@code netc ARGS} in a JVM of its own: its status, its standard output's bytes, its standard error. */
  private Run netcProcess(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
        "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "netc.cli.Main"));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    return new Run(p.waitFor(), out, Files.readString(err));
  }

  /**
   * Standard output that loses what is written (a full disk: /dev/full) is a failure, exit 1 with a line on
   * standard error: a PrintStream keeps write errors to itself, and a summary cut short ended 0.
   */
  @Test
  void lostStandardOutputIsAFailure() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream broken = new java.io.PrintStream(new java.io.OutputStream() {
      @Override
      public void write(int b) throws java.io.IOException {
        throw new java.io.IOException("No space left on device");
      }
    });
    broken.println("lost");
    assertEquals(1, Main.checkedOutput(0, broken, new java.io.PrintStream(err, true, StandardCharsets.UTF_8), "netc summary"));
    assertEquals("netc summary: cannot write to standard output (a full disk, or a reader that went away): what was printed is incomplete\n",
        err.toString(StandardCharsets.UTF_8));
    assertEquals(2, Main.checkedOutput(2, broken, System.err, "netc summary"), "a failure's own status stands");
    java.io.File full = new java.io.File("/dev/full");
    org.junit.jupiter.api.Assumptions.assumeTrue(full.exists(), "a Linux /dev/full");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
        "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "netc.cli.Main", "summary", "../examples/resnet18.net"));
    Path errFile = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(full).redirectError(errFile.toFile()).start();
    assertEquals(1, p.waitFor());
    assertTrue(Files.readString(errFile).contains("netc summary: cannot write to standard output"), Files.readString(errFile));
  }

  /**
   * The launcher's filter of java's standard error (./netc's stderr_filter, run here by bash) drops the JVM's
   * incubator warning and passes every other byte as it is: an .npy written to /dev/stderr came out as grep's
   * "binary file matches".
   */
  @Test
  void theLaunchersStderrFilterPassesBinaryDataWhole() throws Exception {
    byte[] data = new byte[70_000];
    new java.util.Random(3).nextBytes(data);
    data[data.length - 1] = 'x'; // a last line without a newline
    byte[] warning = "WARNING: Using incubator modules: jdk.incubator.vector\n".getBytes(StandardCharsets.US_ASCII);
    Path in = dir.resolve("in");
    try (var out = Files.newOutputStream(in)) {
      out.write(warning);
      out.write(data);
    }
    String launcher = Path.of("../netc").toAbsolutePath().normalize().toString();
    Process p = new ProcessBuilder("bash", "-c", "eval \"$(sed -n '/^stderr_filter()/,/^}/p' \"$0\")\"; stderr_filter", launcher)
        .redirectInput(in.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor());
    assertArrayEquals(data, out, "the warning dropped, every other byte as it was");
  }

  @Test
  void runWeightsAndCompileWriteOnlyTheDataToStandardOutput() throws Exception {
    String spec = CommandLineChecksTest.SMALL;
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy"), w = dir.resolve("w.safetensors");
    Npy.write(x, Tensor.uniform(3, 2, 3, 32, 32));
    assertEquals(0, netc("run", spec, "--reference", "--input", x.toString(), "--output", y.toString())[0]);
    Run r = netcProcess("run", spec, "--reference", "--input", x.toString(), "--output", "/dev/stdout");
    assertEquals(0, r.status(), r.err());
    assertArrayEquals(Files.readAllBytes(y), r.out(), "standard output holds the .npy alone");
    assertTrue(r.err().lines().anyMatch(l -> l.startsWith("wrote /dev/stdout [2, 10] (reference interpreter")), r.err());
    assertTrue(r.err().contains(CommandLines.SYNTHETIC_NOTE), r.err());

    assertEquals(0, netc("weights", "init", spec, "-o", w.toString(), "--seed", "4")[0]);
    r = netcProcess("weights", "init", spec, "-o", "/dev/stdout", "--seed", "4");
    assertEquals(0, r.status(), r.err());
    // the same tensors and metadata (the header's order may differ between JVMs), and nothing after the last tensor
    Path fromStdout = Files.write(dir.resolve("stdout.safetensors"), r.out());
    assertEquals(Files.size(w), Files.size(fromStdout), "standard output holds the safetensors file alone");
    netc.runtime.io.Safetensors expected = netc.runtime.io.Safetensors.read(w), got = netc.runtime.io.Safetensors.read(fromStdout);
    assertEquals(expected.metadata(), got.metadata());
    assertEquals(expected.tensors(), got.tensors());
    for (String t : expected.tensors()) assertArrayEquals(expected.floats(t), got.floats(t), t);
    assertTrue(r.err().lines().anyMatch(l -> l.startsWith("wrote /dev/stdout: ")), r.err());

    r = netcProcess("compile", spec, "-o", "/dev/stdout", "--thin");
    assertEquals(0, r.status(), r.err());
    Path jar = Files.write(dir.resolve("m.jar"), r.out());
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) { // the jar alone: a zip ends with its directory
      assertTrue(zip.stream().anyMatch(e -> e.getName().endsWith("model.properties")), "a model's jar");
    }
    assertFalse(new String(r.out(), StandardCharsets.ISO_8859_1).contains("wrote /dev/stdout"));
    assertTrue(r.err().lines().anyMatch(l -> l.startsWith("wrote /dev/stdout (thin): model smallnet ")), r.err());
    assertTrue(r.err().contains(CommandLines.SYNTHETIC_NOTE), r.err());
  }
}
