package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import netc.runtime.VmOptions;

/**
 * Chooses, once, the vector width the kernels run: the JVM's preferred float vector (what C2
 * compiles to machine vectors on this CPU: 512 bits with AVX-512, 256 with AVX2, 128 with NEON or
 * when {@code -XX:MaxVectorSize=16}), capped at 512, or 0 (the scalar kernels) where C2 does not
 * run ({@code -Xint}, {@code -XX:TieredStopAtLevel} below 4, a JVMCI compiler such as Graal in its
 * place), where the JVM has no FMA instructions ({@code -XX:-UseFMA}, which HotSpot sets on a CPU or
 * emulator without FMA3, e.g. QEMU's default qemu64 model, or at {@code -XX:UseAVX=0}), or vectors are
 * narrower than 128 bits: there the Vector API runs its Java fallback, many times slower than plain
 * loops and allocating (without FMA, each lane's fused multiply-add goes through BigDecimal).
 * {@code -Dnetc.vectorBits=512|256|128|0} overrides the choice; a width this JVM cannot run natively
 * still computes the same results, slowly, and says so once on standard error.
 */
final class VectorWidth {
  private VectorWidth() {}

  /** The widths with kernels, widest first. */
  static final int[] SUPPORTED = {512, 256, 128};

  /** The vector width in bits the kernels use, or 0 for the scalar kernels. */
  static final int BITS = choose();

  /**
   * The vector registers the tiles are cut for: 32 at 512 bits, 16 at 256, and at 128 bits 16 on x86
   * without AVX-512 (SSE and AVX2 have xmm0-15; AVX-512's EVEX encoding, {@code -XX:UseAVX=3}, has 32)
   * and 32 elsewhere (ARM NEON). {@code -Dnetc.vectorRegisters=16|32} overrides it at 128 bits (tests).
   */
  static final int REGISTERS = registers(BITS);

  /**
   * Whether the 16-register tiles (256 bits, and 128 bits on x86 without AVX-512) may take 15
   * registers for a sub-tile (6 pixels x 2 vectors) rather than 14 (5 x 2): a property of the JIT,
   * not the CPU. JDK 17's C2 keeps a 6x2 sub-tile in registers (resnet50 in 0.89-0.94 of the 5x2
   * tiles' time at 256 bits, 0.93-0.97 at 128); JDK 25's spills accumulators in every k step (1.34x
   * and 1.39x slower), so only JDK 17 gets them: the JDKs between are not measured.
   * {@code -Dnetc.tightTiles=true|false} overrides it (tests, experiments). Measured paired in one JVM
   * on an AMD EPYC Zen 4 at {@code -XX:UseAVX=2}.
   */
  static final boolean TIGHT = tight();

  static boolean tight() {
    String asked = System.getProperty("netc.tightTiles");
    if ("true".equals(asked) || "false".equals(asked)) return Boolean.parseBoolean(asked);
    if (asked != null && !asked.isBlank()) {
      System.err.println("netc: warning: -Dnetc.tightTiles=" + asked + " is not true or false; using what this JVM's compiler allows");
    }
    return Runtime.version().feature() == 17;
  }

  static int registers(int bits) {
    if (bits != 128) return bits == 512 ? 32 : bits == 256 ? 16 : 0;
    String asked = System.getProperty("netc.vectorRegisters");
    if ("16".equals(asked) || "32".equals(asked)) return Integer.parseInt(asked);
    if (asked != null && !asked.isBlank()) {
      System.err.println("netc: warning: -Dnetc.vectorRegisters=" + asked + " is not 16 or 32; using the machine's register file");
    }
    if (!x86(System.getProperty("os.arch", ""))) return 32;
    try {
      return Integer.parseInt(String.valueOf(VmOptions.get("UseAVX"))) >= 3 ? 32 : 16;
    } catch (NumberFormatException e) {
      return 16; // a JVM that does not say: the register file every x86 has
    }
  }

  /** Whether {@code arch} (os.arch) names an x86 processor, 64-bit or 32-bit. */
  static boolean x86(String arch) {
    return arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86") || arch.startsWith("i386") || arch.startsWith("i686");
  }

  /** The widest vector C2 compiles natively here, with its fused multiply-add; 0 when C2 does not run or there is no FMA. */
  static int nativeBits() {
    return c2Runs() && fmaRuns() ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : 0;
  }

  /** Whether fused multiply-adds are machine instructions here ({@link VmOptions#fusedMultiplyAdd}). */
  static boolean fmaRuns() {
    return VmOptions.fusedMultiplyAdd();
  }

  private static int choose() {
    int natural = 0;
    for (int bits : SUPPORTED) {
      if (bits <= nativeBits()) {
        natural = bits;
        break;
      }
    }
    String asked = System.getProperty("netc.vectorBits");
    if (asked == null || asked.isBlank()) return natural;
    int bits;
    try {
      bits = Integer.parseInt(asked.trim());
    } catch (NumberFormatException e) {
      bits = -1;
    }
    if (bits != 0 && bits != 128 && bits != 256 && bits != 512) {
      System.err.println("netc: warning: -Dnetc.vectorBits=" + asked + " is not 512, 256, 128 or 0; using "
          + (natural == 0 ? "the scalar kernels" : natural + "-bit vectors"));
      return natural;
    }
    if (bits > nativeBits() && !fmaRuns()) {
      System.err.println("netc: warning: -Dnetc.vectorBits=" + bits + " on a JVM without fused multiply-add instructions (UseFMA is off):"
          + " each lane's multiply-add runs the Vector API's Java fallback through BigDecimal, hundreds of times slower");
    } else if (bits > nativeBits() && !c2Runs()) {
      System.err.println("netc: warning: -Dnetc.vectorBits=" + bits + " on a JVM whose JIT does not compile vectors (no C2: -Xint, a"
          + " TieredStopAtLevel below 4, or a JVMCI compiler): the kernels run the Vector API's Java fallback, many times slower");
    } else if (bits > nativeBits()) {
      System.err.println("netc: warning: -Dnetc.vectorBits=" + bits + " is wider than the " + nativeBits()
          + "-bit vectors this JVM compiles natively: the kernels run the Vector API's Java fallback, many times slower");
    }
    return bits;
  }

  /**
   * Whether C2 compiles hot code here: the Vector API is intrinsified by C2 only. Read from the
   * HotSpot flags where the JVM exposes them; a JVM that does not is taken to have C2.
   */
  static boolean c2Runs() {
    return c2Runs(VmOptions.get("UseCompiler"), VmOptions.get("TieredCompilation"), VmOptions.get("TieredStopAtLevel"),
        VmOptions.get("UseJVMCICompiler"));
  }

  /**
   * {@link #c2Runs(String, String, String)}, and no JVMCI compiler in C2's place (UseJVMCICompiler, GraalVM's
   * default): GraalVM Community's compiler does not turn the incubating Vector API into machine vectors.
   */
  static boolean c2Runs(String compiler, String tiered, String stop, String jvmci) {
    return !"true".equals(jvmci) && c2Runs(compiler, tiered, stop);
  }

  /**
   * {@link #c2Runs()} from the values of HotSpot's flags UseCompiler, TieredCompilation and
   * TieredStopAtLevel, each null where the JVM does not say (a function of them alone, for the tests:
   * no test JVM runs without C2).
   */
  static boolean c2Runs(String compiler, String tiered, String stop) {
    if ("false".equals(compiler)) return false; // -Xint
    if (!"true".equals(tiered) || stop == null) return true; // C2 alone, or a JVM that does not say
    try {
      return Integer.parseInt(stop) >= 4;
    } catch (NumberFormatException e) {
      return true;
    }
  }
}
