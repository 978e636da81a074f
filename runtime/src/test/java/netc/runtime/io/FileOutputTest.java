package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output files are written whole or not at all: a failure leaves the old file as it was and no temporary file. */
class FileOutputTest {
  @TempDir Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporaryOne() throws IOException {
    Path target = Files.writeString(dir.resolve("y.npy"), "old");
    BadInputException e = assertThrows(BadInputException.class, () -> FileOutput.write(target, out -> {
      out.write(new byte[100_000]);
      throw new IOException("No space left on device");
    }));
    assertEquals("cannot write " + target + ": No space left on device", e.getMessage());
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("y.npy"), names());
  }

  /** Staged files: one failing leaves the other neither in place nor beside it. */
  @Test
  void aFailedStageLeavesTheOtherFileUnwritten() throws IOException {
    Path a = dir.resolve("a.net"), b = dir.resolve("b.safetensors");
    assertThrows(BadInputException.class, () -> {
      try (FileOutput.Staged sa = FileOutput.stage(a, out -> out.write(1));
          FileOutput.Staged sb = FileOutput.stage(b, out -> {
            throw new IOException("Input/output error");
          })) {
        sa.commit();
        sb.commit();
      }
    });
    assertEquals(List.of(), names());
  }

  /**
   * Npy and Safetensors replace the target rather than truncating it in place: a reader holding the
   * old file (a hard link here) keeps it whole. Before, a failure midway left a truncated file.
   */
  @Test
  void npyAndSafetensorsNeverTruncateTheOldFileInPlace() throws IOException {
    Path y = dir.resolve("y.npy"), held = dir.resolve("held.npy");
    Npy.write(y, new Tensor(new int[] {1, 2}, new float[] {1, 2}));
    Files.createLink(held, y);
    Npy.write(y, new Tensor(new int[] {1, 3}, new float[] {3, 4, 5}));
    assertArrayEquals(new float[] {1, 2}, Npy.read(held).data());
    assertArrayEquals(new float[] {3, 4, 5}, Npy.read(y).data());
    Path w = dir.resolve("w.safetensors"), heldW = dir.resolve("held.safetensors");
    Safetensors.write(w, Map.of("a", new Tensor(new int[] {1}, new float[] {7})), Map.of());
    Files.createLink(heldW, w);
    Safetensors.write(w, Map.of("b", new Tensor(new int[] {1}, new float[] {8})), Map.of());
    assertEquals(List.of("a"), List.copyOf(Safetensors.read(heldW).entries().keySet()));
    assertEquals(List.of("b"), List.copyOf(Safetensors.read(w).entries().keySet()));
    assertEquals(List.of("held.npy", "held.safetensors", "w.safetensors", "y.npy"), names());
  }

  /** A symbolic link is written through (the link stays); a device is written directly, never replaced. */
  @Test
  void linksAreWrittenThroughAndDevicesDirectly() throws IOException {
    Path real = Files.writeString(dir.resolve("real.npy"), "old"), link = Files.createSymbolicLink(dir.resolve("link.npy"), real);
    Npy.write(link, new Tensor(new int[] {1}, new float[] {9}));
    assertTrue(Files.isSymbolicLink(link));
    assertArrayEquals(new float[] {9}, Npy.read(real).data());
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/null")) && Files.exists(Path.of("/dev/full")), "Linux devices");
    Npy.write(Path.of("/dev/null"), new Tensor(new int[] {1}, new float[] {9}));
    assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null is still a device");
    BadInputException e = assertThrows(BadInputException.class, () -> Npy.write(Path.of("/dev/full"), new Tensor(new int[] {1}, new float[] {9})));
    assertEquals("cannot write /dev/full: No space left on device", e.getMessage());
    assertFalse(Files.isRegularFile(Path.of("/dev/full")));
  }

  /**
   * A stream of a process (/dev/stdout, /dev/fd/N, /proc/PID/fd/N) is written where it is: through a
   * pipe the JDK cannot resolve the link, and a file opened for appending must not be swapped for
   * another. Here the pipe into a cat process.
   */
  @Test
  void aProcessesStreamIsWrittenInPlace() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "Linux's /proc");
    Process cat = new ProcessBuilder("cat").start();
    try {
      FileOutput.writeString(Path.of("/proc/" + cat.pid() + "/fd/0"), "through the pipe\n");
      cat.getOutputStream().close();
      assertEquals("through the pipe\n", new String(cat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      cat.destroy();
    }
  }

  /** A replaced file keeps its permissions: a private file stays private. */
  @Test
  void aReplacedFileKeepsItsPermissions() throws IOException {
    Path target = Files.writeString(dir.resolve("secret.npy"), "old");
    Assumptions.assumeTrue(target.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    var privateOnly = java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
    Files.setPosixFilePermissions(target, privateOnly);
    FileOutput.writeString(target, "new");
    assertEquals("new", Files.readString(target));
    assertEquals(privateOnly, Files.getPosixFilePermissions(target));
  }

  /** A file under /dev that is no stream of a process (/dev/shm's, in memory) is replaced whole like any other. */
  @Test
  void onlyAProcessesStreamsAreWrittenInPlace() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm")), "a writable /dev/shm");
    Path target = Files.writeString(Files.createTempFile(Path.of("/dev/shm"), "netc-", ".npy"), "old");
    try {
      assertThrows(BadInputException.class, () -> FileOutput.write(target, out -> {
        out.write(1);
        throw new IOException("Input/output error");
      }));
      assertEquals("old", Files.readString(target), "a failed write leaves it as it was");
    } finally {
      Files.deleteIfExists(target);
    }
  }
}
