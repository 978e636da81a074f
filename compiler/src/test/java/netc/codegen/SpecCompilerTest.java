package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compile pipeline in a JVM without jdk.incubator.vector, as Maven's own is for netc-maven-plugin. */
class SpecCompilerTest {
  /** A JVM start plus one small compile takes a few seconds; far more is a hang. */
  static final long TIMEOUT_SECONDS = 120;

  @Test
  void compilingNeedsNoVectorModuleAndWarnsOfNone(@TempDir Path dir) throws Exception {
    Path jar = dir.resolve("small.jar");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // no --add-modules: the compiler must neither need the Vector API nor choose kernels (which warns when it is absent)
    List<String> cmd = List.of(javaBin, "-cp", System.getProperty("java.class.path"), "netc.cli.Main", "compile",
        Path.of("../examples/smallnet.net").toString(), "--thin", "-o", jar.toString());
    // the output to a file, so the wait can time out: a read of the pipe would block until the JVM ended
    Path log = dir.resolve("compile.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!ended) p.destroyForcibly();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(ended, "compile did not finish:\n" + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(Files.size(jar) > 0, out);
    assertFalse(out.contains("jdk.incubator.vector") || out.contains("scalar kernels"), out);
  }

  /**
   * A JVM without javac (a JRE) is one line naming it, a bad input (exit 1), not an internal error after the weights
   * were packed; ModelCompiler asks for the compiler before anything else.
   */
  @Test
  void aJreIsRefusedNamingItsJvm() {
    netc.runtime.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(netc.runtime.BadInputException.class,
        () -> JavaSourceCompiler.require(null));
    assertEquals("no Java compiler in this JVM (" + System.getProperty("java.home") + "): netc compiles the generated Java with javac in"
        + " process, which a JRE lacks; run it on a JDK 17 or later (JAVA_HOME)", e.getMessage());
    assertTrue(JavaSourceCompiler.require() != null, "this JVM, a JDK, has one");
  }

  /** Generated code that does not compile (a netc bug) is reported with each failing line's text, for the bug report. */
  @Test
  void codeThatDoesNotCompileIsShownByLine(@TempDir Path dir) {
    String source = "package p;\nfinal class Q {\n  int f() {\n    return g(1, // the comment ate the rest\n;\n  }\n}\n";
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> JavaSourceCompiler.compile("p.Q", source, dir, dir));
    assertTrue(e.getMessage().startsWith("generated code for p.Q did not compile (a netc bug):\n  line 5: "), e.getMessage());
    assertTrue(e.getMessage().contains("\n    ;\n") || e.getMessage().endsWith("\n    ;"), e.getMessage());
  }
}
