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
}
