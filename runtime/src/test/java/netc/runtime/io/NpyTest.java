package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  /** Written in chunks (a tensor may hold more bytes than one array): every value lands, across the chunks' seams. */
  @Test
  void aTensorLargerThanAChunkRoundTrips() throws IOException {
    Tensor t = Tensor.uniform(3, 1, 3, 300, 301); // 270,900 floats, over the 262,144 of a chunk
    Path p = dir.resolve("big.npy");
    Npy.write(p, t);
    assertArrayEquals(t.data(), Npy.read(p).data());
    assertEquals(4L * 270_900, Files.size(p) - 128, "the data after a 128-byte header");
    assertThrows(IllegalArgumentException.class, () -> Tensor.size(new int[] {65536, 65536, 65536, 65536}), "a product past a long");
  }

  /** The header alone gives the shape and where the data starts, checked as read checks it, without reading the data. */
  @Test
  void theHeaderAloneIsCheckedAsAWholeReadChecksIt() throws IOException {
    Path p = dir.resolve("x.npy");
    Npy.write(p, new Tensor(new int[] {2, 3, 1, 2}, new float[12]));
    Npy.Header h = Npy.header(p);
    assertArrayEquals(new int[] {2, 3, 1, 2}, h.shape());
    assertEquals(Files.size(p) - 4 * 12, h.dataOffset());
    assertEquals(128, h.dataOffset(), "numpy's 64-byte aligned header of this shape");
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, all.length - 3));
    assertEquals(p + ": shape [2, 3, 1, 2] needs 48 bytes of data, the file has 45",
        assertThrows(BadInputException.class, () -> Npy.header(p)).getMessage());
    assertEquals("cannot read " + dir + ": not a regular file (a directory)", assertThrows(BadInputException.class, () -> Npy.header(dir)).getMessage());
    // a header of more values than an array holds is a header: refusing it is read's business
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(0);
      f.write(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }", new byte[0]));
      f.setLength(f.length() + 4L * 65536 * 65536);
    }
    assertArrayEquals(new int[] {65536, 65536}, Npy.header(p).shape());
    assertEquals(p + ": shape [65536, 65536] has 4294967296 values, more than one Java array holds (2147483639)",
        assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage());
  }

  @Test
  void readsWhatNumpyWrote() {
    // written by numpy.save from the torchvision fixture script; the values as numpy.load reads them
    // (each float32's shortest repr), so a wrong data offset or byte order fails
    Tensor x = Npy.read(Path.of("../weights/fixtures/resnet18_w8_s64_logits.npy"));
    assertArrayEquals(new int[] {2, 10}, x.shape());
    assertArrayEquals(new float[] {
        -1.1400652f, 6.359866f, -6.9183717f, -14.134944f, 11.778843f, 8.6862335f, 0.92620957f, -7.470834f, 3.277897f, -1.4996936f,
        -7.030645f, 12.036931f, -7.7595854f, -12.804082f, 12.613721f, 9.345291f, -3.7105036f, -7.1424108f, 4.5100017f, 2.1360888f},
        x.data());
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
    assertEquals("cannot read " + dir.resolve("none.npy") + ": no such file",
        assertThrows(BadInputException.class, () -> Npy.read(dir.resolve("none.npy"))).getMessage());
    assertEquals("cannot read " + dir + ": not a regular file (a directory)", assertThrows(BadInputException.class, () -> Npy.read(dir)).getMessage());
  }

  /** A .npy file of the given version, header text (its length declared exactly) and data bytes. */
  private static byte[] npy(int major, String header, byte[] data) {
    byte[] h = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int prefix = major == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(prefix + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) b.putShort((short) h.length);
    else b.putInt(h.length);
    return b.put(h).put(data).array();
  }

  private String error(byte[] file) throws IOException {
    Path p = dir.resolve("e.npy");
    Files.write(p, file);
    String msg = assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage();
    assertTrue(msg.startsWith(p + ": "), msg);
    return msg.substring(p.toString().length() + 2);
  }

  private Tensor read(byte[] file) throws IOException {
    Path p = dir.resolve("ok.npy");
    Files.write(p, file);
    return Npy.read(p);
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) b.putFloat(x);
    return b.array();
  }

  /**
   * A file this user may not read is "permission denied" (the exception's message was the path alone),
   * and one in a folder this user may not search "cannot access", not "no such file". Skipped where
   * permissions do not apply (root): {@link #aFileNotEvenRootMayReadIsPermissionDenied} and
   * FileOutputTest's reasons cover the message there.
   */
  @Test
  void unreadableFilesSayWhy() throws IOException {
    Path file = dir.resolve("x.npy"), folder = Files.createDirectories(dir.resolve("closed")), hidden = folder.resolve("y.npy");
    Npy.write(file, new Tensor(new int[] {1}, new float[] {1}));
    Npy.write(hidden, new Tensor(new int[] {1}, new float[] {1}));
    org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    var none = java.nio.file.attribute.PosixFilePermissions.fromString("---------");
    Files.setPosixFilePermissions(file, none);
    Files.setPosixFilePermissions(folder, none);
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(file), "permissions apply to this user (not root)");
      assertEquals("cannot read " + file + ": permission denied", assertThrows(BadInputException.class, () -> Npy.read(file)).getMessage());
      assertEquals("cannot read " + file + ": permission denied", assertThrows(BadInputException.class, () -> Npy.header(file)).getMessage());
      assertEquals("cannot read " + hidden + ": cannot access (permission denied)", assertThrows(BadInputException.class, () -> Npy.read(hidden)).getMessage());
    } finally {
      var all = java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
      Files.setPosixFilePermissions(file, all);
      Files.setPosixFilePermissions(folder, all);
    }
  }

  /**
   * The same message for a file that refuses even root (the permissions above do not apply to root):
   * Linux's write-only /proc/sys/vm/drop_caches, whose owner bits procfs checks for root too.
   */
  @Test
  void aFileNotEvenRootMayReadIsPermissionDenied() throws IOException {
    Path writeOnly = Path.of("/proc/sys/vm/drop_caches");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(writeOnly) && !Files.isReadable(writeOnly), "Linux's /proc/sys");
    Path link = Files.createSymbolicLink(dir.resolve("w.npy"), writeOnly);
    assertEquals("cannot read " + link + ": permission denied", assertThrows(BadInputException.class, () -> Npy.read(link)).getMessage());
    assertEquals("cannot read " + link + ": permission denied", assertThrows(BadInputException.class, () -> Npy.header(link)).getMessage());
  }

  /** "cannot access" with the reason, where root gets it too: a file behind two links naming each other. */
  @Test
  void aFileBehindALinkLoopCannotBeAccessed() throws IOException {
    Path inside = LinkLoop.fileBehind(dir, "x.npy");
    String msg = assertThrows(BadInputException.class, () -> Npy.read(inside)).getMessage();
    assertTrue(msg.startsWith("cannot read " + inside + ": cannot access (") && msg.toLowerCase(java.util.Locale.ROOT).contains("symbolic links"), msg);
  }

  /** The header is a Python literal: keys in any order, either quote, spacing, versions 1 to 3, Python 2's 3L. */
  @Test
  void headersNumpyCouldWriteAreRead() throws IOException {
    byte[] six = floats(1, 2, 3, 4, 5, 6);
    for (String header : new String[] {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n",
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3,)}",
        "  {'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 2 , 3L ) }  \n"}) {
      for (int major = 1; major <= 3; major++) {
        Tensor t = read(npy(major, header, six));
        assertArrayEquals(new int[] {2, 3}, t.shape(), header);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.data(), header);
      }
    }
    assertArrayEquals(new int[] {}, read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", floats(7))).shape());
    assertArrayEquals(new int[] {0, 5}, read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5)}", new byte[0])).shape());
  }

  /** The campaign's case: "'fortran_order': False" inside a string no longer hides the real True. */
  @Test
  void aKeyInsideAStringCannotHideTheRealOne() throws IOException {
    byte[] two = floats(1, 2);
    assertEquals("header has an unexpected key 'note'",
        error(npy(1, "{'descr': '<f4', 'note': \"'fortran_order': False\", 'fortran_order': True, 'shape': (2,)}", two)));
    assertEquals("Fortran-order arrays are not supported; save with numpy.ascontiguousarray",
        error(npy(1, "{'descr': '<f4', 'shape': (2,), 'fortran_order': True}", two)));
    assertEquals("dtype is <f4', 'fortran_order': False, 'x': ', expected float32 ('<f4'); convert with arr.astype(numpy.float32)",
        error(npy(1, "{'descr': \"<f4', 'fortran_order': False, 'x': '\", 'fortran_order': True, 'shape': (2,)}", two)));
    assertEquals("header has no 'fortran_order'", error(npy(1, "{'descr': '<f4', 'shape': (2,)}", two)));
    assertTrue(error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'fortran_order': True, 'shape': (2,)}", two))
        .startsWith("malformed header (duplicate key 'fortran_order' at offset "));
  }

  @Test
  void malformedHeadersAreRefusedWithTheReason() throws IOException {
    byte[] two = floats(1, 2);
    String good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}";
    assertEquals("malformed header (unexpected text after the dict at offset 56): " + good + " junk", error(npy(1, good + " junk", two)));
    assertEquals("malformed header (unexpected end at offset 50): " + good.substring(0, 50).strip(), error(npy(1, good.substring(0, 50), two)));
    assertEquals("'shape' is not a tuple", error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", two)));
    assertEquals("'shape' is not a tuple", error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", two)));
    assertEquals("'shape' holds '2', not an integer", error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", two)));
    assertEquals("bad dimension -2", error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", two)));
    assertEquals("bad dimension 2147483648", error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 0)}", two)));
    assertTrue(error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", two))
        .startsWith("malformed header (integer 99999999999999999999 too large at offset "));
    assertTrue(error(npy(1, "{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", two)).startsWith("malformed header (unexpected character 'f'"));
    assertEquals("'fortran_order' is not True or False", error(npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", two)));
    assertTrue(error(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}", two)).startsWith("malformed header (bad integer '02'"));
    // control characters are shown escaped, so the message stays on one line
    assertTrue(error(npy(1, "{'descr': '<f4\n', 'fortran_order': False, 'shape': (2,)}", two)).endsWith("{'descr': '<f4\\x0a', 'fortran_order': False, 'shape': (2,)}"));
    assertTrue(error(npy(1, "(".repeat(100) + ")".repeat(100), two)).startsWith("malformed header (expected '{' at offset 0)"));
    assertTrue(error(npy(1, "{'a': " + "(".repeat(100) + ")".repeat(100) + "}", two)).startsWith("malformed header (nesting too deep"));
  }

  @Test
  void dtypesAreNamed() throws IOException {
    String shape = "'fortran_order': False, 'shape': (2,)}";
    assertEquals("dtype is >f4 (big-endian float32), expected little-endian '<f4'; convert with arr.astype('<f4')",
        error(npy(1, "{'descr': '>f4', " + shape, floats(1, 2))));
    assertEquals("dtype is <f8, expected float32 ('<f4'); convert with arr.astype(numpy.float32)",
        error(npy(1, "{'descr': '<f8', " + shape, new byte[16])));
    assertEquals("dtype is a structured type, expected float32 ('<f4')",
        error(npy(1, "{'descr': [('x', '<f4'), ('y', '<f4')], " + shape, new byte[16])));
  }

  /** The shape must account for every data byte: none missing, none left over, no overflow. */
  @Test
  void theShapeMatchesTheDataExactly() throws IOException {
    String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s)}";
    assertEquals("shape [2, 3] needs 24 bytes of data, the file has 20", error(npy(1, String.format(h, "2, 3"), new byte[20])));
    assertEquals("shape [2, 3] needs 24 bytes of data, the file has 28", error(npy(1, String.format(h, "2, 3"), new byte[28])));
    assertEquals("shape [2147483647, 2147483647, 2147483647] needs more than 9223372036854775807 bytes of data, the file has 8",
        error(npy(1, String.format(h, "2147483647, 2147483647, 2147483647"), new byte[8])));
    // 2^61 elements fit a long, their 2^63 bytes do not
    assertEquals("shape [1073741824, 1073741824, 2] needs more than 9223372036854775807 bytes of data, the file has 0",
        error(npy(1, String.format(h, "1073741824, 1073741824, 2"), new byte[0])));
  }

  @Test
  void versionsAndLengthsAreChecked() throws IOException {
    byte[] ok = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", floats(1));
    byte[] v4 = ok.clone();
    v4[6] = 4;
    assertEquals("unsupported .npy version 4.0 (netc reads 1.0, 2.0 and 3.0)", error(v4));
    byte[] minor = ok.clone();
    minor[7] = 1;
    assertEquals("unsupported .npy version 1.1 (netc reads 1.0, 2.0 and 3.0)", error(minor));
    assertEquals("too short to be a .npy file", error(java.util.Arrays.copyOf(ok, 9)));
    byte[] v2 = npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", floats(1));
    assertEquals("truncated header", error(java.util.Arrays.copyOf(v2, 11)));
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
    assertEquals("header length 4294967295 is over the 65536 bytes netc reads", error(v2));
    ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 1000);
    assertEquals("header length 1000 runs past the file of 69 bytes", error(ok));
  }

  /** A sparse file whose shape has more floats than a Java array holds: refused before any allocation. */
  @Test
  void moreValuesThanAnArrayHoldsIsRefused() throws IOException {
    byte[] head = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1073741824)}", new byte[0]);
    Path p = dir.resolve("sparse.npy");
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.write(head);
      f.setLength(head.length + (8L << 30));
    }
    assertEquals(p + ": shape [2, 1073741824] has 2147483648 values, more than one Java array holds (2147483639)",
        assertThrows(BadInputException.class, () -> Npy.read(p)).getMessage());
  }

  /**
   * A file written while it is read (its modification time or size moved between the open and the end of the
   * read, or another file now has its name) is refused, not read as a mix of old and new values: the check
   * Npy.read makes once it has read (FileIdentity.requireUnchanged), here run after a write.
   */
  @Test
  void aFileWrittenWhileReadIsRefused() throws Exception {
    Path x = dir.resolve("x.npy");
    Npy.write(x, new Tensor(new int[] {4}, new float[4]));
    FileIdentity before = FileIdentity.of(x, java.nio.file.Files.size(x));
    before.requireUnchanged(x, java.nio.file.Files.size(x)); // untouched: passes
    java.nio.file.attribute.FileTime later = java.nio.file.attribute.FileTime.fromMillis(before.modified().toMillis() + 1000);
    java.nio.file.Files.setLastModifiedTime(x, later);
    BadInputException e = assertThrows(BadInputException.class, () -> before.requireUnchanged(x, java.nio.file.Files.size(x)));
    assertEquals(x + ": changed while being read (its modification time is " + later + ", it was " + before.modified()
        + " when opened: was it overwritten in place?)", e.getMessage());
    Npy.write(x, new Tensor(new int[] {5}, new float[5])); // replaced by another file, of another size
    assertThrows(BadInputException.class, () -> before.requireUnchanged(x, java.nio.file.Files.size(x)));
    assertEquals(5, Npy.read(x).size(), "left alone, it reads");
  }

  /**
   * A batch of network inputs holding a NaN or an infinity (np.empty's leftovers, a normalization's 0/0) is refused
   * naming the first one's place and how many there are: its outputs would be NaN, written with exit 0. Finite
   * values read, whatever their size.
   */
  @Test
  void aBatchWithANanOrAnInfinityIsRefusedNamingItsPlace() throws Exception {
    Path x = dir.resolve("x.npy");
    float[] v = new float[2 * 1 * 2 * 3];
    v[5] = Float.MAX_VALUE;
    v[6] = -Float.MAX_VALUE;
    Npy.write(x, new Tensor(new int[] {2, 1, 2, 3}, v));
    assertEquals(12, Npy.readBatch(x, new int[] {1, 2, 3}, "the model").size(), "finite values read");
    v[10] = Float.NaN; // [1, 0, 1, 1]
    Npy.write(x, new Tensor(new int[] {2, 1, 2, 3}, v));
    assertEquals(x + ": the value at [1, 0, 1, 1] is NaN: a network's input must be finite numbers",
        assertThrows(BadInputException.class, () -> Npy.readBatch(x, new int[] {1, 2, 3}, "the model")).getMessage());
    v[2] = Float.NEGATIVE_INFINITY; // [0, 0, 0, 2], before it
    Npy.write(x, new Tensor(new int[] {2, 1, 2, 3}, v));
    assertEquals(x + ": the value at [0, 0, 0, 2] is -Infinity (2 of its 12 values are not finite numbers): a network's input must be finite numbers",
        assertThrows(BadInputException.class, () -> Npy.readBatch(x, new int[] {1, 2, 3}, "the model")).getMessage());
    assertEquals(12, Npy.read(x).size(), "a tensor read as data, not a network's input, is read as it is");
  }
}
