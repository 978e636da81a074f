package netc.runtime.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;

/**
 * Reads and writes safetensors: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to dtype, shape and data_offsets, then the raw little-endian bytes.
 *
 * <p>The reader trusts no number in the file. The header must be one JSON object of exactly the
 * declared length, padded only with trailing spaces; every tensor's offsets must lie in the data
 * section and match its shape and dtype; and, as the reference implementation requires, the tensors
 * must cover the data section exactly once, with no gap, overlap or trailing byte. So a header
 * length a few bytes off (which would read every tensor shifted) is refused, and nothing is
 * allocated from a size in the file before it is checked against the file's real size.
 *
 * <p>A tensor is read when asked for, from the file reopened and checked, before and after the read,
 * to be the one that was parsed (same file, size, modification and change times), with positional
 * reads, so files past 2 GiB are read too. The data is not memory-mapped: a mapped page past the
 * end of a file cut short after it was mapped (copied over in place, a writer that truncates first)
 * raises SIGBUS, which HotSpot reports as an InternalError not where the page was read but at some
 * later point of the thread, after zeros were taken for data; a read returns end-of-file instead,
 * and the change is named.
 */
public final class Safetensors implements TensorSource {
  /** Headers are a few hundred bytes per tensor; the reference reader's bound (100,000,000 bytes), which stops absurd lengths. */
  static final long MAX_HEADER = 100_000_000L;

  /**
   * The most JSON values (objects, arrays, keys, strings, numbers) a header may hold: a tensor's entry
   * takes about a dozen, so some 170,000 tensors, more than any model file has. A header of 100 MiB (within
   * {@link #MAX_HEADER}) holds some 35 million empty objects, which took 2 GB of heap to build; this many
   * take about 130 MB.
   */
  static final long MAX_HEADER_VALUES = 1L << 21;

  /** The longest float[] the JVM allocates: a few words below Integer.MAX_VALUE hold the array header. */
  public static final int MAX_ARRAY = netc.runtime.LargeArrays.MAX_ARRAY;

  /** Bytes of a tensor read from the file at a time: large enough to be fast, small enough to be garbage. */
  static final int CHUNK = 1 << 20;

  /** The highest rank we accept: the networks use at most 4, and the bound keeps messages short. */
  private static final int MAX_RANK = 8;

  /**
   * The element types of the format, all 22 of the reference implementation's, with their sizes in
   * bits (F4 and the F6s pack elements across bytes). F32, F16, BF16 and F64 convert to float32; the
   * others are known (a state_dict holds integer buffers, a quantized checkpoint its scales) so that a
   * file holding them can be read, but are never read as weights.
   */
  public enum Dtype {
    F32(32, true), F16(16, true), BF16(16, true), F64(64, true),
    I64(64, false), I32(32, false), I16(16, false), I8(8, false), U64(64, false), U32(32, false), U16(16, false), U8(8, false),
    BOOL(8, false), F8_E4M3(8, false), F8_E5M2(8, false), F8_E8M0(8, false), F8_E4M3FNUZ(8, false), F8_E5M2FNUZ(8, false),
    F6_E2M3(6, false), F6_E3M2(6, false), F4(4, false), C64(64, false);

    final int bits;
    final boolean floating;

    Dtype(int bits, boolean floating) {
      this.bits = bits;
      this.floating = floating;
    }

    /** Whether netc reads this type as float32 weights. */
    public boolean isFloat() {
      return floating;
    }
  }

  /** One tensor's entry: validated against the file when it was read; offsets relative to the data section. */
  public record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
    /** Its own copy of {@code shape}: floats() sizes its read from it, so a caller's array changed later must not change it. */
    public Entry {
      shape = shape.clone();
    }

    /** A copy: the entry's own array sizes the reads (one changed through entries() read a shorter or longer tensor). */
    @Override
    public int[] shape() {
      return shape.clone();
    }

    public long elements() {
      return Tensor.size(shape);
    }
  }

  /** Where the bytes come from: a file or a buffer in memory. */
  private interface Source {
    long size();

    /** Fills {@code dst} (its remaining bytes) from {@code pos} on; the caller has checked the bytes exist. */
    void read(long pos, ByteBuffer dst) throws IOException;
  }

  private final Path path;
  private final String name;
  /** The whole file when it was parsed from memory, else null: the tensors are read from {@link #file}. */
  private final ByteBuffer memory;
  /** The file the tensors are read from, as it was parsed; null when parsed from memory. */
  private final FileIdentity file;
  /** Where the data section starts: after the 8-byte length and the header. */
  private final long dataStart;
  private final int chunkBytes;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private Safetensors(Path path, String name, ByteBuffer memory, FileIdentity file, long dataStart, int chunkBytes,
      Map<String, Entry> entries, Map<String, String> metadata) {
    this.path = path;
    this.name = name;
    this.memory = memory;
    this.file = file;
    this.dataStart = dataStart;
    this.chunkBytes = chunkBytes;
    this.entries = Collections.unmodifiableMap(entries);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  public static Safetensors read(Path path) {
    return read(path, CHUNK);
  }

  /** {@link #read(Path)} with a given chunk size, so tests can exercise the chunks' seams on small files. */
  static Safetensors read(Path path, int chunkBytes) {
    return read(path, chunkBytes, () -> {});
  }

  /** {@link #read(Path, int)}, running {@code beforeOpen} between the file's identity and its opening (a test's seam). */
  static Safetensors read(Path path, int chunkBytes, Runnable beforeOpen) {
    RegularFile.require(path, "cannot read weights ");
    try {
      // the identity taken before the open and checked after it, so it is the opened file's: taken after, by path,
      // it could be a file that replaced this one meanwhile, whose tensors floats() then read at this header's offsets
      FileIdentity identity = FileIdentity.of(path);
      beforeOpen.run();
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        identity.requireUnchanged(path, ch.size());
        return parse(path.toString(), path, fileSource(ch), null, identity, chunkBytes);
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read weights " + path + ": " + FileOutput.reason(e), e);
    }
  }

  /**
   * Parses a whole file held in memory; {@code name} is used in messages. The buffer is kept, not copied
   * (weights of hundreds of MB): {@link #floats} reads the tensors from it later, so its bytes must stay as
   * they are while this object is in use (a pooled buffer reused after parsing would give other weights).
   */
  public static Safetensors parse(String name, ByteBuffer file, Path path) {
    return parse(name, file, path, MAX_HEADER_VALUES);
  }

  /** {@link #parse(String, ByteBuffer, Path)} with a budget of header values, so tests can exceed it with small headers. */
  static Safetensors parse(String name, ByteBuffer file, long maxValues) {
    return parse(name, file, null, maxValues);
  }

  private static Safetensors parse(String name, ByteBuffer file, Path path, long maxValues) {
    try {
      ByteBuffer whole = file.slice();
      return parse(name, path, memorySource(whole), whole, null, CHUNK, maxValues);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a buffer in memory does no I/O
    }
  }

  /**
   * What a file that is no safetensors file begins as, said after the header's refusal, where its first bytes tell: a
   * compiled jar (or any zip) given as --weights was only "header length 578712638083779408 does not fit the file".
   */
  private static String seemsToBe(byte[] b) {
    if (Zips.isZipSignature(b)) return ": it begins as a zip archive (a compiled jar?), not a safetensors file";
    if ((b[0] & 0xff) == 0x93 && b[1] == 'N' && b[2] == 'U' && b[3] == 'M' && b[4] == 'P' && b[5] == 'Y') return ": it is a .npy tensor, not a safetensors file";
    if ((b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return ": it is a PNG image, not a safetensors file";
    if ((b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) return ": it begins as a JPEG image, not a safetensors file";
    return "";
  }

  private static Safetensors parse(String name, Path path, Source src, ByteBuffer memory, FileIdentity file, int chunkBytes)
      throws IOException {
    return parse(name, path, src, memory, file, chunkBytes, MAX_HEADER_VALUES);
  }

  private static Safetensors parse(String name, Path path, Source src, ByteBuffer memory, FileIdentity file, int chunkBytes, long maxValues)
      throws IOException {
    long size = src.size();
    if (size < 8) throw bad(name, "file of " + size + " bytes is too short for a header");
    byte[] lengthBytes = new byte[8];
    src.read(0, ByteBuffer.wrap(lengthBytes));
    long headerLen = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
      throw bad(name, "header length " + headerLen + " does not fit the file of " + size + " bytes" + seemsToBe(lengthBytes));
    }
    long dataSize = size - 8 - headerLen;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : headerObject(name, headerText(name, src, (int) headerLen), headerLen, maxValues).entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        metadata.putAll(metadata(name, e.getValue()));
      } else {
        entries.put(e.getKey(), entry(name, e.getKey(), e.getValue(), dataSize));
      }
    }
    checkCoverage(name, headerLen, entries.values(), dataSize, src);
    return new Safetensors(path, name, memory, file, 8 + headerLen, chunkBytes, entries, metadata);
  }

  /**
   * The {@code length} bytes of header as text: checked to be UTF-8 a buffer at a time, decoded once into
   * a String of their size, and garbage once this returns. A header of 100 MiB that is one long string was
   * held as its bytes, the decoder's char buffer of twice their size, the String made of it, that String
   * without the padding, the parser's builder and the value, about 700 MB; now as the text and the value
   * (the parser takes a string without escapes as one substring of the text).
   */
  private static String headerText(String name, Source src, int length) throws IOException {
    byte[] bytes = new byte[length];
    src.read(8, ByteBuffer.wrap(bytes));
    if (!isUtf8(bytes)) throw bad(name, "header is not UTF-8");
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * The header as a JSON object. The format allows padding with spaces after the object and nothing
   * else, so the object must start at the first byte and end at the last byte that is not a space:
   * a header length that cuts into the object, or that reaches past it into the data, is refused.
   */
  private static Map<String, Object> headerObject(String name, String header, long headerLen, long maxValues) {
    int end = header.length();
    while (end > 0 && header.charAt(end - 1) == ' ') end--;
    if (!header.startsWith("{")) throw bad(name, "header is not a JSON object (its first byte is not '{')");
    if (header.charAt(end - 1) != '}') {
      throw bad(name, "header of " + headerLen + " bytes does not end with '}' followed only by space padding: is the header length right?");
    }
    Object json;
    try {
      json = Json.parse(header, maxValues); // the space padding after the object is JSON whitespace
    } catch (Json.TooManyValuesException e) {
      throw bad(name, "header has more than " + e.max() + " JSON values (at byte " + fileByte(header, e.offset()) + "); a tensor's entry takes about a dozen");
    } catch (Json.ParseException e) {
      throw bad(name, "malformed JSON header: " + e.what() + " at byte " + fileByte(header, e.offset()));
    }
    if (!(json instanceof Map<?, ?> top)) throw bad(name, "header is not a JSON object");
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) top;
    return object;
  }

  /**
   * The byte of the file where character {@code offset} of the header is: after the 8 bytes of its length,
   * and counted in UTF-8 (a name in another script takes 2 to 4 bytes a character), so a hex editor finds it.
   */
  static long fileByte(String header, int offset) {
    long bytes = 8;
    int end = Math.min(offset, header.length());
    for (int i = 0; i < end; i++) { // counted, not encoded: the header may be 100 MiB (an error near its end)
      char c = header.charAt(i);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(header.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else bytes += 3;
    }
    return bytes;
  }

  /**
   * Whether {@code bytes} are UTF-8 (new String(bytes, UTF_8) would replace what is not), checked into a
   * small buffer: decoding them whole to check took a char buffer of twice their size.
   */
  private static boolean isUtf8(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input, replaces none
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(8192);
    while (true) {
      CoderResult r = decoder.decode(in, out.clear(), true);
      if (r.isError()) return false;
      if (r.isUnderflow()) return !decoder.flush(out.clear()).isError(); // all read: a sequence cut at the end is an error above
    }
  }

  private static Map<String, String> metadata(String file, Object value) {
    if (value == null) return Map.of(); // none: the reference reader's Option<HashMap<String, String>> takes null
    if (!(value instanceof Map<?, ?> m)) throw bad(file, "__metadata__ is not an object");
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> me : m.entrySet()) {
      if (!(me.getValue() instanceof String v)) throw bad(file, "__metadata__ values must be strings, '" + me.getKey() + "' is not");
      out.put((String) me.getKey(), v);
    }
    return out;
  }

  private static Entry entry(String file, String name, Object value, long dataSize) {
    if (!(value instanceof Map<?, ?> m)) throw bad(file, "entry '" + name + "' is not an object");
    if (!(m.get("dtype") instanceof String dtypeName)) throw bad(file, "tensor '" + name + "' has no dtype");
    Dtype dtype;
    try {
      dtype = Dtype.valueOf(dtypeName);
    } catch (IllegalArgumentException e) {
      throw bad(file, "tensor '" + name + "' has unknown dtype " + dtypeName);
    }
    int[] shape = shape(file, name, m.get("shape"));
    if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
        || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end)) {
      throw bad(file, "tensor '" + name + "' has no valid data_offsets");
    }
    if (begin < 0 || end < begin || end > dataSize) {
      throw bad(file, "tensor '" + name + "' offsets [" + begin + ", " + end + "] lie outside the data section of " + dataSize + " bytes");
    }
    long bytes = byteSize(shape, dtype);
    if (bytes == -2) {
      throw bad(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " and dtype " + dtype
          + " does not end on a byte boundary (" + dtype.bits + " bits an element)");
    }
    if (bytes != end - begin) {
      throw bad(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " and dtype " + dtype
          + " needs " + (bytes < 0 ? "more than " + Long.MAX_VALUE / 8 : bytes) + " bytes, its offsets give " + (end - begin));
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static int[] shape(String file, String name, Object value) {
    if (!(value instanceof List<?> dims) || dims.size() > MAX_RANK) {
      throw bad(file, "tensor '" + name + "' has no valid shape (a list of at most " + MAX_RANK + " dimensions)");
    }
    int[] shape = new int[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
        throw bad(file, "tensor '" + name + "' has an invalid dimension " + dims.get(i));
      }
      shape[i] = (int) (long) d;
    }
    return shape;
  }

  /**
   * The bytes a tensor of this shape and dtype takes; -1 when that overflows a long, -2 when its
   * elements end inside a byte (sub-byte types), which the reference implementation refuses too.
   */
  static long byteSize(int[] shape, Dtype dtype) {
    try {
      long bits = dtype.bits;
      for (int d : shape) bits = Math.multiplyExact(bits, d);
      return bits % 8 == 0 ? bits / 8 : -2;
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  /**
   * The tensors, in offset order, must tile the data section: each starts where the one before
   * ended, the first at 0, the last ends at its end. Empty tensors may sit at any boundary.
   */
  private static void checkCoverage(String file, long headerLen, Collection<Entry> entries, long dataSize, Source src) throws IOException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long covered = 0;
    Entry prev = null;
    for (Entry cur : sorted) {
      if (cur.begin() < covered) {
        throw bad(file, "tensors '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "] and '" + cur.name()
            + "' [" + cur.begin() + ", " + cur.end() + "] overlap");
      }
      if (cur.begin() > covered) {
        throw bad(file, "bytes [" + covered + ", " + cur.begin() + ") of the data section belong to no tensor ("
            + (prev == null ? "the first tensor '" + cur.name() + "' starts at " + cur.begin() : "a gap between '" + prev.name() + "' and '" + cur.name() + "'") + ")");
      }
      covered = cur.end();
      prev = cur;
    }
    if (covered == dataSize) return;
    long extra = dataSize - covered;
    if (extra < 8 && allSpaces(src, 8 + headerLen, (int) extra)) {
      throw bad(file, "header length " + headerLen + " is " + extra + " byte" + (extra == 1 ? "" : "s")
          + " short of the header's end (its space padding runs into the data section): every tensor would be read shifted");
    }
    throw bad(file, "the tensors end at byte " + covered + " of the data section of " + dataSize + " bytes: "
        + extra + " trailing bytes belong to no tensor");
  }

  /** Whether the {@code n} bytes at {@code pos} are all spaces (header padding that leaked into the data). */
  private static boolean allSpaces(Source src, long pos, int n) throws IOException {
    byte[] b = new byte[n];
    src.read(pos, ByteBuffer.wrap(b));
    for (byte c : b) if (c != ' ') return false;
    return true;
  }

  private static BadInputException bad(String file, String problem) {
    return new BadInputException(file + ": " + problem);
  }

  public Path path() {
    return path;
  }

  /** The name messages use: the file's path when it was read from disk. */
  @Override
  public String name() {
    return name;
  }

  public Map<String, Entry> entries() {
    return entries;
  }

  @Override
  public java.util.Set<String> tensors() {
    return entries.keySet();
  }

  @Override
  public Dtype dtype(String tensor) {
    Entry e = entries.get(tensor);
    return e == null ? null : e.dtype();
  }

  @Override
  public int[] shape(String tensor) {
    return entries.get(tensor).shape().clone();
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The tensor's values as float32, converting F16, BF16 and F64. A file is reopened for it and must
   * still be the file that was parsed, whole: one changed since (replaced, cut short, grown) is
   * named, not read for values that would mix two files or take missing bytes for zeros.
   */
  @Override
  public float[] floats(String tensor) {
    Entry e = entries.get(tensor);
    if (e == null) throw bad(name, "no tensor '" + tensor + "'");
    if (!e.dtype().isFloat()) throw bad(name, "tensor '" + tensor + "' has dtype " + e.dtype() + ", expected a float type");
    long n = e.elements();
    if (n > MAX_ARRAY) {
      throw bad(name, "tensor '" + tensor + "' has " + n + " values, more than one Java array holds (" + MAX_ARRAY + ")");
    }
    float[] out = new float[(int) n];
    if (memory != null) {
      try {
        read(memorySource(memory), e, out);
      } catch (IOException x) {
        throw new IllegalStateException(x); // a buffer in memory does no I/O
      }
      return out;
    }
    try {
      checkSameFile(); // before the open too: what now has the name may be a pipe, whose open blocks
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        checkUnchanged(ch); // after the open: had the name gone to another file in between, the keys differ
        read(fileSource(ch), e, out);
        checkUnchanged(ch); // a write during the read moved the times
      }
    } catch (ShrankException x) {
      throw changed(x.size);
    } catch (java.nio.file.NoSuchFileException x) {
      throw bad(name, "changed while being read (no file has its name now)");
    } catch (IOException x) {
      throw new BadInputException("cannot read weights " + path + ": " + FileOutput.reason(x), x);
    }
    return out;
  }

  private void checkSameFile() throws IOException {
    if (!java.util.Objects.equals(fileKey(path), file.key())) throw bad(name, "changed while being read (another file now has its name)");
  }

  /** Refuses the file open on {@code ch} unless it is the one parsed, as {@link FileIdentity} tells. */
  private void checkUnchanged(FileChannel ch) throws IOException {
    String change = file.change(FileIdentity.of(path, ch.size()));
    if (change != null) throw bad(name, "changed while being read (" + change + ")");
  }

  private BadInputException changed(long size) {
    return bad(name, "changed while being read (" + file.sizeChange(size) + ")");
  }

  /** The file system's identity of the file (its device and inode on Linux), or null where there is none. */
  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
  }

  /** Reads and converts the tensor {@code e} from {@code src}, a chunk at a time. */
  private void read(Source src, Entry e, float[] out) throws IOException {
    int size = e.dtype().bits / 8; // a float type: whole bytes
    int per = Math.max(1, chunkBytes / size); // whole elements per chunk, wherever the tensor starts
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min((long) per * size, (long) out.length * size)).order(ByteOrder.LITTLE_ENDIAN);
    chunks(out.length, per, (done, count) -> {
      chunk.clear().limit(count * size);
      src.read(dataStart + e.begin() + (long) done * size, chunk);
      int far = convert(chunk.flip(), e.dtype(), out, done, count);
      if (far >= 0) {
        throw bad(name, "tensor '" + e.name() + "' holds " + chunk.getDouble(8 * far) + " at " + index(e.shape(), done + far)
            + " (F64), outside float32's range (±" + Float.MAX_VALUE + ")");
      }
    });
  }

  /** What {@link #chunks} calls for each chunk: {@code count} elements from element {@code done}. */
  interface Chunk {
    void read(int done, int count) throws IOException;
  }

  /**
   * Calls {@code chunk} for elements [0, length) in order, {@code per} at a time (the last chunk fewer).
   * A loop of its own so its arithmetic is tested at the array limit without gigabytes of tensor.
   */
  static void chunks(int length, int per, Chunk chunk) throws IOException {
    for (int done = 0; done < length; ) {
      int count = Math.min(length - done, per);
      chunk.read(done, count);
      done += count; // not per: past the last chunk of a tensor near the array limit that passes Integer.MAX_VALUE
    }
  }

  /** The coordinates of the {@code flat}-th element of a C-order tensor of this shape, as {@code [i, j, k]}. */
  private static String index(int[] shape, long flat) {
    long[] at = new long[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      at[d] = flat % shape[d];
      flat /= shape[d];
    }
    return Arrays.toString(at);
  }

  /**
   * Converts {@code count} elements of {@code b} into {@code out} from {@code from} on. Returns the
   * position in {@code b} of the first F64 value that is finite but has no float32 (it would round
   * to an infinity, which the file does not hold), or -1.
   */
  private static int convert(ByteBuffer b, Dtype dtype, float[] out, int from, int count) {
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out, from, count);
      case F64 -> {
        for (int i = 0; i < count; i++) {
          double v = b.getDouble(8 * i);
          out[from + i] = (float) v;
          if (Float.isInfinite(out[from + i]) && !Double.isInfinite(v)) return i;
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) out[from + i] = halfToFloat(b.getShort(2 * i));
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) out[from + i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
      }
      default -> throw new IllegalStateException("not a float dtype: " + dtype);
    }
    return -1;
  }

  /** A file that ended before bytes its size said it had: it was cut short while being read. */
  private static final class ShrankException extends IOException {
    final long size;

    ShrankException(long size) {
      super("file shrank while being read");
      this.size = size;
    }
  }

  private static Source fileSource(FileChannel ch) throws IOException {
    long size = ch.size();
    return new Source() {
      @Override
      public long size() {
        return size;
      }

      @Override
      public void read(long pos, ByteBuffer dst) throws IOException {
        for (long at = pos; dst.hasRemaining(); ) {
          int n = ch.read(dst, at);
          if (n < 0) throw new ShrankException(ch.size());
          at += n;
        }
      }
    };
  }

  private static Source memorySource(ByteBuffer file) {
    ByteBuffer buf = file.slice();
    return new Source() {
      @Override
      public long size() {
        return buf.remaining();
      }

      @Override
      public void read(long pos, ByteBuffer dst) {
        dst.put(buf.slice((int) pos, dst.remaining()));
      }
    };
  }

  /** IEEE 754 binary16 to float, subnormals, infinities and NaN included (also the ONNX reader's). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    if (exp == 0) {
      if (mant == 0) return Float.intBitsToFloat(sign);
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /**
   * Writes float32 tensors (in the given order) with optional string metadata, whole or not at all
   * ({@link FileOutput}: a failure is "cannot write PATH: reason").
   */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    // beside the target, then moved over it: a failure leaves no truncated file and the old one whole
    FileOutput.write(path, out -> write(out, tensors, metadata));
  }

  /** The file {@link #write(Path, Map, Map)} writes, onto {@code out} (left open). */
  public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    StringBuilder h = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      h.append("\"__metadata__\":{");
      int i = 0;
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        h.append(i++ == 0 ? "" : ",").append(quote(m.getKey())).append(':').append(quote(m.getValue()));
      }
      h.append('}');
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
      long bytes = 4L * t.getValue().size();
      h.append(h.length() > 1 ? "," : "").append(quote(t.getKey())).append(":{\"dtype\":\"F32\",\"shape\":[");
      int[] shape = t.getValue().shape();
      for (int i = 0; i < shape.length; i++) h.append(i == 0 ? "" : ",").append(shape[i]);
      h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
    }
    h.append('}');
    byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - header.length % 8) % 8; // keeps the data 8-byte aligned, as the reference writer does
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length + pad);
    out.write(len.array());
    out.write(header);
    for (int i = 0; i < pad; i++) out.write(' ');
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : tensors.values()) {
      for (float v : t.data()) {
        if (!chunk.hasRemaining()) {
          out.write(chunk.array(), 0, chunk.position());
          chunk.clear();
        }
        chunk.putFloat(v);
      }
    }
    out.write(chunk.array(), 0, chunk.position());
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
