package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed tile classes are what {@link TileGenerator} writes ({@code -Dgoldens.update=true}
 * rewrites them), and every width's cut of every tile covers each (pixel, vector) exactly once with
 * sub-tiles that fit that width's register budget (its registers less those left spare for the JIT).
 */
class TilesAreGeneratedTest {
  private static final Path SOURCES = Path.of("src/main/java");

  @Test
  void committedTilesAreTheGeneratorsOutput() throws IOException {
    for (Map.Entry<String, String> f : TileGenerator.files().entrySet()) {
      Path file = SOURCES.resolve(f.getKey());
      if (Boolean.getBoolean("goldens.update")) Files.writeString(file, f.getValue());
      assertEquals(f.getValue(), Files.readString(file), file + " differs from TileGenerator's output: rerun it (mvn test -Dgoldens.update=true)");
    }
  }

  @Test
  void everyCutCoversItsTileOnceAndFitsTheRegisters() {
    for (TileGenerator.Width width : TileGenerator.WIDTHS) {
      for (TileGenerator.Tile tile : TileGenerator.TILES) {
        int vectors = tile.blocks() * 16 / width.lanes();
        int[][] covered = new int[tile.pixels()][vectors];
        List<TileGenerator.Part> parts = TileGenerator.cut(tile, width);
        int touching = 0;
        for (TileGenerator.Part part : parts) {
          TileGenerator.Sub sub = part.sub();
          String where = width.bits() + "-bit " + tile.name() + " " + sub.name();
          assertTrue(sub.pixels() * sub.vectors() + sub.vectors() + 1 <= width.budget(), where + " fits " + width.budget() + " registers");
          for (int t = 0; t < sub.pixels(); t++) for (int j = 0; j < sub.vectors(); j++) covered[part.firstPixel() + t][part.firstVector() + j]++;
          if (sub.touches() > 0) touching++;
        }
        for (int[] row : covered) assertEquals("[1" + ", 1".repeat(vectors - 1) + "]", Arrays.toString(row), width.bits() + "-bit " + tile.name());
        assertEquals(tile.touches() > 0 ? 1 : 0, touching, width.bits() + "-bit " + tile.name() + ": one sub-tile touches the next weights, if the tile does");
      }
    }
  }

  /**
   * The lane row's cut covers each (vector, output channel) once, each sub-tile within one weight panel or
   * over both, fits the width's budget and keeps at least 12 multiply-adds a k step; and it is the cut
   * measured for each width (a change of the rule that moves one is a change to measure, see {@link
   * TileGenerator#laneCut}).
   */
  @Test
  void theLaneCutCoversTheRowOnceFitsTheRegistersAndIsTheMeasuredOne() {
    Map<String, String> measured = Map.of("Tiles512", "lanes1x12", "Tiles256t", "lanes2x6", "Tiles256", "lanes1x12", "Tiles128", "lanes4x6",
        "Tiles128r16t", "lanes2x6", "Tiles128r16", "lanes1x12");
    for (TileGenerator.Width width : TileGenerator.WIDTHS) {
      int row = 16 / width.lanes(), panel = Kernels.LANE_PANEL;
      int[][] covered = new int[row][Kernels.LANE_CHANNELS];
      List<TileGenerator.LanePart> parts = TileGenerator.laneCut(width);
      for (TileGenerator.LanePart part : parts) {
        TileGenerator.LaneSub sub = part.sub();
        String where = width.className() + " " + sub.name() + " at vector " + part.firstVector() + ", channel " + part.firstChannel();
        assertTrue(sub.registers() <= width.budget(), where + " fits " + width.budget() + " registers");
        assertTrue(sub.vectors() * sub.channels() >= 12, where + ": at least 12 multiply-adds a k step");
        int first = part.firstChannel(), last = first + sub.channels() - 1;
        assertTrue(sub.channels() == Kernels.LANE_CHANNELS ? first == 0 : first / panel == last / panel, where + ": within one panel, or both");
        for (int j = 0; j < sub.vectors(); j++) for (int n = first; n <= last; n++) covered[part.firstVector() + j][n]++;
      }
      for (int[] vector : covered) assertEquals("[1" + ", 1".repeat(Kernels.LANE_CHANNELS - 1) + "]", Arrays.toString(vector), width.className());
      String name = measured.get(width.className());
      if (name != null) assertEquals(name, parts.get(0).sub().name(), width.className() + "'s measured lane sub-tile");
    }
  }
}
