package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class WorkspaceTest {
  /**
   * A workspace larger than the heap (a model compiled for large inputs runs out at its first call)
   * says how large it is and what to do, and a compiled jar's command line prints that, not the
   * input file's name with "out of memory" as if the file were too large. The size asked is past
   * this JVM's maximum heap, so the JVM refuses it without filling the heap.
   */
  @Test
  void aWorkspaceThatDoesNotFitSaysHowLargeItIs() {
    long max = Runtime.getRuntime().maxMemory();
    // a heap of 8 GB or more: no workspace (one Java array) can be asked for beyond it
    assumeTrue(max / 4 + (1 << 20) < LargeArrays.MAX_ARRAY, "heap " + max);
    int floats = (int) (max / 4 + (1 << 20));
    Workspace.TooLarge e = assertThrows(Workspace.TooLarge.class, () -> new Workspace(floats));
    String expected = String.format(java.util.Locale.ROOT, "a workspace of %,.1f MiB (the model's activations for one image on one thread; a batch"
        + " takes one for each image a thread runs at once, up to 4 a thread) does not fit in this JVM's heap of %,.1f MiB beside what it"
        + " holds already", floats * 4.0 / 1048576, max / 1048576.0);
    assertEquals(expected, e.getMessage());
    assertEquals(4L * floats, e.bytes());
    assertTrue(e.getCause() instanceof OutOfMemoryError, "the JVM's own error kept as the cause");
    // larger than the heap: fewer threads would not help
    assertEquals("error: out of memory: " + expected + ": raise it with -Xmx", Main.errorLine("x.npy", e));
    // the JVM's own (an input that does not fit) still names the file
    assertTrue(Main.errorLine("x.npy", new OutOfMemoryError("Java heap space")).startsWith("error: x.npy: out of memory ("));
  }
}
