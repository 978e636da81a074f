package netc.runtime.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
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
 * <p>The reader maps the file rather than copying it, and trusts no number in it: the header length,
 * every shape and every offset is checked against the file's real size (and overlaps are refused)
 * before anything is allocated, so a corrupt or hostile file gives a {@link BadInputException}, never
 * an out-of-memory or an unchecked exception.
 */
public final class Safetensors {
  /** Headers are a few hundred bytes per tensor; this bound is generous and stops absurd lengths. */
  static final long MAX_HEADER = 100L << 20;

  /** The element types we know; float types convert to float32, integer types are skipped. */
  public enum Dtype {
    F32(4, true), F16(2, true), BF16(2, true), F64(8, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

    final int bytes;
    final boolean floating;

    Dtype(int bytes, boolean floating) {
      this.bytes = bytes;
      this.floating = floating;
    }

    public boolean isFloat() {
      return floating;
    }
  }

  /** One tensor's entry: validated against the file when it was read. */
  public record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
    public long elements() {
      return Tensor.size(shape);
    }
  }

  private final Path path;
  private final ByteBuffer data;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private Safetensors(Path path, ByteBuffer data, Map<String, Entry> entries, Map<String, String> metadata) {
    this.path = path;
    this.data = data;
    this.entries = Collections.unmodifiableMap(entries);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  public static Safetensors read(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      return parse(path.toString(), map, path);
    } catch (IOException e) {
      throw new BadInputException("cannot read weights " + path + ": " + e.getMessage(), e);
    }
  }

  /** Parses a whole file held in memory; {@code name} is used in messages. */
  public static Safetensors parse(String name, ByteBuffer file, Path path) {
    ByteBuffer buf = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long size = buf.remaining();
    if (size < 8) throw bad(name, "file of " + size + " bytes is too short for a header");
    long headerLen = buf.getLong(0);
    if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
      throw bad(name, "header length " + headerLen + " does not fit the file of " + size + " bytes");
    }
    byte[] headerBytes = new byte[(int) headerLen];
    buf.position(8);
    buf.get(headerBytes);
    String header;
    try {
      header = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(headerBytes)).toString();
    } catch (CharacterCodingException e) {
      throw bad(name, "header is not UTF-8");
    }
    Object json;
    try {
      json = Json.parse(header.strip());
    } catch (Json.ParseException e) {
      throw bad(name, "malformed JSON header: " + e.getMessage());
    }
    if (!(json instanceof Map<?, ?> top)) throw bad(name, "header is not a JSON object");
    long dataSize = size - 8 - headerLen;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : top.entrySet()) {
      String key = (String) e.getKey();
      if (key.equals("__metadata__")) {
        if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(name, "__metadata__ is not an object");
        for (Map.Entry<?, ?> me : m.entrySet()) {
          if (!(me.getValue() instanceof String v)) throw bad(name, "__metadata__ values must be strings");
          metadata.put((String) me.getKey(), v);
        }
        continue;
      }
      entries.put(key, entry(name, key, e.getValue(), dataSize));
    }
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    for (int i = 1; i < sorted.size(); i++) {
      Entry prev = sorted.get(i - 1), cur = sorted.get(i);
      if (cur.begin() < prev.end()) {
        throw bad(name, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
      }
    }
    if (dataSize > Integer.MAX_VALUE) {
      throw bad(name, "data section of " + dataSize + " bytes is larger than netc reads (2 GiB)");
    }
    buf.position(0);
    ByteBuffer payload = buf.slice(8 + (int) headerLen, (int) dataSize).order(ByteOrder.LITTLE_ENDIAN);
    return new Safetensors(path, payload, entries, metadata);
  }

  private static Entry entry(String file, String name, Object value, long dataSize) {
    if (!(value instanceof Map<?, ?> m)) throw bad(file, "entry '" + name + "' is not an object");
    Dtype dtype;
    try {
      dtype = Dtype.valueOf(String.valueOf(m.get("dtype")));
    } catch (IllegalArgumentException e) {
      throw bad(file, "tensor '" + name + "' has unknown dtype " + m.get("dtype"));
    }
    if (!(m.get("shape") instanceof List<?> shapeList) || shapeList.size() > 8) {
      throw bad(file, "tensor '" + name + "' has no valid shape");
    }
    int[] shape = new int[shapeList.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
        throw bad(file, "tensor '" + name + "' has an invalid dimension " + shapeList.get(i));
      }
      shape[i] = (int) (long) d;
      elements = d == 0 ? 0 : (elements > dataSize ? elements : elements * d);
    }
    if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
        || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end)) {
      throw bad(file, "tensor '" + name + "' has no valid data_offsets");
    }
    if (begin < 0 || end < begin || end > dataSize) {
      throw bad(file, "tensor '" + name + "' offsets [" + begin + ", " + end + "] lie outside the data section of " + dataSize + " bytes");
    }
    if (elements > dataSize || elements * dtype.bytes != end - begin) {
      throw bad(file, "tensor '" + name + "' of shape " + java.util.Arrays.toString(shape) + " and dtype " + dtype
          + " needs " + (elements > dataSize ? "more than " + dataSize : elements * dtype.bytes) + " bytes, its offsets give " + (end - begin));
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static BadInputException bad(String file, String problem) {
    return new BadInputException(file + ": " + problem);
  }

  public Path path() {
    return path;
  }

  public Map<String, Entry> entries() {
    return entries;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor's values as float32, converting F16, BF16 and F64. */
  public float[] floats(String name) {
    Entry e = entries.get(name);
    if (e == null) throw new BadInputException(path + ": no tensor '" + name + "'");
    if (!e.dtype().isFloat()) throw new BadInputException(path + ": tensor '" + name + "' has dtype " + e.dtype() + ", expected a float type");
    int n = (int) e.elements();
    float[] out = new float[n];
    ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = (int) e.begin();
    switch (e.dtype()) {
      case F32 -> b.position(at).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, 0, n);
      case F64 -> {
        for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(at + 8 * i);
      }
      case F16 -> {
        for (int i = 0; i < n; i++) out[i] = halfToFloat(b.getShort(at + 2 * i));
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort(at + 2 * i) & 0xffff) << 16);
      }
      default -> throw new IllegalStateException();
    }
    return out;
  }

  /** IEEE 754 binary16 to float, subnormals, infinities and NaN included. */
  static float halfToFloat(short h) {
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

  /** Writes float32 tensors (in the given order) with optional string metadata. */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
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
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
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
