package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import netc.ir.Graph;
import netc.ir.Node;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which input blocks a grouped conv's weight groups read, and which convs are depthwise: worked by
 * hand from the channel ranges of each weight group of 16 x nb output channels.
 */
class PackedWeightsTest {
  /** The conv named "c" of a one-conv spec over {@code in} channels. */
  private static Node conv(int in, String call) {
    Graph g = Specs.fromText("input(" + in + ", 8, 8)\nc: " + call + "\n");
    return g.nodes().stream().filter(n -> n.name().equals("c")).findFirst().orElseThrow();
  }

  private static Geometry blocked(int channels) {
    return new Geometry(false, 0, true, channels, (channels + 15) / 16 * 16, 8, 8, 1, 1);
  }

  @Test
  void resnextGroupsOfFourChannelsReadTwoOfEightBlocks() {
    // 32 output channels a weight group (nb = 2) are 8 conv groups, whose 32 input channels are 2 blocks
    var reads = PackedWeights.inputBlocks(conv(128, "conv(128, 3, padding = 1, groups = 32)"), blocked(128), 2);
    assertEquals(2, reads.blocks());
    assertArrayEquals(new int[] {0, 2, 4, 6}, reads.first());
    assertTrue(reads.restricted(blocked(128)));
  }

  @Test
  void groupsStraddlingWeightGroupsReadTheUnionMovedBackToFit() {
    // 4 groups of 16 -> 24: output channels 0-31 are groups 0-1 (inputs 0-31, blocks 0-1), 32-63
    // groups 1-2 (blocks 1-2), 64-95 groups 2-3 (blocks 2-3)
    var reads = PackedWeights.inputBlocks(conv(64, "conv(96, 3, padding = 1, groups = 4)"), blocked(64), 2);
    assertEquals(2, reads.blocks());
    assertArrayEquals(new int[] {0, 1, 2}, reads.first());
    // 2 groups of 20 over 40 channels, one block a weight group: block 1 (outputs 16-31) needs both
    // groups, every input block: no restriction
    var dense = PackedWeights.inputBlocks(conv(40, "conv(40, 3, padding = 1, groups = 2)"), blocked(40), 1);
    assertEquals(3, dense.blocks());
    assertFalse(dense.restricted(blocked(40)));
    assertArrayEquals(new int[] {0, 0, 0}, dense.first());
  }

  /**
   * ResNeXt's grouped 3x3s: groups of 4 channels (layer1) run the narrow groups' row kernel, not the
   * linear one; groups of 16 (layer3) read 2 input blocks a pair of output blocks and 1 a single one, so
   * their weight groups are single blocks; groups of 32 (layer4) read 2 blocks either way and stay pairs;
   * stride 2 stays pairs (the strided in-place kernel's tile).
   */
  @Test
  void groupsOfAtMostSixteenChannelsTakeSingleBlockWeightGroups() {
    Node narrow = conv(128, "conv(128, 3, padding = 1, groups = 32)");
    assertEquals(4, PackedWeights.rowGroupWidth(narrow, blocked(128)));
    assertFalse(PackedWeights.singleBlockGroups(narrow, blocked(128)));
    for (int channels : new int[] {512}) {
      Node c = conv(channels, "conv(" + channels + ", 3, padding = 1, groups = 32)");
      assertEquals(2, PackedWeights.inputBlocks(c, blocked(channels), 2).blocks());
      assertEquals(1, PackedWeights.inputBlocks(c, blocked(channels), 1).blocks());
      assertTrue(PackedWeights.singleBlockGroups(c, blocked(channels)), channels + " channels");
      assertEquals(1, PackedWeights.blocksPerGroup(c, blocked(channels), channels / 16));
    }
    Node wide = conv(1024, "conv(1024, 3, padding = 1, groups = 32)");
    assertEquals(2, PackedWeights.inputBlocks(wide, blocked(1024), 1).blocks());
    assertFalse(PackedWeights.singleBlockGroups(wide, blocked(1024)));
    assertEquals(2, PackedWeights.blocksPerGroup(wide, blocked(1024), 64));
    assertFalse(PackedWeights.singleBlockGroups(conv(128, "conv(128, 3, stride = 2, padding = 1, groups = 32)"), blocked(128)), "stride 2");
    assertFalse(PackedWeights.singleBlockGroups(conv(32, "conv(32, 3, padding = 1, groups = 32)"), blocked(32)), "depthwise");
    assertFalse(PackedWeights.singleBlockGroups(conv(32, "conv(32, 3, padding = 1)"), blocked(32)), "ungrouped");
  }

  @Test
  void depthwiseMeansGroupsEqualToBothChannelCounts() {
    assertEquals(1, PackedWeights.rowGroupWidth(conv(24, "conv(24, 3, padding = 1, groups = 24)"), blocked(24)), "depthwise");
    assertEquals(0, PackedWeights.rowGroupWidth(conv(24, "conv(48, 3, padding = 1, groups = 24)"), blocked(24)), "a channel multiplier of 2");
    assertEquals(2, PackedWeights.rowGroupWidth(conv(24, "conv(24, 3, padding = 1, groups = 12)"), blocked(24)), "groups of 2, not depthwise");
    assertEquals(0, PackedWeights.rowGroupWidth(conv(1, "conv(1, 3, padding = 1)"), blocked(1)), "one channel is an ordinary conv");
  }

  /**
   * weights.bin is written a chunk at a time (a buffer of all its bytes overflowed an int past 2 GiB):
   * whatever the chunk size, 4 bytes a float, little-endian, only the packed count, values bit for bit.
   */
  @Test
  void packedFloatsAreWrittenInChunksLittleEndian() throws Exception {
    float[] data = {1.5f, -0f, Float.MIN_VALUE, -3e38f, Float.intBitsToFloat(0x7fc00001), 0x1.fffffep-2f, 7, 8, 9, 10, 99, 99};
    int count = 10;
    ByteBuffer expected = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) expected.putInt(Float.floatToRawIntBits(data[i]));
    for (int chunk : new int[] {1, 3, 4, 9, 10, 11, PackedWeights.CHUNK_FLOATS}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PackedWeights.write(data, count, out, chunk);
      assertEquals(4L * count, out.size(), "chunk " + chunk);
      assertArrayEquals(expected.array(), out.toByteArray(), "chunk " + chunk);
    }
    ByteArrayOutputStream none = new ByteArrayOutputStream();
    PackedWeights.write(data, 0, none, 4);
    assertEquals(0, none.size());
  }

  /**
   * A jar's .bin entry is streamed from its file (nearly 8 GiB at the array limit) and stored, with the
   * size and CRC of the file; the file spans several of the CRC pass's and the copy's buffers.
   */
  @Test
  void aWeightsFileIsStoredInTheJarWithItsSizeAndCrc(@TempDir Path dir) throws Exception {
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve("META-INF/netc"));
    Files.writeString(classes.resolve(ModelCompiler.MARKER), "m\n");
    byte[] weights = new byte[200_003];
    new java.util.Random(5).nextBytes(weights);
    Path bin = Files.createDirectories(classes.resolve("netc/models/m")).resolve("weights.bin");
    Files.write(bin, weights);
    Path jar = dir.resolve("m.jar");
    ModelCompiler.writeJar(classes, jar, false);
    CRC32 crc = new CRC32();
    crc.update(weights);
    try (JarFile f = new JarFile(jar.toFile())) {
      JarEntry e = f.getJarEntry("netc/models/m/weights.bin");
      assertEquals(ZipEntry.STORED, e.getMethod());
      assertEquals(weights.length, e.getSize());
      assertEquals(crc.getValue(), e.getCrc());
      try (InputStream in = f.getInputStream(e)) {
        assertArrayEquals(weights, in.readAllBytes());
      }
    }
  }
}
