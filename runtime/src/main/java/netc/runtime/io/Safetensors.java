package netc.runtime.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * allocated from a size in the file before it is checked against the file's real size. The data
 * section is mapped rather than copied, in pieces, so files past 2 GiB are read too.
 */
public final class Safetensors implements TensorSource {
  /** Headers are a few hundred bytes per tensor; the reference reader's bound, which stops absurd lengths. */
  static final long MAX_HEADER = 100L << 20;

  /** The longest float[] the JVM allocates: a few words below Integer.MAX_VALUE hold the array header. */
  public static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Bytes per mapped piece of the data section. A mapped buffer is int-indexed (under 2 GiB), so a
   * larger data section is mapped in pieces; 1 GiB keeps a file of any size to a few mappings.
   */
  static final int PIECE = 1 << 30;

  /** Each piece maps this many bytes past its end, so an element starting in a piece lies wholly in it. */
  private static final int OVERLAP = 8;

  /** The highest rank we accept: the networks use at most 4, and the bound keeps messages short. */
  private static final int MAX_RANK = 8;

  /**
   * The element types of the format. F32, F16, BF16 and F64 convert to float32; the others are known
   * (a state_dict holds integer buffers) but never read as weights.
   */
  public enum Dtype {
    F32(4, true), F16(2, true), BF16(2, true), F64(8, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U64(8, false), U32(4, false), U16(2, false), U8(1, false),
    BOOL(1, false), F8_E4M3(1, false), F8_E5M2(1, false);

    final int bytes;
    final boolean floating;

    Dtype(int bytes, boolean floating) {
      this.bytes = bytes;
      this.floating = floating;
    }

    /** Whether netc reads this type as float32 weights. */
    public boolean isFloat() {
      return floating;
    }
  }

  /** One tensor's entry: validated against the file when it was read; offsets relative to the data section. */
  public record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
    public long elements() {
      return Tensor.size(shape);
    }
  }

  /** Where the bytes come from: a file or a buffer in memory. */
  private interface Source {
    long size();

    /** Reads {@code dst.length} bytes at {@code pos}; the caller has checked they exist. */
    void read(long pos, byte[] dst) throws IOException;

    /** {@code length} bytes at {@code pos}, little-endian, without copying. */
    ByteBuffer map(long pos, int length) throws IOException;
  }

  private final Path path;
  private final String name;
  private final Pieces data;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private Safetensors(Path path, String name, Pieces data, Map<String, Entry> entries, Map<String, String> metadata) {
    this.path = path;
    this.name = name;
    this.data = data;
    this.entries = Collections.unmodifiableMap(entries);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  public static Safetensors read(Path path) {
    return read(path, PIECE);
  }

  /** {@link #read(Path)} with a given piece size, so tests can exercise the piece mapping on small files. */
  static Safetensors read(Path path, int pieceBytes) {
    Npy.checkRegularFile(path, "cannot read weights ");
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return parse(path.toString(), path, fileSource(ch), pieceBytes);
    } catch (IOException e) {
      throw new BadInputException("cannot read weights " + path + ": " + e.getMessage(), e);
    }
  }

  /** Parses a whole file held in memory; {@code name} is used in messages. */
  public static Safetensors parse(String name, ByteBuffer file, Path path) {
    try {
      return parse(name, path, memorySource(file), PIECE);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a buffer in memory does no I/O
    }
  }

  private static Safetensors parse(String name, Path path, Source src, int pieceBytes) throws IOException {
    long size = src.size();
    if (size < 8) throw bad(name, "file of " + size + " bytes is too short for a header");
    byte[] lengthBytes = new byte[8];
    src.read(0, lengthBytes);
    long headerLen = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
      throw bad(name, "header length " + headerLen + " does not fit the file of " + size + " bytes");
    }
    byte[] header = new byte[(int) headerLen];
    src.read(8, header);
    long dataSize = size - 8 - headerLen;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : headerObject(name, header).entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        metadata.putAll(metadata(name, e.getValue()));
      } else {
        entries.put(e.getKey(), entry(name, e.getKey(), e.getValue(), dataSize));
      }
    }
    Pieces pieces = Pieces.map(src, 8 + headerLen, dataSize, pieceBytes);
    checkCoverage(name, headerLen, entries.values(), dataSize, pieces);
    return new Safetensors(path, name, pieces, entries, metadata);
  }

  /**
   * The header as a JSON object. The format allows padding with spaces after the object and nothing
   * else, so the object must start at the first byte and end at the last byte that is not a space:
   * a header length that cuts into the object, or that reaches past it into the data, is refused.
   */
  private static Map<String, Object> headerObject(String name, byte[] bytes) {
    String header;
    try {
      header = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw bad(name, "header is not UTF-8");
    }
    int end = header.length();
    while (end > 0 && header.charAt(end - 1) == ' ') end--;
    if (!header.startsWith("{")) throw bad(name, "header is not a JSON object (its first byte is not '{')");
    if (header.charAt(end - 1) != '}') {
      throw bad(name, "header of " + bytes.length + " bytes does not end with '}' followed only by space padding: is the header length right?");
    }
    Object json;
    try {
      json = Json.parse(header.substring(0, end));
    } catch (Json.ParseException e) {
      throw bad(name, "malformed JSON header: " + e.getMessage());
    }
    if (!(json instanceof Map<?, ?> top)) throw bad(name, "header is not a JSON object");
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) top;
    return object;
  }

  private static Map<String, String> metadata(String file, Object value) {
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
    if (bytes != end - begin) {
      throw bad(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " and dtype " + dtype
          + " needs " + (bytes < 0 ? "more than " + Long.MAX_VALUE : bytes) + " bytes, its offsets give " + (end - begin));
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

  /** The bytes a tensor of this shape and dtype takes, or -1 when that overflows a long. */
  static long byteSize(int[] shape, Dtype dtype) {
    try {
      long bytes = dtype.bytes;
      for (int d : shape) bytes = Math.multiplyExact(bytes, d);
      return bytes;
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  /**
   * The tensors, in offset order, must tile the data section: each starts where the one before
   * ended, the first at 0, the last ends at its end. Empty tensors may sit at any boundary.
   */
  private static void checkCoverage(String file, long headerLen, Collection<Entry> entries, long dataSize, Pieces data) {
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
    if (extra < 8 && data.allSpaces(extra)) {
      throw bad(file, "header length " + headerLen + " is " + extra + " byte" + (extra == 1 ? "" : "s")
          + " short of the header's end (its space padding runs into the data section): every tensor would be read shifted");
    }
    throw bad(file, "the tensors end at byte " + covered + " of the data section of " + dataSize + " bytes: "
        + extra + " trailing bytes belong to no tensor");
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

  /** The tensor's values as float32, converting F16, BF16 and F64. */
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
    data.read(e.begin(), e.dtype(), out);
    return out;
  }

  /**
   * The data section as mapped pieces: piece k starts at byte k * size and maps {@link #OVERLAP}
   * bytes more (up to the section's end), so every element that starts in piece k, of at most 8
   * bytes, can be read from piece k alone, whatever the tensor's alignment.
   */
  static final class Pieces {
    private final ByteBuffer[] pieces;
    private final int size;

    private Pieces(ByteBuffer[] pieces, int size) {
      this.pieces = pieces;
      this.size = size;
    }

    static Pieces map(Source src, long at, long length, int pieceBytes) throws IOException {
      if (pieceBytes < OVERLAP || pieceBytes > Integer.MAX_VALUE - OVERLAP) throw new IllegalArgumentException("piece size " + pieceBytes);
      int count = (int) Math.max(1, (length + pieceBytes - 1) / pieceBytes);
      ByteBuffer[] pieces = new ByteBuffer[count];
      for (int k = 0; k < count; k++) {
        long start = (long) k * pieceBytes;
        int len = (int) Math.min((long) pieceBytes + OVERLAP, length - start);
        pieces[k] = src.map(at + start, len).order(ByteOrder.LITTLE_ENDIAN);
      }
      return new Pieces(pieces, pieceBytes);
    }

    /** Whether the first {@code n} bytes are all spaces (header padding that leaked into the data). */
    boolean allSpaces(long n) {
      for (int i = 0; i < n; i++) if (pieces[0].get(i) != ' ') return false;
      return true;
    }

    /** Converts {@code out.length} elements of {@code dtype} starting at byte {@code begin}. */
    void read(long begin, Dtype dtype, float[] out) {
      int done = 0;
      while (done < out.length) {
        long pos = begin + (long) done * dtype.bytes;
        int k = (int) (pos / size);
        int within = (int) (pos - (long) k * size);
        // the elements that start in this piece: all of them end inside it, thanks to the overlap
        int count = (int) Math.min(out.length - done, ((long) size - within + dtype.bytes - 1) / dtype.bytes);
        convert(pieces[k], within, dtype, out, done, count);
        done += count;
      }
    }

    private static void convert(ByteBuffer b, int at, Dtype dtype, float[] out, int from, int count) {
      switch (dtype) {
        case F32 -> b.slice(at, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, from, count);
        case F64 -> {
          for (int i = 0; i < count; i++) out[from + i] = (float) b.getDouble(at + 8 * i);
        }
        case F16 -> {
          for (int i = 0; i < count; i++) out[from + i] = halfToFloat(b.getShort(at + 2 * i));
        }
        case BF16 -> {
          for (int i = 0; i < count; i++) out[from + i] = Float.intBitsToFloat((b.getShort(at + 2 * i) & 0xffff) << 16);
        }
        default -> throw new IllegalStateException("not a float dtype: " + dtype);
      }
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
      public void read(long pos, byte[] dst) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dst);
        while (b.hasRemaining()) {
          if (ch.read(b, pos + b.position()) < 0) throw new IOException("file shrank while being read");
        }
      }

      @Override
      public ByteBuffer map(long pos, int length) throws IOException {
        return ch.map(FileChannel.MapMode.READ_ONLY, pos, length);
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
      public void read(long pos, byte[] dst) {
        buf.get((int) pos, dst);
      }

      @Override
      public ByteBuffer map(long pos, int length) {
        return buf.slice((int) pos, length);
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
