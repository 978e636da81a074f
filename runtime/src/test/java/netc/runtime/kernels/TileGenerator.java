package netc.runtime.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the register tiles of the vector kernels, one class per vector width ({@code Tiles512},
 * {@code Tiles256}, {@code Tiles128}), from one description: the tiles the kernel plan calls (their
 * pixels, output channel blocks and input addressing, the same on every machine) and, per width, the
 * lanes of a vector and the vector registers. Each tile is cut into sub-tiles of p pixels x v vectors
 * that fit the width's register budget with their v weight vectors and one broadcast (p v + v + 1
 * registers, {@link Width#budget}), choosing the cut with the fewest loads per k step ({@link #cut});
 * each sub-tile is a method with one flat k loop, its accumulators in registers. Every sub-tile computes its outputs with the same fused
 * multiply-adds in the same k order as the 16-lane tile, so all widths agree to the last bit.
 *
 * <p>Run {@code main} (or the tests with {@code -Dgoldens.update=true}) after changing it; {@code
 * TilesAreGeneratedTest} fails while a committed file differs from what this writes. For experiments,
 * {@code -Dtiles.registers.Tiles256=N} changes a width's register budget and {@code -Dtiles.shape.Tiles256=7x2}
 * forces a sub-tile shape (where its vectors divide the tile's); measured on an AVX-512 Xeon at
 * {@code -XX:UseAVX=2}, alternating variants in one JVM, the 14x2 tile ran at 68-74 GFLOP/s as six 5x2
 * sub-tiles (the even cut), 57-61 as four 7x2 (17 registers: C2 spills) or four 14x1, 55-62 as
 * 2x4 and 3x4; two k steps per loop iteration made the 5x2 sub-tile slower (33 against 38 GFLOP/s in
 * the same runs; 6x2: 44 against 89 on an AMD EPYC Zen 4), so the loop stays one step an iteration.
 * On the Zen 4 (two 256-bit FMA pipes, so 256-bit code has the FMA peak of 512-bit code) a k step of a
 * sub-tile costs about the same cycles whether it does 10 or 12 FMAs (a lone 6x2 sub-tile 100 GFLOP/s,
 * a 5x2 84, JDK 17), hence the greedy cut: at 128 bits the 14x2 tile is 6x4, 6x4 and a 2x8 over both
 * blocks (paired in one JVM against the even 5x4 cut, one thread, -XX:MaxVectorSize=16: resnet50 0.96
 * on JDK 17 and 0.92 on JDK 25, mobilenet_v2 0.96). At 256 bits the same cut with 6x2 sub-tiles gave
 * resnet50 0.94-0.95, mobilenet_v2 0.96, densenet121 0.94 on JDK 17 but 1.54 on JDK 25, which spills
 * them (see {@link #WIDTHS}); with two registers spare the 256-bit cut is 5x2 again, and the 6x2 cut is
 * kept for JDK 17 ({@code Tiles256t}): resnet50 at 256 bits in 0.89-0.94 of the 5x2 cut's time there and
 * 1.34x on JDK 25 (the 1.54 above is an earlier session's, measured otherwise); at 128 bits with 16 registers ({@code Tiles128r16t}, 6x2 against 5x2 and 2x4
 * sub-tiles) 0.93-0.97 on JDK 17 and 1.39x on JDK 25 (two jars, each with its own runtime in its own
 * class loader, alternated in one JVM, one thread, {@code -XX:UseAVX=2}, AMD EPYC Zen 4, 2026-12-03).
 *
 * <p>The lane tile of the Winograd products on small maps ({@code lanes}, {@link Kernels#winogradProductLanes}) is
 * a row of 16 tiles, one a lane, times {@link Kernels#LANE_CHANNELS} output channels broadcast from two weight
 * panels; its cut is {@link #laneCut}.
 *
 * <p>Every sub-tile lands its accumulators in {@code acc}. A storing variant of the 256- and 128-bit
 * 14x2 tile (each sub-tile adding the bias, clamping and storing from its registers; d69834c) was
 * removed: inside resnet50 at 256 bits it boxed vectors in about half the JVM runs (JFR after warm-up,
 * AMD EPYC Zen 4 at {@code -XX:UseAVX=2}): partway through its straight-line epilogue C2 inlined the
 * Vector API calls by type profile instead of the exact type, and the last stores' intrinsics failed.
 */
public final class TileGenerator {
  /**
   * A vector width with a register file: its class, bits, vector registers, how many of them a
   * sub-tile leaves to the JIT (spare), and the machines that have it.
   */
  record Width(String className, int bits, int registers, int spare, String machines) {
    int lanes() {
      return bits / 32;
    }

    /** The registers a sub-tile's accumulators, weight vectors and broadcast may take. */
    int budget() {
      return registers - spare;
    }
  }

  /**
   * The widths netc has kernels for. AVX2 has 16 vector registers; AVX-512 and NEON 32. AVX2 has no
   * FMA with a broadcast memory operand (AVX-512's {1to16}), so each pixel's broadcast takes a register,
   * and JDK 25's C2 schedules up to three of them live at once: a 6x2 sub-tile (15 of 16 registers)
   * spilled two accumulators in every k step there (45 against 73 GFLOP/s for a 5x2; resnet50 at 256
   * bits 1.54x slower, where JDK 17's C2 kept it in registers and ran 5% faster), so at 256 bits a
   * sub-tile leaves two registers spare. 128 bits has two register files: 32 (NEON, and x86 with
   * AVX-512's EVEX encoding) and 16 (x86 without AVX-512, SSE or AVX2 at -XX:MaxVectorSize=16), where
   * the 32-register tiles spill: resnet50 at -XX:UseAVX=2 -XX:MaxVectorSize=16 took 0.86 of their time
   * with the 16-register tiles (paired in one JVM, one thread). Measured on an AMD EPYC Zen 4.
   * JDK 17's C2 keeps a 15-register sub-tile in registers, so both 16-register files have two cuts:
   * {@code Tiles256t} and {@code Tiles128r16t} (one spare) where {@link VectorWidth#TIGHT} says the JIT
   * allows it, {@code Tiles256} and {@code Tiles128r16} elsewhere.
   * The last width of a bit count is the one its other widths' conditions fall back to; widths of the
   * same bits and register file differ in their spare registers, the tighter one taken when
   * {@code VectorKernels.TIGHT}.
   */
  static final List<Width> WIDTHS = List.of(
      new Width("Tiles512", 512, 32, 0, "AVX-512 (32 registers)"),
      new Width("Tiles256t", 256, 16, 1, "AVX2 + FMA (16 registers), under a C2 that keeps a sub-tile in 15 of them (JDK 17)"),
      new Width("Tiles256", 256, 16, 2, "AVX2 + FMA (16 registers)"),
      new Width("Tiles128r16t", 128, 16, 1, "x86 without AVX-512 at 128 bits (16 registers), under a C2 that keeps a sub-tile in 15 of them (JDK 17)"),
      new Width("Tiles128r16", 128, 16, 2, "x86 without AVX-512 at 128 bits (16 registers)"),
      new Width("Tiles128", 128, 32, 0, "ARM NEON (32 registers); x86 with AVX-512 at 128 bits"));

  /**
   * How a tile finds its inputs: at a fixed distance between pixels (linear), or through a pixel table
   * (gathering); and how many floats of the next weights it touches per k step (0, 1, or 2: {@code
   * w[next + k nextStep]} and {@code w[next + k nextStep + nextStep / 2]}, see Kernels#convLinearSmall),
   * in its first sub-tile; or, where nextStep allows, one a k step in each of {@link #spread} sub-tiles.
   */
  record Tile(String name, int pixels, int blocks, int distance, int touches, String doc) {
    boolean gathers() {
      return distance == 0;
    }
  }

  /** The tiles {@link VectorKernels} calls, the same on every machine: the kernel plan and weight packing do not depend on the width. */
  static final List<Tile> TILES = List.of(
      new Tile("linear14x2", 14, 2, 16, 1, "14 pixels 16 floats apart x 2 blocks, touching ahead"),
      new Tile("linear14x1", 14, 1, 16, 0, "14 pixels 16 floats apart x 1 block"),
      new Tile("linear8x2", 8, 2, 16, 2, "8 pixels 16 floats apart x 2 blocks, touching two floats ahead a k step"),
      new Tile("linear14x2step2", 14, 2, 2, 1, "14 pixels 2 floats apart (a stride-2 conv over a plain input) x 2 blocks"),
      new Tile("linear14x2step32", 14, 2, 32, 1, "14 pixels 32 floats apart (a stride-2 conv over a blocked input) x 2 blocks"),
      new Tile("linear14x1step32", 14, 1, 32, 0, "14 pixels 32 floats apart (a stride-2 conv over a blocked input) x 1 block"),
      new Tile("tile6x4", 6, 4, 0, 0, "6 gathered pixels x 4 blocks"),
      new Tile("tile7x2", 7, 2, 0, 0, "7 gathered pixels x 2 blocks"),
      new Tile("tile7x1", 7, 1, 0, 0, "7 gathered pixels x 1 block"));

  /** A sub-tile method: p pixels x v vectors, its addressing, and whether it touches weights ahead. */
  record Sub(int pixels, int vectors, int distance, int weightStep, int touches) {
    String name() {
      String kind = distance == 0 ? "gather" : "linear";
      String touch = touches == 0 ? "" : touches == 1 ? "touch" : "touch" + touches;
      return kind + pixels + "x" + vectors + (distance == 0 ? "" : "d" + distance) + "w" + weightStep + touch;
    }
  }

  /** One sub-tile call of a tile: which pixels and vectors it covers. */
  record Part(Sub sub, int firstPixel, int firstVector) {}

  /**
   * The cut of a tile for a width: for each sub-tile width v (vectors dividing the tile's), the pixels
   * either in chunks as even as they allow, or in full chunks of the most pixels that fit with the
   * remainder on its own (its own v, the fewest loads for its pixels); of all these, the cut with the
   * fewest loads per k step (pixel broadcasts + weight vectors, summed over its sub-tiles), then the
   * fewest sub-tile calls, then the even one.
   */
  static List<Part> cut(Tile tile, Width width) {
    int vectors = tile.blocks() * 16 / width.lanes();
    // for experiments, keyed by class: the two 128-bit register files are set apart
    int registers = Integer.getInteger("tiles.registers." + width.className(), width.budget());
    String forced = System.getProperty("tiles.shape." + width.className()); // "PxV"
    List<Part> best = null;
    int bestLoads = Integer.MAX_VALUE;
    for (int v = 1; v <= vectors; v++) {
      if (vectors % v != 0) continue;
      int pmax = (registers - 1 - v) / v;
      if (forced != null && vectors % Integer.parseInt(forced.split("x")[1]) == 0) {
        if (v != Integer.parseInt(forced.split("x")[1])) continue;
        pmax = Integer.parseInt(forced.split("x")[0]);
      }
      if (pmax < 1) continue;
      int chunks = (tile.pixels() + pmax - 1) / pmax;
      List<int[]> even = new ArrayList<>(), greedy = new ArrayList<>(); // {first pixel, pixels, vectors}
      for (int c = 0, first = 0; c < chunks; c++) {
        int p = (tile.pixels() - first + (chunks - c) - 1) / (chunks - c);
        even.add(new int[] {first, p, v});
        first += p;
      }
      int full = tile.pixels() / pmax, rest = tile.pixels() % pmax;
      for (int c = 0; c < full; c++) greedy.add(new int[] {c * pmax, pmax, v});
      if (rest > 0) greedy.add(new int[] {full * pmax, rest, forced != null ? v : restVectors(rest, vectors, registers)});
      for (List<int[]> chunking : List.of(even, greedy)) {
        List<Part> parts = parts(tile, chunking, vectors);
        int loads = 0;
        for (Part part : parts) loads += part.sub().pixels() + part.sub().vectors();
        if (loads < bestLoads || (loads == bestLoads && parts.size() < best.size())) {
          best = parts;
          bestLoads = loads;
        }
      }
    }
    return best;
  }

  /** The sub-tile width for a remainder of {@code pixels}: the fewest loads per multiply-add that fits. */
  private static int restVectors(int pixels, int vectors, int registers) {
    int best = 1;
    for (int v = 1; v <= vectors; v++) {
      if (vectors % v == 0 && pixels * v + v + 1 <= registers && (double) (pixels + v) / v < (double) (pixels + best) / best) best = v;
    }
    return best;
  }

  /** The sub-tile calls of chunks {first pixel, pixels, vectors}, each chunk over all the tile's vectors; the first touches, if the tile does. */
  private static List<Part> parts(Tile tile, List<int[]> chunks, int vectors) {
    List<Part> parts = new ArrayList<>();
    for (int[] chunk : chunks) {
      for (int j = 0; j < vectors; j += chunk[2]) {
        int touches = parts.isEmpty() ? tile.touches() : 0;
        parts.add(new Part(new Sub(chunk[1], chunk[2], tile.distance(), tile.blocks() * 16, touches), chunk[0], j));
      }
    }
    return parts;
  }

  /**
   * Over how many of its sub-tiles a touching tile spreads its touches when nextStep allows (a multiple
   * of it): the most, up to 4, that are a power of two (so that the usual nextSteps, 32 over a power-of-two
   * count of tiles, divide by it). The first
   * sub-tile alone touching a tile's share of the next weights asks memory for it in a fifth of the
   * tile's time, faster than one core streams it: resnext50_32x4d's layer4 1x1 convs (49 pixels, four
   * tiles a weight group, 8 floats a k step each) took 1.08x the time of the touches spread over four
   * sub-tiles (AMD EPYC Zen 5, JDK 17, -XX:UseAVX=2, one thread and two, jars alternated in one JVM).
   */
  static int spread(Tile tile, List<Part> parts) {
    if (tile.touches() == 0) return 1;
    int n = 1;
    while (n * 2 <= Math.min(4, parts.size())) n *= 2;
    return n;
  }

  /**
   * A sub-tile of the lane row: {@code vectors} of its 16 lanes' vectors x {@code channels} output
   * channels (of one panel's {@link Kernels#LANE_PANEL}, or 12: both panels), the weights broadcast.
   */
  record LaneSub(int vectors, int channels) {
    String name() {
      return "lanes" + vectors + "x" + channels;
    }

    /** Its accumulators, its row vectors and a broadcast. */
    int registers() {
      return vectors * channels + vectors + 1;
    }
  }

  /** One lane sub-tile call: from vector {@code firstVector} of the row and output channel {@code firstChannel}. */
  record LanePart(LaneSub sub, int firstVector, int firstChannel) {}

  /** The output channels a lane sub-tile may take: a divisor of a panel, or both panels. */
  private static final int[] LANE_CHANNEL_COUNTS = {12, 6, 3, 2, 1};

  /**
   * The cut of the lane row (16 lanes x {@link Kernels#LANE_CHANNELS} channels) for a width: the sub-tile
   * of the most accumulators that fits the register budget, then of the fewest loads over the row
   * (row vectors and broadcasts per k step, summed over its calls). That keeps the k loop's multiply-adds
   * per step at 12 or more on every width, as the pixel tiles above do: 512 bits one vector x 12
   * channels; 256 bits two vectors x one panel of 6 where the JIT keeps 15 registers ({@code Tiles256t}),
   * else half rows (one vector) x 12 channels, the second half reading the two panels again from L1
   * (JDK 25's C2 spilled the 15-register tile: resnet18's layer4 3x3s took 1.18x the channel-vector tiles'
   * time where half rows took 0.85x; one thread, -XX:UseAVX=2, AMD EPYC Zen 4); 128 bits with 32
   * registers four vectors x 6, with 16 two x 6 or quarter rows x 12.
   */
  static List<LanePart> laneCut(Width width) {
    int row = 16 / width.lanes(), registers = Integer.getInteger("tiles.registers." + width.className(), width.budget());
    LaneSub best = null;
    for (int v = 1; v <= row; v++) {
      if (row % v != 0) continue;
      for (int c : LANE_CHANNEL_COUNTS) {
        LaneSub sub = new LaneSub(v, c);
        if (sub.registers() > registers) continue;
        if (best == null || v * c > best.vectors() * best.channels()
            || v * c == best.vectors() * best.channels() && laneLoads(sub, row) < laneLoads(best, row)) best = sub;
      }
    }
    List<LanePart> parts = new ArrayList<>();
    for (int j = 0; j < row; j += best.vectors()) {
      for (int n = 0; n < Kernels.LANE_CHANNELS; n += best.channels()) parts.add(new LanePart(best, j, n));
    }
    return parts;
  }

  /** Loads per k step of the whole lane row cut into {@code sub}: each call's row vectors and broadcasts. */
  private static int laneLoads(LaneSub sub, int row) {
    return row / sub.vectors() * (Kernels.LANE_CHANNELS / sub.channels()) * (sub.vectors() + sub.channels());
  }

  /** The lane tile of a width: its sub-tile calls over the row. */
  private static void laneTile(StringBuilder s, Width width, List<LanePart> parts) {
    int lanes = width.lanes();
    s.append("\n  /**\n   * A row of 16 tiles at {@code p[pBase + 16 c ..]} for k input channels c x ").append(Kernels.LANE_CHANNELS)
        .append(" output channels, the\n   * ").append(Kernels.LANE_PANEL).append(" of the panel at {@code wa} and the ")
        .append(Kernels.LANE_PANEL).append(" at {@code wb}: channel n's row to {@code m[mOff + 16 n ..]}.\n   */\n");
    s.append("  static void lanes(float[] p, int pBase, int k, float[] w, int wa, int wb, float[] m, int mOff) {\n");
    for (LanePart part : parts) {
      LaneSub sub = part.sub();
      int n = part.firstChannel(), panel = Kernels.LANE_PANEL;
      String weights = sub.channels() > panel ? "wa, wb" : (n < panel ? "wa" : "wb") + plus(n % panel);
      s.append("    ").append(sub.name()).append("(p, pBase").append(plus(part.firstVector() * lanes)).append(", k, w, ").append(weights)
          .append(", m, mOff").append(plus(16 * n + part.firstVector() * lanes)).append(");\n");
    }
    s.append("  }\n");
  }

  /** A lane sub-tile: one flat k loop, accumulator c{channel}_{vector}, then each channel's vectors stored to its row. */
  private static void laneSubTile(StringBuilder s, LaneSub sub, int lanes) {
    int v = sub.vectors(), c = sub.channels(), panel = Kernels.LANE_PANEL;
    boolean both = c > panel;
    s.append("\n  /** ").append(v).append(v == 1 ? " vector" : " vectors").append(" of a lane row x ").append(c)
        .append(both ? " channels: the panels at {@code wa} and {@code wb}. */\n" : c == 1 ? " channel of the panel at {@code wa}. */\n"
            : " channels of the panel at {@code wa}. */\n");
    s.append("  private static void ").append(sub.name()).append("(float[] p, int pBase, int k, float[] w, int wa")
        .append(both ? ", int wb" : "").append(", float[] m, int mOff) {\n");
    zeroAccumulators(s, c, v);
    s.append("    for (int i = 0; i < k; i++) {\n");
    // both indices linear in i, so C2 checks their bounds once, before the loop
    s.append("      int r = pBase + 16 * i, a = wa + ").append(panel).append(" * i").append(both ? ", b = wb + " + panel + " * i" : "").append(";\n");
    s.append("      FloatVector ");
    for (int j = 0; j < v; j++) s.append(j > 0 ? ", " : "").append("x").append(j).append(" = FloatVector.fromArray(S, p, r").append(plus(j * lanes)).append(")");
    s.append(";\n      FloatVector u;\n");
    for (int n = 0; n < c; n++) {
      s.append("      u = FloatVector.broadcast(S, w[").append(n < panel ? "a" + plus(n) : "b" + plus(n - panel)).append("]);");
      for (int j = 0; j < v; j++) s.append(" c").append(n).append("_").append(j).append(" = u.fma(x").append(j).append(", c").append(n).append("_").append(j).append(");");
      s.append("\n");
    }
    s.append("    }\n");
    for (int n = 0; n < c; n++) {
      s.append("   ");
      for (int j = 0; j < v; j++) s.append(" c").append(n).append("_").append(j).append(".intoArray(m, mOff").append(plus(16 * n + j * lanes)).append(");");
      s.append("\n");
    }
    s.append("  }\n");
  }

  /** Declares accumulators c{r}_{j}, r < rows, j < vectors, zero, eight a line. */
  private static void zeroAccumulators(StringBuilder s, int rows, int vectors) {
    List<String> accs = new ArrayList<>();
    for (int r = 0; r < rows; r++) for (int j = 0; j < vectors; j++) accs.add("c" + r + "_" + j);
    for (int i = 0; i < accs.size(); i += 8) {
      s.append("    FloatVector ");
      for (int a = i; a < Math.min(i + 8, accs.size()); a++) {
        s.append(a > i ? ", " : "").append(accs.get(a)).append(" = ").append(a == 0 ? "FloatVector.zero(S)" : "c0_0");
      }
      s.append(";\n");
    }
  }

  /** One call of sub-tile {@code sub} for {@code part} of a linear tile, with {@code touch} ("next, nextStep") as its last arguments, or none. */
  private static void linearCall(StringBuilder s, String indent, Tile tile, Part part, Sub sub, int lanes, int accStride, String touch) {
    s.append(indent).append(sub.name()).append("(x, xBase").append(plus(part.firstPixel() * tile.distance())).append(", kOff, w, wBase")
        .append(plus(part.firstVector() * lanes)).append(", acc, ")
        .append(part.firstPixel() * accStride + part.firstVector() * lanes).append(", ").append(accStride)
        .append(touch == null ? "" : ", " + touch).append(");\n");
  }

  /** The source of one width's class. */
  static String generate(Width width) {
    StringBuilder s = new StringBuilder();
    int lanes = width.lanes();
    s.append("// Generated by netc.runtime.kernels.TileGenerator (runtime/src/test/java); do not edit.\n");
    s.append("package netc.runtime.kernels;\n\n");
    s.append("import jdk.incubator.vector.FloatVector;\n");
    s.append("import jdk.incubator.vector.VectorSpecies;\n\n");
    s.append("/**\n * Register tiles for ").append(width.bits()).append("-bit vectors (").append(lanes)
        .append(" floats), for ").append(width.machines()).append(".\n");
    s.append(" * Each tile lands its accumulators in {@code acc} as [pixel][channel of the tile's blocks]; the sub-tiles\n");
    s.append(" * it is cut into keep p x v accumulators, v weight vectors and a broadcast in registers:\n *\n");
    for (Tile tile : TILES) {
      List<Part> parts = cut(tile, width);
      Sub first = parts.get(0).sub();
      s.append(" * <br>{@code ").append(tile.name()).append("}: ").append(parts.size()).append(parts.size() == 1 ? " sub-tile" : " sub-tiles")
          .append(" of up to ").append(first.pixels()).append(" pixels x ").append(first.vectors()).append(first.vectors() == 1 ? " vector" : " vectors")
          .append("\n");
    }
    List<LanePart> laneParts = laneCut(width);
    LaneSub laneSub = laneParts.get(0).sub();
    s.append(" * <br>{@code lanes}: ").append(laneParts.size()).append(laneParts.size() == 1 ? " sub-tile" : " sub-tiles").append(" of ")
        .append(laneSub.vectors()).append(laneSub.vectors() == 1 ? " vector" : " vectors").append(" x ").append(laneSub.channels())
        .append(" channels, storing each channel's row to {@code m}\n");
    s.append(" */\nfinal class ").append(width.className()).append(" {\n");
    s.append("  static final VectorSpecies<Float> S = FloatVector.SPECIES_").append(width.bits()).append(";\n\n");
    s.append("  private ").append(width.className()).append("() {}\n");
    Map<String, Sub> subs = new LinkedHashMap<>();
    for (Tile tile : TILES) {
      List<Part> parts = cut(tile, width);
      int accStride = tile.blocks() * 16;
      s.append("\n  /** ").append(tile.doc()).append(". */\n");
      if (tile.gathers()) {
        s.append("  static void ").append(tile.name())
            .append("(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, float[] acc) {\n");
        for (Part part : parts) {
          s.append("    ").append(part.sub().name()).append("(in, inBase, inPix, p0").append(plus(part.firstPixel())).append(", kOff, w, wBase")
              .append(plus(part.firstVector() * lanes)).append(", acc, ")
              .append(part.firstPixel() * accStride + part.firstVector() * lanes).append(", ").append(accStride).append(");\n");
          subs.putIfAbsent(part.sub().name(), part.sub());
        }
      } else {
        s.append("  static void ").append(tile.name())
            .append("(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep) {\n");
        int spread = spread(tile, parts);
        if (spread > 1) {
          s.append("    if (nextStep >= ").append(spread).append(" && nextStep % ").append(spread).append(" == 0) {\n");
          s.append("      // the touches spread over ").append(spread).append(" sub-tiles, each over its share of the next weights\n");
          s.append("      int q = nextStep / ").append(spread).append(", span = kOff.length * q;\n");
          for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            Sub sub = new Sub(part.sub().pixels(), part.sub().vectors(), part.sub().distance(), part.sub().weightStep(), i < spread ? 1 : 0);
            linearCall(s, "      ", tile, part, sub, lanes, accStride, i == 0 ? "next, q" : i < spread ? "next + " + (i == 1 ? "" : i + " * ") + "span, q" : null);
            subs.putIfAbsent(sub.name(), sub);
          }
          s.append("      return;\n    }\n");
        }
        for (Part part : parts) {
          linearCall(s, "    ", tile, part, part.sub(), lanes, accStride, part.sub().touches() > 0 ? "next, nextStep" : null);
          subs.putIfAbsent(part.sub().name(), part.sub());
        }
      }
      s.append("  }\n");
    }
    laneTile(s, width, laneParts);
    for (Sub sub : subs.values()) subTile(s, sub, lanes);
    laneSubTile(s, laneSub, lanes);
    s.append("}\n");
    return s.toString();
  }

  private static String plus(int n) {
    return n == 0 ? "" : " + " + n;
  }

  /** One sub-tile: its k loop over weight vectors and broadcast inputs, then the accumulators' stores to {@code acc}. */
  private static void subTile(StringBuilder s, Sub sub, int lanes) {
    int p = sub.pixels(), v = sub.vectors();
    boolean gathers = sub.distance() == 0;
    s.append("\n  /** Accumulator c{pixel}_{vector}: ").append(p).append(" pixels");
    s.append(gathers ? " at the offsets of a pixel table" : " " + sub.distance() + " floats apart");
    s.append(" x ").append(v).append(v == 1 ? " vector" : " vectors").append(", k steps ").append(sub.weightStep()).append(" weights apart")
        .append(sub.touches() == 1 ? ", touching w[next + k nextStep] ahead"
            : sub.touches() == 2 ? ", touching w[next + k nextStep] and w[next + k nextStep + nextStep / 2] ahead" : "").append(". */\n");
    s.append("  private static void ").append(sub.name()).append(gathers
        ? "(float[] in, int inBase, int[] inPix, int p, int[] kOff, float[] w, int wOff, float[] acc, int accOff, int accStride"
        : "(float[] x, int xBase, int[] kOff, float[] w, int wOff, float[] acc, int accOff, int accStride");
    s.append(sub.touches() > 0 ? ", int next, int nextStep) {\n" : ") {\n");
    zeroAccumulators(s, p, v);
    if (gathers) {
      for (int t = 0; t < p; t++) s.append(t % 4 == 0 ? "    int " : ", ").append("i").append(t).append(" = inBase + inPix[p").append(plus(t)).append("]").append(t % 4 == 3 || t == p - 1 ? ";\n" : "");
    }
    if (sub.touches() > 0) s.append("    int touched = 0;\n");
    s.append("    for (int k = 0; k < kOff.length; k++) {\n");
    // the weights' index linear in k, with a constant step: C2 then checks their bounds once, before
    // the loop (a second induction variable, or a step passed in, kept two checks in every step)
    s.append("      int wi = wOff + k * ").append(sub.weightStep()).append(gathers ? ", a = kOff[k];\n" : ", a = xBase + kOff[k];\n");
    if (sub.touches() == 1) s.append("      touched ^= Float.floatToRawIntBits(w[next + k * nextStep]);\n");
    if (sub.touches() == 2) {
      s.append("      int t = next + k * nextStep;\n");
      s.append("      touched ^= Float.floatToRawIntBits(w[t]) ^ Float.floatToRawIntBits(w[t + (nextStep >> 1)]);\n");
    }
    s.append("      FloatVector ");
    for (int j = 0; j < v; j++) s.append(j > 0 ? ", " : "").append("w").append(j).append(" = FloatVector.fromArray(S, w, wi").append(plus(j * lanes)).append(")");
    s.append(";\n      FloatVector b;\n");
    for (int t = 0; t < p; t++) {
      s.append("      b = FloatVector.broadcast(S, ").append(gathers ? "in[i" + t + " + a]" : "x[a" + plus(t * sub.distance()) + "]").append(");");
      for (int j = 0; j < v; j++) s.append(" c").append(t).append("_").append(j).append(" = b.fma(w").append(j).append(", c").append(t).append("_").append(j).append(");");
      s.append("\n");
    }
    s.append("    }\n");
    if (sub.touches() > 0) s.append("    acc[VectorKernels.TOUCHED] = Float.intBitsToFloat(touched); // a use, so the JIT keeps the touching loads\n");
    for (int t = 0; t < p; t++) {
      s.append("   ");
      for (int j = 0; j < v; j++) {
        s.append(" c").append(t).append("_").append(j).append(".intoArray(acc, accOff").append(t == 0 ? "" : " + " + t + " * accStride").append(plus(j * lanes)).append(");");
      }
      s.append("\n");
    }
    s.append("  }\n");
  }

  /** The source of {@code Tiles}, which calls the tiles of the width and register file VectorKernels names (constants C2 folds). */
  static String dispatcher() {
    StringBuilder s = new StringBuilder();
    s.append("// Generated by netc.runtime.kernels.TileGenerator (runtime/src/test/java); do not edit.\n");
    s.append("package netc.runtime.kernels;\n\n");
    s.append("/**\n * The register tiles of the vector width and register file this JVM runs, {@link VectorKernels#BITS},\n")
        .append(" * {@link VectorKernels#REGISTERS} and {@link VectorKernels#TIGHT}: static finals, so C2 keeps one branch.\n */\n");
    s.append("final class Tiles {\n  private Tiles() {}\n");
    for (Tile tile : TILES) {
      String params = tile.gathers()
          ? "float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, float[] acc"
          : "float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep";
      String args = tile.gathers() ? "in, inBase, inPix, p0, kOff, w, wBase, acc" : "x, xBase, kOff, w, wBase, acc, next, nextStep";
      dispatch(s, tile.doc() + ".", tile.name(), params, args);
    }
    dispatch(s, "A row of 16 tiles x " + Kernels.LANE_CHANNELS + " output channels (the Winograd products on small maps).", "lanes",
        "float[] p, int pBase, int k, float[] w, int wa, int wb, float[] m, int mOff", "p, pBase, k, w, wa, wb, m, mOff");
    s.append("}\n");
    return s.toString();
  }

  /** One method of {@code Tiles}: a branch per width, calling that width's {@code name}. */
  private static void dispatch(StringBuilder s, String doc, String name, String params, String args) {
    s.append("\n  /** ").append(doc).append(" */\n");
    s.append("  static void ").append(name).append("(").append(params).append(") {\n");
    for (int i = 0; i < WIDTHS.size(); i++) {
      Width width = WIDTHS.get(i);
      s.append(i == 0 ? "    if" : i == WIDTHS.size() - 1 ? "    else" : "    else if");
      if (i < WIDTHS.size() - 1) {
        s.append(" (VectorKernels.BITS == ").append(width.bits());
        // the register file only where widths of these bits differ in it (128 bits: 16 and 32)
        if (WIDTHS.stream().anyMatch(o -> o.bits() == width.bits() && o.registers() != width.registers())) {
          s.append(" && VectorKernels.REGISTERS == ").append(width.registers());
        }
        if (WIDTHS.stream().filter(o -> o.bits() == width.bits() && o.registers() == width.registers()).count() > 1) {
          s.append(" && ").append(width.spare() == tightest(width) ? "" : "!").append("VectorKernels.TIGHT");
        }
        s.append(")");
      }
      s.append(" ").append(width.className()).append(".").append(name).append("(").append(args).append(");\n");
    }
    s.append("  }\n");
  }

  /**
   * The fewest spare registers among the widths of {@code width}'s bits and register file. One TIGHT
   * flag tells two cuts apart, no more: a third, or two with the same spare, is refused here rather than
   * written as a branch no JVM reaches.
   */
  private static int tightest(Width width) {
    int[] spares = WIDTHS.stream().filter(o -> o.bits() == width.bits() && o.registers() == width.registers()).mapToInt(Width::spare).toArray();
    if (spares.length > 2 || (spares.length == 2 && spares[0] == spares[1])) {
      throw new IllegalStateException(width.bits() + " bits with " + width.registers() + " registers: one TIGHT flag cannot choose among spares "
          + java.util.Arrays.toString(spares));
    }
    return java.util.Arrays.stream(spares).min().getAsInt();
  }

  /** Every generated file, by its path under a source root. */
  static Map<String, String> files() {
    Map<String, String> files = new LinkedHashMap<>();
    for (Width width : WIDTHS) files.put("netc/runtime/kernels/" + width.className() + ".java", generate(width));
    files.put("netc/runtime/kernels/Tiles.java", dispatcher());
    return files;
  }

  /** Writes every generated file under {@code args[0]} (default: runtime/src/main/java). */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : "runtime/src/main/java");
    for (Map.Entry<String, String> f : files().entrySet()) {
      Files.createDirectories(root.resolve(f.getKey()).getParent());
      Files.writeString(root.resolve(f.getKey()), f.getValue());
    }
  }
}
