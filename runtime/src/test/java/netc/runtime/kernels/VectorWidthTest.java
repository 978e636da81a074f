package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernels run the width asked for with {@code -Dnetc.vectorBits} (the build runs the kernel and
 * model tests once per width that way), else the widest this JVM compiles natively, never wider.
 */
class VectorWidthTest {
  @Test
  void theKernelsRunTheWidthAskedForOrTheMachinesOwn() {
    String asked = System.getProperty("netc.vectorBits");
    // whether C2 runs, from this JVM's command line rather than from VectorWidth.c2Runs, which is under test
    List<String> flags = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
    boolean c2 = !flags.contains("-Xint") && (flags.contains("-XX:-TieredCompilation") || flags.stream().noneMatch(f -> f.matches("-XX:TieredStopAtLevel=[0-3]")));
    assertEquals(c2, VectorWidth.c2Runs(), "C2 runs with " + flags);
    // FMA instructions, from HotSpot's flag itself rather than from VectorWidth.fmaRuns
    boolean fma = !"false".equals(java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
        .getVMOption("UseFMA").getValue());
    assertEquals(fma, VectorWidth.fmaRuns(), "FMA with " + flags);
    int nativeBits = c2 && fma ? Math.min(512, FloatVector.SPECIES_PREFERRED.vectorBitSize()) : 0;
    int expected = asked == null || asked.isBlank() ? (nativeBits >= 128 ? nativeBits : 0) : Integer.parseInt(asked);
    assertEquals(expected, Kernels.INSTANCE.vectorBits(), "the width of Kernels.INSTANCE (" + Kernels.INSTANCE.variant() + ")");
    assertEquals(expected == 0, Kernels.INSTANCE instanceof ScalarKernels, "scalar kernels exactly when no width runs");
    if (expected > 0) {
      assertEquals(expected, VectorKernels.BITS);
      assertEquals(expected / 32, VectorKernels.L, "floats per vector");
      assertEquals(expected, VectorKernels.S.vectorBitSize());
      assertTrue(Kernels.INSTANCE.variant().startsWith("vector-" + expected + " "), Kernels.INSTANCE.variant());
    }
    if (asked == null) assertTrue(Kernels.INSTANCE.vectorBits() <= FloatVector.SPECIES_PREFERRED.vectorBitSize(), "never wider than the preferred species");
  }

  /**
   * C2, which alone compiles the Vector API to machine vectors, runs unless -Xint (UseCompiler false)
   * or tiered compilation stops below level 4 (-XX:TieredStopAtLevel=1, C1 only); without tiered
   * compilation C2 runs whatever the stop level, and a JVM that does not say is taken to have C2.
   */
  @Test
  void theScalarKernelsRunWhereC2DoesNot() {
    assertTrue(VectorWidth.c2Runs("true", "true", "4"), "the default flags");
    assertFalse(VectorWidth.c2Runs("false", "true", "4"), "-Xint");
    for (String level : List.of("0", "1", "2", "3")) assertFalse(VectorWidth.c2Runs("true", "true", level), "-XX:TieredStopAtLevel=" + level);
    assertTrue(VectorWidth.c2Runs("true", "false", "1"), "-XX:-TieredCompilation: C2 alone, the stop level unused");
    assertTrue(VectorWidth.c2Runs(null, null, null), "a JVM that does not expose its flags");
    assertTrue(VectorWidth.c2Runs("true", "true", null), "no stop level");
    assertTrue(VectorWidth.c2Runs("true", "true", "?"), "a stop level that is not a number");
    assertFalse(VectorWidth.c2Runs("true", "true", "4", "true"), "a JVMCI compiler (Graal) in C2's place");
    assertTrue(VectorWidth.c2Runs("true", "true", "4", "false"), "HotSpot's own C2");
    assertTrue(VectorWidth.c2Runs("true", "true", "4", null), "a JVM without JVMCI");
  }

  /**
   * The register file the tiles are cut for: 32 at 512 bits, 16 at 256, at 128 bits what {@code
   * -Dnetc.vectorRegisters} asks (the build's width-128r16 run) or the machine's, and the variant says it.
   */
  @Test
  void theTilesAreCutForTheRegisterFileThereIs() {
    assertEquals(32, VectorWidth.registers(512));
    assertEquals(16, VectorWidth.registers(256));
    String asked = System.getProperty("netc.vectorRegisters");
    if (asked != null) assertEquals(Integer.parseInt(asked), VectorWidth.registers(128), "-Dnetc.vectorRegisters=" + asked);
    else assertEquals(System.getProperty("os.arch").matches("amd64|x86_64") ? ("3".equals(netc.runtime.VmOptions.get("UseAVX")) ? 32 : 16) : 32,
        VectorWidth.registers(128), "x86 without AVX-512's encoding has 16 vector registers, NEON 32");
    if (VectorKernels.BITS == 128) {
      assertEquals(VectorWidth.registers(128), VectorKernels.REGISTERS);
      assertTrue(Kernels.INSTANCE.variant().contains("tiles for " + VectorKernels.REGISTERS + " registers"), Kernels.INSTANCE.variant());
    }
  }

  /** A register count the tiles have no cut for is refused with a warning, not taken. */
  @Test
  void anUnknownRegisterCountWarnsAndUsesTheMachines() {
    String old = System.getProperty("netc.vectorRegisters");
    java.io.PrintStream err = System.err;
    var captured = new java.io.ByteArrayOutputStream();
    try {
      System.clearProperty("netc.vectorRegisters");
      int machines = VectorWidth.registers(128);
      System.setProperty("netc.vectorRegisters", "24");
      System.setErr(new java.io.PrintStream(captured, true));
      assertEquals(machines, VectorWidth.registers(128));
    } finally {
      System.setErr(err);
      if (old == null) System.clearProperty("netc.vectorRegisters");
      else System.setProperty("netc.vectorRegisters", old);
    }
    assertEquals("netc: warning: -Dnetc.vectorRegisters=24 is not 16 or 32; using the machine's register file\n", captured.toString());
  }

  /**
   * The 16-register tiles take 15 registers a sub-tile where {@code -Dnetc.tightTiles} asks (the build's
   * width-256t and width-128r16t runs; width-256 and width-128r16 ask for the other cut) or, unasked, on
   * JDK 17 only; the variant says so.
   */
  @Test
  void theTighterCutRunsOnTheJitThatKeepsItInRegisters() {
    String asked = System.getProperty("netc.tightTiles");
    boolean expected = "true".equals(asked) || "false".equals(asked) ? Boolean.parseBoolean(asked) : Runtime.version().feature() == 17;
    assertEquals(expected, VectorWidth.TIGHT, "-Dnetc.tightTiles=" + asked + " on JDK " + Runtime.version().feature());
    assertEquals(VectorWidth.TIGHT, VectorKernels.TIGHT);
    if (VectorKernels.BITS > 0) {
      assertEquals(VectorKernels.REGISTERS == 16 && VectorKernels.TIGHT, Kernels.INSTANCE.variant().contains(", 15 to a sub-tile"),
          Kernels.INSTANCE.variant());
    }
  }

  /**
   * The dispatcher sends each tile of a 16-register width to its tight cut exactly when TIGHT, and the
   * tight cuts have the 6x2 sub-tiles.
   */
  @Test
  void theSixteenRegisterWidthsHaveBothCuts() {
    String dispatcher = TileGenerator.dispatcher();
    for (String cond : List.of("VectorKernels.BITS == 256", "VectorKernels.BITS == 128 && VectorKernels.REGISTERS == 16")) {
      String cls = cond.contains("256") ? "Tiles256" : "Tiles128r16";
      for (var tile : TileGenerator.TILES) {
        assertTrue(dispatcher.contains("if (" + cond + " && VectorKernels.TIGHT) " + cls + "t." + tile.name() + "("), tile.name() + ":\n" + dispatcher);
        assertTrue(dispatcher.contains("if (" + cond + " && !VectorKernels.TIGHT) " + cls + "." + tile.name() + "("), tile.name() + ":\n" + dispatcher);
      }
    }
    var linear = TileGenerator.TILES.get(0);
    assertEquals("linear14x2", linear.name());
    assertEquals("6x2 6x2 6x2 6x2 2x4", shapes(TileGenerator.cut(linear, width("Tiles256t"))));
    assertEquals("5x2 5x2 5x2 5x2 4x2 4x2", shapes(TileGenerator.cut(linear, width("Tiles256"))));
    assertEquals("6x2 6x2 6x2 6x2 6x2 6x2 6x2 6x2 2x4 2x4", shapes(TileGenerator.cut(linear, width("Tiles128r16t"))));
  }

  private static TileGenerator.Width width(String className) {
    return TileGenerator.WIDTHS.stream().filter(w -> w.className().equals(className)).findFirst().orElseThrow();
  }

  private static String shapes(java.util.List<TileGenerator.Part> parts) {
    return String.join(" ", parts.stream().map(p -> p.sub().pixels() + "x" + p.sub().vectors()).toList());
  }

  /** A value of -Dnetc.tightTiles other than true or false is refused with a warning. */
  @Test
  void anUnknownTightnessWarnsAndUsesTheJits() {
    String old = System.getProperty("netc.tightTiles");
    java.io.PrintStream err = System.err;
    var captured = new java.io.ByteArrayOutputStream();
    boolean chosen = VectorWidth.TIGHT; // VectorWidth initialized first, so its own choice warns nothing into the capture
    try {
      System.setProperty("netc.tightTiles", "yes");
      System.setErr(new java.io.PrintStream(captured, true));
      assertEquals(Runtime.version().feature() == 17, VectorWidth.tight());
    } finally {
      System.setErr(err);
      if (old == null) System.clearProperty("netc.tightTiles");
      else System.setProperty("netc.tightTiles", old);
    }
    assertEquals("netc: warning: -Dnetc.tightTiles=yes is not true or false; using what this JVM's compiler allows\n", captured.toString());
    assertEquals(chosen, VectorWidth.TIGHT, "chosen once, when the runtime loads");
  }

  /** The variant's machine class names the instruction set the width means on this architecture: SVE on ARM wider than NEON, not AVX2. */
  @Test
  void theMachineClassFollowsTheArchitecture() {
    assertEquals("AVX-512", Kernels.machineClass(512, 32, "amd64"));
    assertEquals("AVX2", Kernels.machineClass(256, 16, "amd64"));
    assertEquals("SSE", Kernels.machineClass(128, 16, "x86_64"));
    assertEquals("NEON", Kernels.machineClass(128, 32, "amd64"));
    assertEquals("NEON", Kernels.machineClass(128, 32, "aarch64"));
    assertEquals("SVE", Kernels.machineClass(256, 16, "aarch64"));
    assertEquals("SVE", Kernels.machineClass(512, 32, "aarch64"));
    assertEquals("riscv64", Kernels.machineClass(256, 32, "riscv64"));
    assertEquals("ppc64le", Kernels.machineClass(128, 32, "ppc64le"));
    assertEquals("AVX2", Kernels.machineClass(256, 16, "x86_64"));
  }
}
