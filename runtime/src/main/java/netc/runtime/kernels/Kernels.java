package netc.runtime.kernels;

/**
 * The compute kernels generated models call. Two implementations: {@link VectorKernels} on the
 * Vector API (at 512, 256 or 128 bits, as the machine runs them), and {@link ScalarKernels} for JVMs
 * without jdk.incubator.vector or C2. Both compute every
 * output with the same operations in the same order (fused multiply-adds over the same k order), so
 * they agree to the last bit on the convolutions; the choice is made once, in {@link #INSTANCE}.
 *
 * <p>Activations are channel-blocked, [C/16][H + 2 halo][W + 2 halo][16]; offsets passed in are in
 * floats. Activation codes: {@link #NONE}, {@link #RELU}, {@link #SIGMOID}, {@link #TANH},
 * {@link #LEAKY_RELU}, {@link #CLIP} (min(max(x, 0), p), the parameter p passed as the slope: ReLU6 with 6),
 * {@link #SILU} (x sigmoid(x)), {@link #HARDSIGMOID} (relu6(x + 3) / 6), {@link #HARDSWISH} (x hardsigmoid(x))
 * and {@link #GELU} (x (1 + erf(x / sqrt(2))) / 2).
 */
public abstract class Kernels {
  public static final int NONE = 0, RELU = 1, SIGMOID = 2, TANH = 3, LEAKY_RELU = 4, CLIP = 5, SILU = 6, HARDSIGMOID = 7, HARDSWISH = 8,
      GELU = 9;

  /** Floats per channel block; the blocked layout and the micro-kernels are written for 16. */
  public static final int BLOCK = 16;

  /** Output pixels per tile of the gathering kernel for 1 or 2 channel blocks. */
  public static final int TILE = 7;

  /**
   * Output pixels per tile of the gathering kernel for 4 channel blocks: at 512 bits, 6 x 4
   * accumulators fill 24 of the 32 vector registers (narrower widths cut the tile into sub-tiles).
   */
  public static final int WIDE_TILE = 6;

  /**
   * Output pixels per tile of the linear kernel ({@link #convLinear}): at 512 bits, 14 x 2
   * accumulators, two weight vectors and a broadcast fill 31 of the 32 vector registers; at 256 and
   * 128 bits the tile runs as six sub-tiles that fit those registers (the plan, and so every
   * compiled model, is the same on every width). Every ResNet feature map of
   * 14 or more pixels a side is a whole number of rows of tiles (112, 56, 28, 14).
   */
  public static final int LINEAR_TILE = 14;

  /**
   * Output pixels per tile of {@link #convLinearSmall}, for a tile whose pixels past the eighth repeat
   * it: the last tile of a 7x7 map (49 = 3 x 14 + 7), which {@link #convLinear} computes so.
   */
  public static final int SMALL_LINEAR_TILE = 8;

  /**
   * Most tiles of a Winograd F(2x2,3x3) conv that runs in the lanes layout ({@link
   * #winogradProductLanes}): the 16 floats of a row, which hold tiles there instead of channels.
   */
  public static final int LANE_TILES = 16;

  /** Output channels per weight panel of {@link #winogradProductLanes}: [panel][k][6]. */
  public static final int LANE_PANEL = 6;

  /**
   * The output channels of a lane product are padded to, and computed in, multiples of this: two
   * panels, what every width's lane tile computes a call (Tiles*.lanes, cut per width by TileGenerator).
   */
  public static final int LANE_CHANNELS = 12;

  /** Channel blocks per tile of the gathering kernel for a conv with this many output blocks: 4 when they group so, else 2, else 1. */
  public static int blocksPerTile(int outBlocks) {
    return KernelTiles.blocksPerTile(outBlocks);
  }

  /** Output pixels per tile of the gathering kernel for a tile of {@code blocks} channel blocks. */
  public static int tilePixels(int blocks) {
    return KernelTiles.tilePixels(blocks);
  }

  /** Channel blocks per tile of the linear kernel: 2 when the output blocks pair up, else 1. */
  public static int linearBlocks(int outBlocks) {
    return KernelTiles.linearBlocks(outBlocks);
  }

  /**
   * The implementation for this JVM, chosen once: the vector kernels at the width this machine runs
   * natively (see {@code VectorWidth}: 512, 256 or 128 bits, or {@code -Dnetc.vectorBits}), else the
   * scalar ones (no jdk.incubator.vector, no C2, or {@code -Dnetc.vectorBits=0}).
   */
  public static final Kernels INSTANCE = choose();

  /**
   * Whether {@code text} is 0 as VectorWidth reads -Dnetc.vectorBits (00 and +0 too: they asked for the scalar kernels there
   * as well). Its own parse, not VectorWidth's: loading VectorWidth loads FloatVector, which a JVM without the vector
   * module has not (JarTest runs the jar so, to see it relaunch itself).
   */
  private static boolean isZero(String text) {
    try {
      return Integer.parseInt(text.trim()) == 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Kernels choose() {
    boolean scalarAsked = Boolean.getBoolean("netc.scalar") || isZero(System.getProperty("netc.vectorBits", ""));
    if (scalarAsked) return new ScalarKernels();
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      System.err.println("warning: jdk.incubator.vector is not available; running scalar kernels, much slower "
          + "(run java with --add-modules jdk.incubator.vector)");
      return new ScalarKernels();
    }
    try {
      // decided from VectorWidth, which depends on nothing here: VectorKernels extends this class,
      // so when code touches VectorKernels first, this runs inside VectorKernels' own initialization
      if (VectorWidth.BITS == 0) {
        System.err.println(VectorWidth.fmaRuns() ? "warning: this JVM does not compile vectors (no C2, or vectors under 128 bits); running scalar kernels"
            : "warning: this JVM has no fused multiply-add instructions (UseFMA is off: a CPU or emulator without FMA3, or -XX:UseAVX=0);"
                + " running scalar kernels with separate multiplies and adds");
        return new ScalarKernels();
      }
      return (Kernels) Class.forName("netc.runtime.kernels.VectorKernels").getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      System.err.println("warning: the Vector API could not be used (" + e + "); running scalar kernels, much slower");
      return new ScalarKernels();
    }
  }

  public abstract boolean vectorized();

  /** The vector width in bits these kernels compute with, 0 for the scalar kernels. */
  public int vectorBits() {
    return 0;
  }

  /**
   * The widest vector this JVM computes with natively: its preferred species where C2 runs and fused multiply-adds are
   * instructions, else 0. Loads jdk.incubator.vector: for callers that have it (the benchmarks' peak probe).
   */
  public static int nativeVectorBits() {
    return VectorWidth.nativeBits();
  }

  /** The vector registers the tiles are cut for (16 or 32), 0 for the scalar kernels. */
  public int vectorRegisters() {
    return vectorBits() == 0 ? 0 : VectorWidth.REGISTERS;
  }

  /**
   * What runs here, for a user's eyes: the kernel variant, the vector width and the register file it
   * is tiled for, e.g. {@code "vector-256 (AVX2 class: 8 floats a vector, tiles for 16 registers)"}, with
   * {@code ", 15 to a sub-tile"} before the parenthesis closes where the tiles are for 16 registers and
   * {@code VectorWidth.TIGHT}.
   */
  public String variant() {
    int bits = vectorBits();
    if (bits == 0) return "scalar (no vectors)"; // before VectorWidth, which needs the vector module
    int registers = VectorWidth.REGISTERS; // chosen with the width, once (bits is VectorWidth.BITS here)
    String machines = machineClass(bits, registers, System.getProperty("os.arch", ""));
    boolean tight = registers == 16 && VectorWidth.TIGHT; // the 16-register files' tighter cuts (Tiles256t, Tiles128r16t)
    return "vector-" + bits + " (" + machines + " class: " + bits / 32 + " floats a vector, tiles for " + registers + " registers"
        + (tight ? ", 15 to a sub-tile" : "") + ")";
  }

  /**
   * The machines a width's tiles are for, by name: on x86 AVX-512, AVX2, and at 128 bits SSE (16 registers)
   * or, with AVX-512's 32, the class of NEON; on ARM NEON at 128 bits and SVE wider (Graviton3's 256-bit SVE
   * was called "AVX2 class" though no AVX2 is there); elsewhere (riscv64, ppc64le, s390x) the architecture.
   */
  static String machineClass(int bits, int registers, String arch) {
    if (arch.equals("aarch64") || arch.equals("arm64")) return bits == 128 ? "NEON" : "SVE";
    if (!VectorWidth.x86(arch)) return arch.isEmpty() ? "unknown" : arch;
    return bits == 512 ? "AVX-512" : bits == 256 ? "AVX2" : registers == 16 ? "SSE" : "NEON";
  }

  /**
   * The CPU's model name as the OS reports it: Linux's /proc/cpuinfo, macOS's {@code sysctl machdep.cpu.brand_string}
   * ("Apple M2 Pro"), Windows's registry entry for processor 0 (its ProcessorNameString); else the architecture.
   */
  public static String cpuModel() {
    String arch = System.getProperty("os.arch"), os = System.getProperty("os.name", "");
    try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
      return cpuModel(lines.limit(4096).toList(), arch);
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: ask the OS, briefly
    }
    if (os.startsWith("Mac")) {
      java.util.List<String> out = commandOutput("sysctl", "-n", "machdep.cpu.brand_string");
      if (!out.isEmpty() && !out.get(0).isBlank()) return out.get(0).strip();
    } else if (os.startsWith("Windows")) {
      String name = windowsProcessorName(commandOutput("reg", "query", "HKLM\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0",
          "/v", "ProcessorNameString"));
      if (name != null) return name;
    }
    return arch;
  }

  /**
   * The value in {@code reg query ... /v ProcessorNameString}'s output ("    ProcessorNameString    REG_SZ    Intel(R) Core(TM)
   * i7-8700 CPU @ 3.20GHz"), or null.
   */
  static String windowsProcessorName(java.util.List<String> lines) {
    for (String l : lines) {
      int at = l.indexOf("REG_SZ");
      if (l.strip().startsWith("ProcessorNameString") && at >= 0 && !l.substring(at + 6).isBlank()) return l.substring(at + 6).strip();
    }
    return null;
  }

  /** The first lines a command prints, within two seconds; none where it cannot run, fails or takes longer. */
  static java.util.List<String> commandOutput(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
          System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null"))).start();
      // waited for before its output is read, so a command that hangs cannot block the read: what these print is a
      // line, far within a pipe's buffer
      if (!p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        p.getInputStream().close(); // its pipe, not left to the collector
        return java.util.List.of();
      }
      try (java.io.InputStream in = p.getInputStream()) {
        return new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
      }
    } catch (java.io.IOException | RuntimeException e) {
      return java.util.List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.List.of();
    }
  }

  /**
   * The CPU model from the lines of /proc/cpuinfo: x86's "model name" (or a board's "Model"); on ARM,
   * which has neither, the core named from its "CPU implementer" and "CPU part" (the MIDR fields lscpu
   * decodes), e.g. "ARM Neoverse-V1 (aarch64)"; else {@code arch}.
   */
  static String cpuModel(java.util.List<String> lines, String arch) {
    String implementer = null, part = null;
    for (String l : lines) {
      int colon = l.indexOf(':');
      if (colon < 0) continue;
      String key = l.substring(0, colon).trim(), value = l.substring(colon + 1).trim();
      if ((key.equals("model name") || key.equals("Model")) && !value.isEmpty()) return value;
      if (key.equals("CPU implementer") && implementer == null) implementer = value.toLowerCase(java.util.Locale.ROOT);
      if (key.equals("CPU part") && part == null) part = value.toLowerCase(java.util.Locale.ROOT);
    }
    if (implementer == null || part == null) return arch;
    String vendor = switch (implementer) {
      case "0x41" -> "ARM";
      case "0x61" -> "Apple";
      case "0x48" -> "HiSilicon";
      case "0xc0" -> "Ampere";
      case "0x51" -> "Qualcomm";
      case "0x46" -> "Fujitsu";
      default -> "implementer " + implementer;
    };
    String core = !implementer.equals("0x41") ? null : switch (part) {
      case "0xd08" -> "Cortex-A72";
      case "0xd0b" -> "Cortex-A76";
      case "0xd0c" -> "Neoverse-N1";
      case "0xd40" -> "Neoverse-V1";
      case "0xd49" -> "Neoverse-N2";
      case "0xd4f" -> "Neoverse-V2";
      case "0xd8e" -> "Neoverse-N3";
      case "0xd84" -> "Neoverse-V3";
      default -> null;
    };
    return vendor + " " + (core != null ? core : "part " + part) + " (" + arch + ")";
  }

  /**
   * One conv tile: {@link #tilePixels} output pixels by {@code blocks} (1, 2 or 4) blocks of 16 output channels.
   * For each k in [0, kOff.length): the input value at {@code in[inBase + inPix[p0 + t] + kOff[k]]}
   * multiplies the weights {@code w[wBase + k * 16 * blocks ...]}. Then the epilogue: + bias, + the
   * residual at {@code res[resBase + resPix[p0 + t]]} when {@code res != null}, the activation, and the
   * store to {@code out[outBase + outPix[p0 + t]]} (block b at + b * outBlockStride). A pixel's
   * residual is read before its output is written, so out may alias res.
   */
  public abstract void convTile(int blocks, float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase,
      int biasOff, float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope);

  /**
   * Copies one tile's input into a panel for {@link #convLinear}, im2col in whole channel blocks: for
   * each of the {@code kbOff.length} (input block, kernel row, kernel column) steps and each of the
   * {@link #LINEAR_TILE} pixels t, the 16 floats at {@code in[inBase + inPix[p0 + t] + kbOff[kb]]} go to
   * {@code panel[panelBase + (kb * LINEAR_TILE + t) * 16]}. The panel then holds the tile's pixels
   * at a stride of 16, as a halo-free blocked tensor does, whatever the conv's stride, padding or window.
   */
  public void packBlocks(float[] in, int inBase, int[] inPix, int p0, int[] kbOff, float[] panel, int panelBase) {
    for (int kb = 0; kb < kbOff.length; kb++) {
      for (int t = 0; t < LINEAR_TILE; t++) {
        System.arraycopy(in, inBase + inPix[p0 + t] + kbOff[kb], panel, panelBase + (kb * LINEAR_TILE + t) * 16, 16);
      }
    }
  }

  /**
   * One tile of {@link #LINEAR_TILE} output pixels by {@code blocks} (1 or 2) blocks of 16 output
   * channels, over inputs that lie at a stride of 16 floats: for each k in [0, kOff.length), the input
   * of tile pixel t is {@code x[xBase + kOff[k] + 16 t]} (a halo-free blocked tensor read in place, or
   * a panel from {@link #packBlocks}) and multiplies {@code w[wBase + k * 16 * blocks ...]}. The
   * epilogue is {@link #convTile}'s, over pixels {@code p0 ..} of the pixel tables. Pixels past the
   * last are computed from whatever follows it in {@code x} and not stored; the caller keeps 224
   * floats of {@code x} readable past the last input. A tile whose pixels from the ninth on repeat
   * its eighth (the last tile of a map of 7 x 7 pixels or Winograd tiles, 49 = 3 x 14 + 7) may be
   * computed as a tile of {@link #SMALL_LINEAR_TILE} pixels.
   *
   * <p>While it computes, the tile reads floats of {@code w[next, next + kOff.length * nextStep)}, at
   * least one in every {@code nextStep}, and discards them: the caller points it at this tile's share
   * of the weights the thread will use next (the next group's, of a step run group by group), so they
   * stream in from memory during this group's arithmetic instead of stalling the next group's first
   * tile. A tile cut into sub-tiles spreads its touches over them where nextStep is a multiple of
   * their count (up to 4), so the misses are in flight through the whole tile, not its first sub-tile
   * alone; else its first sub-tile reads {@code w[next + k * nextStep]} a k step. A touch changes no
   * result; {@code nextStep} 0 touches one float over and over, which costs nothing.
   */
  public abstract void convLinear(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep);

  /**
   * {@link #convLinear} with the tile's pixels {@code step} floats apart instead of 16, for a
   * stride-2 conv read in place one output row's {@link #LINEAR_TILE} pixels at a time: 2 over a
   * plain (unblocked) input such as the stem's image, 32 over a channel-blocked one. Input of tile
   * pixel t at {@code x[xBase + kOff[k] + step t]}. Two output blocks per tile (the shape every
   * such ResNet conv has), or one at step 32 (a grouped conv whose groups are single output blocks,
   * as ResNeXt's stride-2 3x3s); other convs copy panels for {@link #convLinear}.
   */
  public abstract void convLinearStrided(int step, int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep);

  /** The steps {@link #convLinearStrided} takes. */
  public static boolean stridedStep(int step) {
    return KernelTiles.stridedStep(step);
  }

  /**
   * {@link #convLinear} over a tile of {@link #SMALL_LINEAR_TILE} pixels, two output blocks per tile
   * only. It touches two floats of the next weights a k step, {@code w[next + k nextStep]} and {@code
   * w[next + k nextStep + nextStep / 2]} (or, cut into sub-tiles, one a k step in each of up to four
   * of them, as {@link #convLinear} spreads its touches): its 16 multiply-adds a step are half a
   * 14-pixel tile's. Every touch lies in {@code [next, next + kOff.length * nextStep)}, the share a
   * single touch a step would have had. {@link #convLinear} computes a tile whose pixels past the
   * eighth repeat it so (small Winograd products, which called it for 7x7 maps, now run in the lanes
   * layout: {@link #winogradProductLanes}).
   */
  public abstract void convLinearSmall(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep);

  /**
   * One output row of one 16-channel block of a depthwise conv, each channel convolved with its own
   * window: output pixel x (of {@code outW}) sums, for k in [0, kOff.length), the 16 inputs at
   * {@code in[inBase + x * step + kOff[k] ..]} times the 16 weights at {@code w[wBase + 16 k ..]}, lane by
   * lane, in fused multiply-adds from k = 0 up; then + the bias at {@code w[biasOff ..]}, + the residual at
   * {@code res[resBase + 16 x ..]} when {@code res != null}, the activation, and the store to
   * {@code out[outBase + 16 x ..]}. {@code step} is the stride in floats between output pixels' windows
   * (16 x the conv's stride); kOff holds each window position's offset (rows and dilation included).
   * A pixel's residual is read before its output is written, so out may alias res; out must not overlap
   * in (the vector kernel stores bare sums and then reads input again).
   */
  public abstract void depthwiseRow(float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope);

  /**
   * One output row of one 16-channel block of a grouped conv whose groups are {@code g} channels wide
   * (2 or 4: ResNeXt's layer1 has 32 groups of 4 channels), input and output, so a block holds 16 / g whole
   * groups and reads only its own input block: output lane o sums, for k in [0, kOff.length) and j in
   * [0, g), input lane (o / g) g + j at {@code in[inBase + x * step + kOff[k] ..]} times the weight at
   * {@code w[wBase + (k g + j) 16 + o]}, in fused multiply-adds in that order; then the epilogue of
   * {@link #depthwiseRow} (bias, residual, activation). Per input pixel and window position it does g
   * multiply-adds a lane, where the dense conv of the block (zeros outside the groups) does 16. The
   * same aliasing rules as {@link #depthwiseRow}.
   */
  public abstract void groupedRow(int g, float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope);

  /** out = act(W x + b) for outputs [from, to); W is [outputs][inPadded] row-major; biasOff < 0 for none. */
  public abstract void fc(float[] in, int inBase, int inPadded, float[] w, int wBase, int biasOff, float[] out, int outBase,
      int act, float slope, int from, int to);

  /** Applies an activation to {@code n} floats starting at {@code base} (n a multiple of 16). */
  public abstract void activate(float[] a, int base, int n, int act, float slope, float[] out, int outBase);

  /** out = act(x + y) over n floats (a multiple of 16): an add the conv epilogues did not absorb, with its activation. */
  public abstract void add(float[] x, int xBase, float[] y, int yBase, float[] out, int outBase, int n, int act, float slope);

  /**
   * A channel gate over one row of one block: {@code out[p][j] = x[p][j] * s[j]} for {@code pixels}
   * pixels of 16 floats from {@code xBase} and {@code outBase}, the block's 16 gate values at {@code
   * sBase} (a squeeze-and-excitation's sigmoid outputs).
   */
  public abstract void scaleRow(float[] x, int xBase, float[] s, int sBase, float[] out, int outBase, int pixels);

  /**
   * out = act(x * scale[c] + shift[c]) over one row of {@code pixels} blocked pixels of channel block c:
   * a batch norm no conv could absorb (DenseNet's, before its ReLU and conv), with its activation.
   */
  public abstract void affineRow(float[] x, int xBase, float[] w, int scaleOff, int shiftOff, float[] out, int outBase, int pixels,
      int act, float slope);

  /** Max pooling of one output row of one channel block, each window clipped to the input (padding never wins). */
  public abstract void maxPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw);

  /**
   * Average pooling of one output row of one channel block with torch's divisor per window: with
   * {@code countPad}, the window clipped to the padded input, rows below {@code limH} = inH + bottom
   * padding and columns left of {@code limW} (padded zeros count, a ceil-mode overhang does not);
   * without it, the pixels inside the input. Each window holds at least one input pixel.
   */
  public abstract void avgPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw, int limH, int limW, boolean countPad);

  /** Clamps {@code n} floats to [lo, hi] (n a multiple of 16): a clip the conv epilogues cannot carry. */
  public abstract void clamp(float[] a, int base, int n, float lo, float hi, float[] out, int outBase);

  /**
   * The divisor of an average-pool window starting at (y0, x0) (before clipping); see {@link #avgPoolRow}.
   * In longs, as torch's int64: a window of 65536 x 65536 over a small input with half-kernel padding
   * passes every check, and its 2^32 padded pixels wrapped to 0 in an int (every output infinite or NaN;
   * 46341^2 to a negative count). A float divided by the long rounds it as it rounded the int, so windows
   * under 2^31 pixels divide exactly as before.
   */
  static long poolDivisor(int y0, int x0, int kh, int kw, int inH, int inW, int limH, int limW, boolean countPad) {
    if (countPad) return (Math.min((long) y0 + kh, limH) - y0) * (Math.min((long) x0 + kw, limW) - x0);
    return (Math.min((long) y0 + kh, inH) - Math.max(y0, 0)) * (Math.min((long) x0 + kw, inW) - Math.max(x0, 0));
  }

  /**
   * Output channels [n0, n1) (multiples of {@link #LANE_CHANNELS}) of one Winograd product M_q = U_q
   * V_q in the lanes layout, for a conv of at most {@link #LANE_TILES} tiles: each of V_q's k input
   * channels is a row of 16 floats, one tile a lane, at {@code v[vBase + 16 c ..]}, and M_q's output
   * channel n goes to the row at {@code m[mBase + 16 n ..]}; the weights are broadcast from panels of
   * {@link #LANE_PANEL} output channels, the weight of output channel n and input channel c at {@code
   * w[wBase + ((n / 6) k + c) 6 + n % 6]}, each panel one stream. On a small map (a 7x7 map's 16
   * tiles) each weight serves so few tiles that the channel-vector tiles of {@link #convLinearSmall}
   * stall on reading them; here each is read once a product. Each output lane is the fused
   * multiply-adds of its k products in order from c = 0, starting at zero, as {@link #convLinear}
   * sums a product, so either layout gives the same bits.
   */
  public abstract void winogradProductLanes(float[] v, int vBase, int k, float[] w, int wBase, int n0, int n1, float[] m, int mBase);

  /**
   * Per-thread row of the lane transforms: one row of at most {@link #LANE_TILES} tiles' 16
   * positions of one channel block, in the layout {@link #winogradInput} and {@link
   * #winogradOutput} use.
   */
  private static final ThreadLocal<float[]> LANE_ROW = ThreadLocal.withInitial(() -> new float[16 * LANE_TILES * 16]);

  /**
   * {@link #winogradInput} into the lanes layout of {@link #winogradProductLanes}: position q of
   * this row's tile t, channel c of the block, at {@code v[vBase + q * vPos + 16 c + t]} (vBase
   * points at the block's rows, plus the row's first tile as lanes). The same values, moved.
   */
  public final void winogradInputLanes(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] row = laneRow(tiles);
    winogradInput(in, inBase, rowStride, tiles, row, 0, tiles * 16);
    for (int q = 0; q < 16; q++) {
      for (int t = 0; t < tiles; t++) {
        int from = (q * tiles + t) * 16, to = vBase + q * vPos + t;
        for (int c = 0; c < 16; c++) v[to + 16 * c] = row[from + c];
      }
    }
  }

  /**
   * {@link #winogradOutput} from the lanes layout of {@link #winogradProductLanes}: position q of
   * this row's tile t, channel c of the output block, at {@code m[mBase + q * mPos + 16 c + t]}.
   */
  public final void winogradOutputLanes(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] row = laneRow(tiles);
    for (int q = 0; q < 16; q++) {
      for (int t = 0; t < tiles; t++) {
        int to = (q * tiles + t) * 16, from = mBase + q * mPos + t;
        for (int c = 0; c < 16; c++) row[to + c] = m[from + 16 * c];
      }
    }
    winogradOutput(row, 0, tiles * 16, tiles, w, biasOff, out, outBase, outRowStride, rows, outW, res, resBase, resRowStride, act, slope);
  }

  private static float[] laneRow(int tiles) {
    if (tiles < 1 || tiles > LANE_TILES) throw new IllegalArgumentException("a row of " + tiles + " tiles in the lanes layout");
    return LANE_ROW.get();
  }

  /**
   * Winograd F(2x2,3x3) input transform, V = B^T d B, of one row of {@code tiles} 4x4 patches of one
   * channel block: patch t's top-left value at {@code in[inBase + t * 32]}, rows {@code rowStride}
   * apart; position q (0..15) of tile t goes to {@code v[vBase + q * vPos + t * 16]}.
   */
  public abstract void winogradInput(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos);

  /**
   * Winograd output transform, Y = A^T m A, of one row of tiles of one output block, then the conv
   * epilogue: position q of tile t at {@code m[mBase + q * mPos + t * 16]}; output pixel (i, 2t + j)
   * of this tile row at {@code out[outBase + i * outRowStride + (2t + j) * 16]}, written only for
   * i < rows and 2t + j < outW; the residual is read at the same offsets from resBase.
   */
  public abstract void winogradOutput(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope);

  /**
   * Winograd F(4x4,3x3) input transform, V = B^T d B, of one row of {@code tiles} 6x6 patches of one
   * channel block: patch t's top-left value at {@code in[inBase + t * 64]}, rows {@code rowStride}
   * apart; position q (0..35) of tile t goes to {@code v[vBase + q * vPos + t * 16]}. With
   * B^T = [1 0 -17/4 0 1 0; 0 -2 -4 1/2 1 0; 0 2 -4 -1/2 1 0; 0 -1/2 -1/4 2 1 0; 0 1/2 -1/4 -2 1 0; 0 1 0 -17/4 0 1]
   * (the points 0, +-1/2, +-2), applied to columns, then rows, as {@link #bt6} computes it.
   */
  public abstract void winograd4Input(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos);

  /**
   * Winograd F(4x4,3x3) output transform, Y = A^T m A, with A^T = [1 1 1 1 1 0; 0 1/2 -1/2 2 -2 0;
   * 0 1/4 1/4 4 4 0; 0 1/8 -1/8 8 -8 1], then the conv epilogue; as {@link #winogradOutput} with 4x4 output
   * tiles: output pixel (i, 4t + j) written for i < rows and 4t + j < outW.
   */
  public abstract void winograd4Output(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope);

  /**
   * B^T x for six values x[xo..xo+5] (one lane) into r[ro..ro+5]: the operation order every implementation follows (the
   * vector kernels, the scalar ones, the reference interpreter), so all three agree bit for bit.
   */
  public static void bt6(float[] x, int xo, float[] r, int ro) {
    float x0 = x[xo], x1 = x[xo + 1], x2 = x[xo + 2], x3 = x[xo + 3], x4 = x[xo + 4], x5 = x[xo + 5];
    float t0 = x4 - x2 * 4, t1 = x3 * 0.5f - x1 * 2, t2 = x4 - x2 * 0.25f, t3 = x3 * 2 - x1 * 0.5f;
    r[ro] = (x0 - x2 * 4.25f) + x4;
    r[ro + 1] = t0 + t1;
    r[ro + 2] = t0 - t1;
    r[ro + 3] = t2 + t3;
    r[ro + 4] = t2 - t3;
    r[ro + 5] = (x1 - x3 * 4.25f) + x5;
  }

  /** A^T x for six values x[xo..xo+5] into four r[ro..ro+3], in the order every implementation follows. */
  public static void at6(float[] x, int xo, float[] r, int ro) {
    float a = x[xo + 1] + x[xo + 2], b = x[xo + 1] - x[xo + 2], c = x[xo + 3] + x[xo + 4], d = x[xo + 3] - x[xo + 4];
    r[ro] = (x[xo] + a) + c;
    r[ro + 1] = b * 0.5f + d * 2;
    r[ro + 2] = a * 0.25f + c * 4;
    r[ro + 3] = (b * 0.125f + d * 8) + x[xo + 5];
  }

  /** Pixels a lane of {@link #meanBlock} sums in float before it adds them to its double total. */
  static final int MEAN_CHUNK = 64;

  /**
   * Mean over h x w pixels (row stride in floats) of one channel block, written as 16 floats. Each
   * lane sums {@link #MEAN_CHUNK} pixels at a time in float and those sums in double: one float sum of
   * a whole map loses digits as it grows (the mean of 2^22 values of 0.3 came out 0.2975; past 2^24
   * ones it stops growing), and the pixels' order is the same at every width, so all agree to the bit.
   */
  public abstract void meanBlock(float[] in, int inBase, int rowStride, int h, int w, float[] out, int outBase);

  /**
   * One row of {@code w} pixels of a layer norm over {@code channels} channels (a blocked [C][H][W]
   * map, blocks {@code inPlane} and {@code outPlane} floats apart, a pixel's 16 lanes together):
   * each pixel's mean and variance over its channels, in double sums in channel order (as the
   * interpreter: in float, a pixel whose mean is large beside its spread lost the spread's digits, and
   * values past 1.8e19 squared to infinity), then (x - mean) / sqrt(variance + eps) * weight[c] + bias[c];
   * the output's padding lanes are zeroed. One implementation for every kernel set, so they agree.
   */
  public final void layerNormRow(float[] in, int inBase, int inPlane, int channels, int w, float[] wts, int weightOff, int biasOff, float eps,
      float[] out, int outBase, int outPlane) {
    int blocks = (channels + 15) / 16;
    for (int x = 0; x < w; x++) {
      double sum = 0;
      for (int c = 0; c < channels; c++) sum += in[inBase + (c >> 4) * inPlane + x * 16 + (c & 15)];
      double mean = sum / channels, sq = 0;
      for (int c = 0; c < channels; c++) {
        double d = in[inBase + (c >> 4) * inPlane + x * 16 + (c & 15)] - mean;
        sq += d * d;
      }
      double inv = 1 / Math.sqrt(sq / channels + eps);
      for (int c = 0; c < blocks * 16; c++) {
        int o = outBase + (c >> 4) * outPlane + x * 16 + (c & 15);
        out[o] = c < channels ? (float) ((in[inBase + (c >> 4) * inPlane + x * 16 + (c & 15)] - mean) * inv * wts[weightOff + c] + wts[biasOff + c]) : 0f;
      }
    }
  }
}
