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

  /**
   * Two files committed as one (`netc import`'s spec and weights): when the second cannot be moved into
   * place (here its target became a folder with a file in it after staging), the first is put back as it
   * was (an old file) or deleted again (none before), and nothing kept or staged is left beside them;
   * committed together, both are in place and nothing else is left.
   */
  @Test
  void filesCommittedTogetherAreAllInPlaceOrAllAsTheyWere() throws IOException {
    Path a = Files.writeString(dir.resolve("a.net"), "old a"), b = dir.resolve("b.safetensors"), c = dir.resolve("c.net");
    FileOutput.Staged sa = FileOutput.stage(a, o -> o.write("new a".getBytes()));
    FileOutput.Staged sc = FileOutput.stage(c, o -> o.write("new c".getBytes()));
    FileOutput.Staged sb = FileOutput.stage(b, o -> o.write("new b".getBytes()));
    Files.writeString(Files.createDirectories(b).resolve("x"), "in the way");
    BadInputException e = assertThrows(BadInputException.class, () -> FileOutput.commitAll(sa, sc, sb));
    assertTrue(e.getMessage().startsWith("cannot write " + b + ": "), e.getMessage());
    sa.close();
    sb.close();
    sc.close();
    assertEquals("old a", Files.readString(a), "the replaced file put back");
    assertFalse(Files.exists(c), "the new file deleted again");
    assertEquals(List.of("a.net", "b.safetensors"), names(), "nothing kept or staged left");

    Files.delete(b.resolve("x"));
    Files.delete(b);
    try (FileOutput.Staged ta = FileOutput.stage(a, o -> o.write("new a".getBytes()));
        FileOutput.Staged tb = FileOutput.stage(b, o -> o.write("new b".getBytes()))) {
      FileOutput.commitAll(ta, tb);
    }
    assertEquals("new a", Files.readString(a));
    assertEquals("new b", Files.readString(b));
    assertEquals(List.of("a.net", "b.safetensors"), names());
  }

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** A private file's replacement is private while it is written, not only once in place (it was 0644 until the commit). */
  @Test
  void aPrivateFilesReplacementIsPrivateWhileWritten() throws IOException {
    Path target = Files.writeString(dir.resolve("w.safetensors"), "old");
    Assumptions.assumeTrue(Files.getFileStore(target).supportsFileAttributeView("posix"));
    Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    List<String> seen = new java.util.ArrayList<>();
    FileOutput.write(target, out -> {
      out.write(1);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path tmp : files.filter(f -> f.toString().endsWith(".tmp")).toList()) {
          seen.add(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp)));
        }
      }
    });
    assertEquals(List.of("rw-------"), seen, "the temporary's permissions while written");
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
  }

  /**
   * The shutdown hook that deletes temporaries leaves the JVM's list when none is registered (CompiledModel.shutdownThreads
   * asks, for a web application undeployed: the list kept its class loader until the JVM exited), and comes back with the
   * next file written.
   */
  @Test
  void theShutdownHookLeavesWhenIdleAndComesBackWithTheNextFile() throws IOException {
    FileOutput.write(dir.resolve("a.npy"), out -> out.write(1));
    assertTrue(FileOutput.hooked());
    Path pending = dir.resolve("pending.tmp");
    FileOutput.registerTemporary(pending);
    assertFalse(FileOutput.removeHookIfIdle(), "a temporary is registered");
    assertTrue(FileOutput.hooked());
    FileOutput.unregisterTemporary(pending);
    assertTrue(FileOutput.removeHookIfIdle());
    assertFalse(FileOutput.hooked());
    assertTrue(FileOutput.removeHookIfIdle(), "again: none to remove");
    FileOutput.write(dir.resolve("b.npy"), out -> out.write(2));
    assertTrue(FileOutput.hooked(), "back with the next file");
    assertEquals(2, Files.readAllBytes(dir.resolve("b.npy"))[0]);
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
    // a link to a file not yet there (relative, through a second link) creates that file, as the shell's > does;
    // the links stay (the output replaced the first link with a file, and the file it named was never made)
    Files.createDirectories(dir.resolve("res"));
    Path dangling = Files.createSymbolicLink(dir.resolve("out.npy"), Path.of("hop.npy"));
    Files.createSymbolicLink(dir.resolve("hop.npy"), Path.of("res/y.npy"));
    Npy.write(dangling, new Tensor(new int[] {1}, new float[] {7}));
    assertTrue(Files.isSymbolicLink(dangling) && Files.isSymbolicLink(dir.resolve("hop.npy")), "the links kept");
    assertArrayEquals(new float[] {7}, Npy.read(dir.resolve("res/y.npy")).data());
    // a relative link's ".." is taken from the folder the link really is in (through a linked folder), as the kernel does
    Files.createDirectories(dir.resolve("data/x"));
    Path linked = Files.createSymbolicLink(dir.resolve("a"), dir.resolve("data/x"));
    Files.createDirectories(dir.resolve("data/res"));
    Files.createSymbolicLink(dir.resolve("data/x/up.npy"), Path.of("../res/z.npy"));
    Npy.write(linked.resolve("up.npy"), new Tensor(new int[] {1}, new float[] {5}));
    assertArrayEquals(new float[] {5}, Npy.read(dir.resolve("data/res/z.npy")).data());
    // checked early the same way: the folder of the file it leads to, not the link's
    Path nowhere = Files.createSymbolicLink(dir.resolve("nowhere.npy"), Path.of("missing/y.npy"));
    BadInputException early = assertThrows(BadInputException.class, () -> FileOutput.checkWritable(nowhere));
    assertEquals("cannot write " + dir.resolve("missing/y.npy") + ": no such directory " + dir.resolve("missing"), early.getMessage());
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
    // a stream this process does not have open (stdout closed with >&-): refused, not replaced by a file (as root, /dev/stdout's link was)
    BadInputException closed = assertThrows(BadInputException.class, () -> FileOutput.writeString(Path.of("/proc/self/fd/987"), "x"));
    assertEquals("cannot write /proc/self/fd/987: this process has no such stream open", closed.getMessage());
    Process cat = new ProcessBuilder("cat").start();
    try {
      FileOutput.writeString(Path.of("/proc/" + cat.pid() + "/fd/0"), "through the pipe\n");
      cat.getOutputStream().close();
      assertEquals("through the pipe\n", new String(cat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      cat.destroy();
    }
  }

  /**
   * The names of this process's standard output, where a command writing its output prints its status
   * lines to standard error instead; a path only, nothing is opened. Standard error, another process's
   * stdout and a file named like one are not it.
   */
  @Test
  void standardOutputIsKnownByItsNames() {
    long pid = ProcessHandle.current().pid();
    for (String p : List.of("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "/proc/" + pid + "/fd/1", "/dev/./stdout", "/dev/fd/../stdout")) {
      assertTrue(FileOutput.isStandardOutput(Path.of(p)), p);
    }
    for (String p : List.of("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2", "/proc/" + (pid + 1) + "/fd/1", "/dev/null", "y.npy", "stdout",
        "/tmp/dev/stdout", "/dev/fd/10")) {
      assertFalse(FileOutput.isStandardOutput(Path.of(p)), p);
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

  /**
   * Makes {@code folder} one this user may not write, root too (for whom chmod is no bar: chattr +i,
   * where the file system has it); the test is skipped where neither works. Closing undoes it.
   */
  static AutoCloseable readOnly(Path folder) throws Exception {
    Assumptions.assumeTrue(folder.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean immutable = false;
    if (Files.isWritable(folder)) { // root
      try {
        immutable = new ProcessBuilder("chattr", "+i", folder.toString()).redirectErrorStream(true).start().waitFor() == 0;
      } catch (IOException noChattr) {
        // skipped below
      }
    }
    boolean undoImmutable = immutable;
    AutoCloseable undo = () -> {
      if (undoImmutable) new ProcessBuilder("chattr", "-i", folder.toString()).redirectErrorStream(true).start().waitFor();
      Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    };
    if (Files.isWritable(folder)) {
      undo.close();
      Assumptions.abort("cannot make a folder read-only for this user");
    }
    return undo;
  }

  /**
   * A writable file in a folder this user may not write was written over in place: a failure midway
   * left it half-written. It cannot be replaced whole, so it is refused and left as it was.
   */
  @Test
  void aFileInAFolderThatCannotBeWrittenIsRefusedNotWrittenInPlace() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("ro")), target = Files.writeString(folder.resolve("y.npy"), "old");
    String refused = "cannot write " + target + ": its folder " + folder
        + " is not writable, so it cannot be replaced whole (write it elsewhere, or make the folder writable)";
    try (AutoCloseable undo = readOnly(folder)) {
      BadInputException e = assertThrows(BadInputException.class, () -> FileOutput.write(target, out -> {
        out.write(new byte[100_000]);
        throw new IOException("No space left on device");
      }));
      assertEquals(refused, e.getMessage());
      assertEquals("old", Files.readString(target));
      e = assertThrows(BadInputException.class, () -> FileOutput.writeString(target, "new"));
      assertEquals(refused, e.getMessage());
      assertEquals("old", Files.readString(target));
      Path other = folder.resolve("z.npy");
      String denied = assertThrows(BadInputException.class, () -> FileOutput.writeString(other, "new")).getMessage();
      // a new file: the system's reason (an immutable folder's, for root: "Operation not permitted")
      assertTrue(denied.equals("cannot write " + other + ": permission denied") || denied.equals("cannot write " + other + ": Operation not permitted"), denied);
    }
    try (Stream<Path> files = Files.list(folder)) {
      assertEquals(List.of("y.npy"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * Another process's stream that is a file in a folder this user may not write: appended to in place,
   * as the write does, so the early check passes it (it refused it as a file that cannot be replaced whole).
   */
  @Test
  void aStreamIntoAFileOfAReadOnlyFolderPassesTheEarlyCheck() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "Linux's /proc");
    Path folder = Files.createDirectories(dir.resolve("ro-stream")), file = Files.writeString(folder.resolve("y.npy"), "old\n");
    Process sleeper = new ProcessBuilder("sleep", "60").redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile())).start();
    try (AutoCloseable undo = readOnly(folder)) {
      Path stream = Path.of("/proc/" + sleeper.pid() + "/fd/1");
      FileOutput.checkWritable(stream);
      FileOutput.writeString(stream, "new\n");
      assertEquals("old\nnew\n", Files.readString(file));
    } finally {
      sleeper.destroy();
    }
  }

  /**
   * A file name of up to 255 bytes is legal; the temporary file beside it (NAME.hex.tmp) must not pass
   * that, or a long but legal --output failed after the work as "File name too long".
   */
  @Test
  void aLongButLegalNameIsWritten() throws IOException {
    for (String name : List.of("a".repeat(251) + ".npy", "\u732b".repeat(83) + ".npy")) { // 255 and 253 bytes
      Path target = dir.resolve("long").resolve(name);
      Files.createDirectories(target.getParent());
      FileOutput.writeString(target, "first");
      FileOutput.writeString(target, "second"); // over the old one: its copy beside it is named so too
      assertEquals("second", Files.readString(target));
      try (Stream<Path> files = Files.list(target.getParent())) {
        assertEquals(List.of(name), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
      }
      Files.delete(target);
    }
  }

  /**
   * Ctrl-C or SIGTERM while an output is being written left its OUT.hex.tmp behind (deleted only on a
   * failure): a shutdown hook deletes it. Here a JVM writing a file is sent SIGTERM mid-body.
   */
  @Test
  void aWriteInterruptedBySigtermLeavesNoTemporaryFile() throws Exception {
    Path target = Files.writeString(dir.resolve("y.npy"), "old");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        WriteAndWait.class.getName(), target.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      assertEquals("writing", lines.readLine());
      assertEquals(2, names().size(), "the temporary file, beside y.npy: " + names());
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "the JVM exits");
      assertEquals(143, p.exitValue(), "killed by SIGTERM");
    } finally {
      p.destroyForcibly();
    }
    assertEquals(List.of("y.npy"), names());
    assertEquals("old", Files.readString(target));
  }

  /**
   * The shutdown hook's cleanup, run here as the hook would: it deletes a file being written and a
   * registered work folder, and never a file committed; the interrupted write's commit then fails.
   */
  @Test
  void theShutdownHookDeletesWhatIsInFlightAndNothingCommitted() throws Exception {
    Path done = dir.resolve("done.npy"), target = Files.writeString(dir.resolve("y.npy"), "old");
    FileOutput.writeString(done, "committed");
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1), release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<FileOutput.Staged> staged = java.util.concurrent.CompletableFuture.supplyAsync(() -> FileOutput.stage(target, out -> {
      out.write(new byte[100_000]);
      out.flush();
      started.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      out.write(1);
    }));
    assertTrue(started.await(20, java.util.concurrent.TimeUnit.SECONDS));
    Path work = Files.createDirectories(dir.resolve("work").resolve("classes"));
    Files.writeString(work.resolve("weights.bin"), "packed");
    FileOutput.registerTemporary(work.getParent());
    assertEquals(4, names().size(), "done.npy, work, y.npy and y.npy's temporary file: " + names());
    FileOutput.deleteTemporaries();
    assertEquals(List.of("done.npy", "y.npy"), names());
    assertEquals("committed", Files.readString(done));
    release.countDown();
    try (FileOutput.Staged s = staged.get(20, java.util.concurrent.TimeUnit.SECONDS)) {
      BadInputException e = assertThrows(BadInputException.class, s::commit);
      assertEquals("cannot write " + target + ": interrupted, the JVM is exiting", e.getMessage());
    }
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("done.npy", "y.npy"), names());
    assertFalse(FileOutput.unregisterTemporary(work.getParent()), "taken off by the hook");
  }

  /**
   * Each failure in a few words, as the messages print it: a refused permission is "permission denied"
   * (the JDK's AccessDeniedException carries the path alone as its message, which was printed), built here
   * because the tests may run as root, whom permissions do not stop.
   */
  @Test
  void failuresAreNamedInAFewWords() {
    String file = dir.resolve("f.npy").toString();
    assertEquals("permission denied", FileOutput.reason(new java.nio.file.AccessDeniedException(file)));
    assertEquals("permission denied", FileOutput.reason(new java.nio.file.AccessDeniedException(file, null, "Permission denied")));
    assertEquals("already exists", FileOutput.reason(new java.nio.file.FileAlreadyExistsException(file)));
    assertEquals("no such file or directory", FileOutput.reason(new java.nio.file.NoSuchFileException(file)));
    assertEquals("no such directory " + dir.resolve("gone"), FileOutput.reason(new java.nio.file.NoSuchFileException(dir.resolve("gone/f.npy").toString())));
    assertEquals("No space left on device", FileOutput.reason(new java.nio.file.FileSystemException(file, null, "No space left on device")));
    assertEquals("broken pipe", FileOutput.reason(new IOException("broken pipe")));
    assertEquals("java.io.IOException", FileOutput.reason(new IOException()));
  }
}
