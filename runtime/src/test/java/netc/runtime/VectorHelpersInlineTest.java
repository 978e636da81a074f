package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every runtime method that takes or returns a Vector API vector stays within C2's MaxInlineSize (35
 * bytes of bytecode). C2 inlines a method that small at any call site; a larger one only where the
 * call is frequent, and where it is not, the vector crosses a real call and is boxed into a heap
 * object, allocating in every forward pass and running many times slower. It happened: a clamp of 57
 * bytes boxed in resnet50's Winograd output at 256 bits, which the allocation tests here, run at the
 * host's width on small networks, did not see (examples/check-allocation.sh on the whole model did).
 * A method over the limit must be split, or its body written out where it is used. Necessary, not
 * sufficient: inside a large method C2 may stop inlining even small ones once it has inlined enough
 * (VectorKernels.depthwise1 tells when), so a new vector helper also needs examples/check-allocation.sh
 * at each width.
 */
class VectorHelpersInlineTest {
  private static final int MAX_INLINE_SIZE = 35;

  @Test
  void methodsPassingVectorsAreSmallEnoughToAlwaysInline() throws Exception {
    Path classes = Path.of(netc.runtime.kernels.Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> files;
    try (Stream<Path> s = Files.walk(classes.resolve("netc/runtime"))) {
      files = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
    assertTrue(files.size() > 10, "runtime classes found under " + classes);
    Process javap = new ProcessBuilder(Stream.concat(
        Stream.of(Path.of(System.getProperty("java.home"), "bin", "javap").toString(), "-c", "-p"),
        files.stream().map(Path::toString)).toList()).redirectErrorStream(true).start();
    List<String> lines = new String(javap.getInputStream().readAllBytes()).lines().toList();
    assertEquals(0, javap.waitFor(), String.join("\n", lines.subList(0, Math.min(20, lines.size()))));

    // members are declared at two spaces' indent ("  static {};" too), their instructions follow as
    // "  offset: op"; the last instruction of a method passing vectors is a one-byte return, so its
    // offset + 1 is the method's length
    Pattern member = Pattern.compile("^  \\S.*;$"), instruction = Pattern.compile("^\\s+(\\d+): (\\w+)");
    List<String> tooBig = new ArrayList<>();
    int checked = 0, last = -1;
    String method = null, lastOp = "";
    for (String l : lines) {
      if (member.matcher(l).matches() || l.startsWith("}")) {
        if (method != null) {
          checked++;
          if (last + 1 > MAX_INLINE_SIZE || !lastOp.endsWith("return")) tooBig.add(method.trim() + ": " + (last + 1) + " bytes, ends with " + lastOp);
        }
        method = l.contains("(") && l.contains("jdk.incubator.vector.") ? l : null;
        last = -1;
        continue;
      }
      Matcher m = instruction.matcher(l);
      if (method != null && m.find()) {
        last = Integer.parseInt(m.group(1));
        lastOp = m.group(2);
      }
    }
    // none pass vectors today (the depthwise epilogue's store helper was written out where it is used):
    // the scan must still have read the vector kernels, whose species fields name the Vector API
    assertTrue(lines.stream().anyMatch(l -> l.contains("jdk.incubator.vector.VectorSpecies")), "the vector kernels' classes were read");
    assertTrue(tooBig.isEmpty(), "over " + MAX_INLINE_SIZE + " bytes of bytecode:\n" + String.join("\n", tooBig));
  }
}
