package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void roundTrip() throws IOException {
    Tensor t = new Tensor(new int[] {2, 3, 1, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12.5f});
    Path p = dir.resolve("x.npy");
    Npy.write(p, t);
    Tensor back = Npy.read(p);
    assertArrayEquals(t.shape(), back.shape());
    assertArrayEquals(t.data(), back.data());
    byte[] bytes = Files.readAllBytes(p);
    assertEquals(0, (bytes.length - 4 * 12) % 64, "header padded to 64 bytes as numpy does");
    Tensor vec = new Tensor(new int[] {3}, new float[] {1, 2, 3});
    Npy.write(p, vec);
    assertTrue(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("'shape': (3, )"));
    assertArrayEquals(new int[] {3}, Npy.read(p).shape());
  }

  @Test
  void readsWhatNumpyWrote() {
    // written by numpy.save from the torchvision fixture script
    Tensor x = Npy.read(Path.of("../weights/fixtures/resnet18_w8_s64_logits.npy"));
    assertArrayEquals(new int[] {2, 10}, x.shape());
  }

  @Test
  void wrongDtypeTruncationAndGarbage() throws IOException {
    Path p = dir.resolve("x.npy");
    Npy.write(p, new Tensor(new int[] {4}, new float[4]));
    String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).replace("<f4", "<f8");
    Files.write(p, text.getBytes(StandardCharsets.ISO_8859_1));
    assertTrue(assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage().contains("dtype is <f8, expected float32"));
    Npy.write(p, new Tensor(new int[] {4}, new float[4]));
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, all.length - 3));
    assertEquals(p + ": shape [4] needs 16 bytes of data, the file has 13", assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage());
    Files.writeString(p, "hello, this is not numpy");
    assertEquals(p + ": not a .npy file (bad magic)", assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage());
    assertTrue(assertThrows(BadInputException.class, () -> Npy.read(dir.resolve("none.npy"))).getMessage().startsWith("cannot read"));
  }
}
