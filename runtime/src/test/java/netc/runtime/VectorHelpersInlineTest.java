package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Every runtime method that takes or returns a Vector API vector stays within C2's MaxInlineSize (35
 * bytes of bytecode). C2 inlines a method that small at any call site; a larger one only where the
 * call is frequent, and where it is not, the vector crosses a real call and is boxed into a heap
 * object, allocating in every forward pass and running many times slower. It happened: a clamp of 57
 * bytes boxed in resnet50's Winograd output at 256 bits, which the allocation tests here, on
 * small networks, did not see (examples/check-allocation.sh on the whole model did).
 * A method over the limit must be split, or its body written out where it is used. Necessary, not
 * sufficient: inside a large method C2 may stop inlining even small ones once it has inlined enough
 * (VectorKernels.depthwise1 tells when), so a new vector helper also needs examples/check-allocation.sh
 * at each width.
 */
class VectorHelpersInlineTest {
  private static final int MAX_INLINE_SIZE = 35;

  /**
   * The scan's positive control: helpers passing vectors, one within the limit and one over it (this
   * test's own class files, read with the runtime's). Without them a scan that recognized no method
   * would pass: no runtime method passes vectors today.
   */
  static final class Control {
    private Control() {}

    static FloatVector small(FloatVector a, FloatVector b) {
      return a.add(b);
    }

    static FloatVector large(FloatVector a, FloatVector b) {
      return a.add(b).mul(a).sub(b).max(a).min(b).add(a).mul(b).sub(a).max(b).min(a).neg().abs();
    }
  }

  @Test
  void methodsPassingVectorsAreSmallEnoughToAlwaysInline() throws Exception {
    Path classes = Path.of(netc.runtime.kernels.Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> files;
    try (Stream<Path> s = Files.walk(classes.resolve("netc/runtime"))) {
      files = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
    assertTrue(files.size() > 10, "runtime classes found under " + classes);
    Path control = Path.of(Control.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve(Control.class.getName().replace('.', '/') + ".class");
    Process javap = new ProcessBuilder(Stream.concat(
        Stream.of(Path.of(System.getProperty("java.home"), "bin", "javap").toString(), "-c", "-p", control.toString()),
        files.stream().map(Path::toString)).toList()).redirectErrorStream(true).start();
    List<String> lines = new String(javap.getInputStream().readAllBytes()).lines().toList();
    assertEquals(0, javap.waitFor(), String.join("\n", lines.subList(0, Math.min(20, lines.size()))));

    Map<String, String> sizes = vectorMethodSizes(lines);
    String controls = Control.class.getName() + ".";
    assertEquals(Map.of(controls + "small(FloatVector, FloatVector)", "6 bytes, ends with areturn",
        controls + "large(FloatVector, FloatVector)", "48 bytes, ends with areturn"),
        sizes.entrySet().stream().filter(e -> e.getKey().startsWith(controls)).collect(java.util.stream.Collectors.toMap(e -> e.getKey(), e -> e.getValue())),
        "the control's helpers, measured");
    List<String> tooBig = new ArrayList<>();
    sizes.forEach((method, size) -> {
      int bytes = Integer.parseInt(size.substring(0, size.indexOf(' ')));
      if (!method.startsWith(controls) && (bytes > MAX_INLINE_SIZE || !size.endsWith("return"))) tooBig.add(method + ": " + size);
    });
    // none pass vectors today (the depthwise epilogue's store helper was written out where it is used):
    // the scan must still have read the vector kernels, whose species fields name the Vector API
    assertTrue(lines.stream().anyMatch(l -> l.contains("jdk.incubator.vector.VectorSpecies")), "the vector kernels' classes were read");
    assertTrue(tooBig.isEmpty(), "over " + MAX_INLINE_SIZE + " bytes of bytecode:\n" + String.join("\n", tooBig));
  }

  /**
   * The methods in {@code javap -c -p} output that take or return a vector, as class.name(parameters)
   * (overloads apart), each with its length in bytes of bytecode and its last instruction: "8 bytes,
   * ends with areturn".
   */
  static Map<String, String> vectorMethodSizes(List<String> lines) {
    // a class opens at no indent ("final class netc.runtime.X {"); members are declared at two spaces'
    // indent ("  static {};" too), their instructions follow as "  offset: op"; the last instruction of
    // a method passing vectors is a one-byte return, so its offset + 1 is the method's length
    Pattern type = Pattern.compile("^(?:[a-z]+ )*(?:class|interface|enum) ([\\w.$]+).*\\{$"),
        member = Pattern.compile("^  \\S.*;$"), instruction = Pattern.compile("^\\s+(\\d+): (\\w+)"),
        name = Pattern.compile("([\\w$]+\\(.*\\))");
    Map<String, String> sizes = new java.util.TreeMap<>();
    int last = -1;
    String cls = "", method = null, lastOp = "";
    for (String l : lines) {
      if (member.matcher(l).matches() || l.startsWith("}")) {
        if (method != null) sizes.put(method, (last + 1) + " bytes, ends with " + lastOp);
        Matcher n = name.matcher(l);
        method = l.contains("(") && l.contains("jdk.incubator.vector.") && n.find() ? cls + "." + n.group(1).replace("jdk.incubator.vector.", "") : null;
        last = -1;
        continue;
      }
      Matcher t = type.matcher(l);
      if (t.matches()) {
        cls = t.group(1);
        continue;
      }
      Matcher m = instruction.matcher(l);
      if (method != null && m.find()) {
        last = Integer.parseInt(m.group(1));
        lastOp = m.group(2);
      }
    }
    return sizes;
  }
}
