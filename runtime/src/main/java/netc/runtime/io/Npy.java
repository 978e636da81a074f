package netc.runtime.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;

/**
 * NumPy's .npy format for float32 tensors, the interchange format for inputs and outputs. Reads
 * versions 1 to 3 of little-endian float32 C-order arrays. The header's Python dict literal is
 * parsed for real (not searched with patterns, which a key inside a string could fool), its keys
 * must be exactly numpy's three, and the shape must account for every data byte, no more, no less.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /**
   * Longest header we read. A float32 array's header is under 128 bytes, and numpy itself refuses
   * headers over 10,000 bytes by default; the bound stops a hostile length before any allocation.
   */
  static final int MAX_HEADER = 1 << 16;

  /** Bytes read per call when copying the data: large enough to be fast, small enough to be garbage. */
  private static final int CHUNK = 1 << 20;

  private Npy() {}

  /**
   * What a .npy file's header declares, checked against the file: float32 values (the only dtype
   * read) of this shape start at byte {@code dataOffset} and run to the file's end.
   */
  public record Header(int[] shape, long dataOffset) {}

  public static Tensor read(Path path) {
    RegularFile.require(path, "cannot read ");
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      // the file as opened, and as it is once read: one rewritten in place meanwhile (numpy's open_memmap in r+
      // mode, a producer writing the next batch) would give a tensor of old and new values
      FileIdentity before = FileIdentity.of(path, ch.size());
      Tensor t = parse(path, ch, ch.size());
      before.requireUnchanged(path, ch.size());
      return t;
    } catch (IOException e) {
      throw new BadInputException("cannot read " + path + ": " + FileOutput.reason(e), e);
    }
  }

  /**
   * The header alone, checked as {@link #read} checks it (dtype, order, keys, and a shape that accounts
   * for every data byte), without reading the data: a caller refuses a shape it cannot use before
   * anything is allocated for it or gigabytes are read.
   */
  public static Header header(Path path) {
    RegularFile.require(path, "cannot read ");
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return readHeader(path, ch, ch.size());
    } catch (IOException e) {
      throw new BadInputException("cannot read " + path + ": " + FileOutput.reason(e), e);
    }
  }

  /**
   * Reads a batch of inputs, [N, perImage...] with N at least 1, its shape checked from the header before
   * the data is read (a wrong tensor of gigabytes is refused at once, not read or an out-of-memory), and
   * again as read (the file may have changed since). {@code whose} names what expects the shape in the
   * message ("the model", "the network"). A NaN or an infinity among the values is refused, naming the first's
   * place: a network's outputs from it are NaN, written with exit 0 (an array made with np.empty, a failed
   * normalization's 0/0), where an image's NaN logits are refused.
   */
  public static Tensor readBatch(Path path, int[] perImage, String whose) {
    checkBatch(path, header(path).shape(), perImage, whose);
    Tensor x = read(path);
    checkBatch(path, x.shape(), perImage, whose);
    checkFinite(path, x);
    return x;
  }

  private static void checkFinite(Path path, Tensor x) {
    float[] d = x.data();
    int first = -1;
    long count = 0;
    for (int i = 0; i < d.length; i++) {
      if (!Float.isFinite(d[i])) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (first < 0) return;
    int[] shape = x.shape(), at = new int[shape.length];
    for (int k = shape.length - 1, rest = first; k >= 0; k--) {
      at[k] = rest % shape[k];
      rest /= shape[k];
    }
    throw bad(path, "the value at " + Arrays.toString(at) + " is " + d[first] + (count == 1 ? "" : " (" + count + " of its " + d.length
        + " values are not finite numbers)") + ": a network's input must be finite numbers");
  }

  private static void checkBatch(Path path, int[] s, int[] perImage, String whose) {
    boolean ok = s.length == perImage.length + 1 && s[0] >= 1;
    for (int i = 0; ok && i < perImage.length; i++) ok = s[i + 1] == perImage[i];
    if (!ok) {
      StringBuilder want = new StringBuilder("[N");
      for (int d : perImage) want.append(", ").append(d);
      throw new BadInputException(path + ": tensor has shape " + Arrays.toString(s) + ", " + whose + " expects " + want + "]");
    }
  }

  private static Tensor parse(Path path, FileChannel ch, long size) throws IOException {
    Header h = readHeader(path, ch, size);
    int[] shape = h.shape();
    long elements = elements(shape);
    if (elements > Safetensors.MAX_ARRAY) {
      throw bad(path, "shape " + Arrays.toString(shape) + " has " + elements + " values, more than one Java array holds (" + Safetensors.MAX_ARRAY + ")");
    }
    float[] values = new float[(int) elements];
    readFloats(path, ch, h.dataOffset(), values);
    return new Tensor(shape, values);
  }

  private static Header readHeader(Path path, FileChannel ch, long size) throws IOException {
    if (size < 10) throw bad(path, "too short to be a .npy file");
    ByteBuffer prefix = readFully(ch, 0, (int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < MAGIC.length; i++) if (prefix.get(i) != MAGIC[i]) throw bad(path, "not a .npy file (bad magic)");
    int major = prefix.get(6), minor = prefix.get(7);
    if (major < 1 || major > 3 || minor != 0) throw bad(path, "unsupported .npy version " + major + "." + minor + " (netc reads 1.0, 2.0 and 3.0)");
    if (major > 1 && size < 12) throw bad(path, "truncated header");
    long headerLen = major == 1 ? prefix.getShort(8) & 0xffff : prefix.getInt(8) & 0xffffffffL;
    int start = major == 1 ? 10 : 12;
    if (headerLen > MAX_HEADER) throw bad(path, "header length " + headerLen + " is over the " + MAX_HEADER + " bytes netc reads");
    if (start + headerLen > size) throw bad(path, "header length " + headerLen + " runs past the file of " + size + " bytes");
    byte[] hb = new byte[(int) headerLen];
    readFully(ch, start, hb.length).get(hb);
    String text = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int[] shape = header(path, text);
    long elements = elements(shape);
    long dataBytes = size - start - headerLen;
    if (elements < 0 || elements * 4 != dataBytes) {
      throw bad(path, "shape " + Arrays.toString(shape) + " needs " + (elements < 0 ? "more than " + Long.MAX_VALUE : elements * 4)
          + " bytes of data, the file has " + dataBytes);
    }
    return new Header(shape, start + headerLen);
  }

  /** The shape the header declares, after checking its dtype, order and keys. */
  private static int[] header(Path path, String text) {
    Map<String, Object> dict;
    try {
      dict = new PyLiteral(text).dict();
    } catch (PyLiteral.SyntaxError e) {
      throw bad(path, "malformed header (" + e.getMessage() + "): " + excerpt(text));
    }
    for (String key : dict.keySet()) {
      if (!List.of("descr", "fortran_order", "shape").contains(key)) throw bad(path, "header has an unexpected key '" + key + "'");
    }
    for (String key : List.of("descr", "fortran_order", "shape")) {
      if (!dict.containsKey(key)) throw bad(path, "header has no '" + key + "'");
    }
    checkDtype(path, dict.get("descr"));
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw bad(path, "'fortran_order' is not True or False");
    if (fortran) throw bad(path, "Fortran-order arrays are not supported; save with numpy.ascontiguousarray");
    return shape(path, dict.get("shape"));
  }

  private static void checkDtype(Path path, Object descr) {
    if (!(descr instanceof String dtype)) throw bad(path, "dtype is a structured type, expected float32 ('<f4')");
    if (dtype.equals("<f4") || dtype.equals("|f4")) return;
    if (dtype.equals(">f4")) throw bad(path, "dtype is >f4 (big-endian float32), expected little-endian '<f4'; convert with arr.astype('<f4')");
    throw bad(path, "dtype is " + dtype + ", expected float32 ('<f4'); convert with arr.astype(numpy.float32)");
  }

  private static int[] shape(Path path, Object value) {
    if (!(value instanceof PyLiteral.Tuple tuple)) throw bad(path, "'shape' is not a tuple");
    int[] shape = new int[tuple.items().size()];
    for (int i = 0; i < shape.length; i++) {
      Object d = tuple.items().get(i);
      if (!(d instanceof Long dim)) throw bad(path, "'shape' holds " + (d instanceof String str ? "'" + str + "'" : d) + ", not an integer");
      if (dim < 0 || dim > Integer.MAX_VALUE) throw bad(path, "bad dimension " + dim);
      shape[i] = (int) (long) dim;
    }
    return shape;
  }

  /** The product of the dimensions, or -1 when it (or its byte count) overflows a long. */
  private static long elements(int[] shape) {
    try {
      long n = 1;
      for (int d : shape) n = Math.multiplyExact(n, d);
      Math.multiplyExact(n, 4);
      return n;
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long pos, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (ch.read(b, pos + b.position()) < 0) throw new IOException("file shrank while being read");
    }
    return b.flip();
  }

  /** Reads {@code out.length} little-endian floats at {@code pos}, a chunk at a time (no copy of the whole file). */
  private static void readFloats(Path path, FileChannel ch, long pos, float[] out) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, 4L * out.length)).order(ByteOrder.LITTLE_ENDIAN);
    for (int done = 0; done < out.length; ) {
      int n = Math.min(out.length - done, CHUNK / 4);
      chunk.clear().limit(4 * n);
      while (chunk.hasRemaining()) {
        if (ch.read(chunk, pos + chunk.position()) < 0) throw bad(path, "truncated data");
      }
      chunk.flip();
      chunk.asFloatBuffer().get(out, done, n);
      pos += 4L * n;
      done += n;
    }
  }

  /** The header as it can be shown on one line: control characters escaped, at most 200 characters. */
  private static String excerpt(String text) {
    StringBuilder b = new StringBuilder();
    for (char c : text.strip().toCharArray()) {
      if (b.length() >= 200) return b.append("...").toString();
      b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return b.toString();
  }

  private static BadInputException bad(Path path, String problem) {
    return new BadInputException(path + ": " + problem);
  }

  /**
   * A strict parser of the Python literal in a .npy header, as numpy writes it:
   * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. It knows dicts, tuples,
   * lists, quoted strings with escapes, integers (with Python 2's L), True, False and None, which is
   * all {@code ast.literal_eval} gives numpy for its headers; anything else is an error.
   */
  static final class PyLiteral extends TextCursor<PyLiteral.SyntaxError> {
    /** Nesting bound: numpy's headers nest three deep at most (a structured dtype's list of tuples). */
    private static final int MAX_DEPTH = 16;

    /** A Python tuple, kept apart from a list: the shape must be a tuple. */
    record Tuple(List<Object> items) {}

    /** Malformed text; the message gives the offset. */
    static final class SyntaxError extends Exception {
      SyntaxError(String message) {
        super(message);
      }
    }

    private static final Object NONE = new Object() {
      @Override
      public String toString() {
        return "None";
      }
    };

    PyLiteral(String s) {
      super(s);
    }

    @Override
    protected SyntaxError exception(String what, int offset) {
      return new SyntaxError(what + " at offset " + offset); // of the header shown after it
    }

    /** The whole text as one dict with string keys, surrounded by whitespace only. */
    Map<String, Object> dict() throws SyntaxError {
      ws();
      if (pos >= s.length() || s.charAt(pos) != '{') throw error("expected '{'");
      Map<String, Object> out = dictBody(0);
      ws();
      if (pos != s.length()) throw error("unexpected text after the dict");
      return out;
    }

    private Map<String, Object> dictBody(int depth) throws SyntaxError {
      pos++; // '{'
      Map<String, Object> out = new LinkedHashMap<>();
      while (true) {
        ws();
        if (peek() == '}') break;
        if (!(value(depth + 1) instanceof String key)) throw error("dict keys must be strings");
        ws();
        expect(':');
        ws();
        if (out.containsKey(key)) throw error("duplicate key '" + key + "'");
        out.put(key, value(depth + 1));
        ws();
        if (peek() == ',') {
          pos++;
          continue;
        }
        if (peek() != '}') throw error("expected ',' or '}'");
      }
      pos++;
      return out;
    }

    private Object value(int depth) throws SyntaxError {
      if (depth > MAX_DEPTH) throw error("nesting too deep");
      char c = peek();
      if (c == '\'' || c == '"') return string(c);
      if (c == '(') return sequence(')', depth);
      if (c == '[') return sequence(']', depth);
      if (c == '{') return dictBody(depth);
      if (c == '-' || (c >= '0' && c <= '9')) return integer();
      if (s.startsWith("True", pos)) return word("True", Boolean.TRUE);
      if (s.startsWith("False", pos)) return word("False", Boolean.FALSE);
      if (s.startsWith("None", pos)) return word("None", NONE);
      throw error("unexpected character '" + c + "'");
    }

    /** A tuple (or a parenthesized value: Python reads {@code (3)} as 3) or a list. */
    private Object sequence(char close, int depth) throws SyntaxError {
      pos++;
      List<Object> items = new ArrayList<>();
      boolean comma = false;
      while (true) {
        ws();
        if (peek() == close) break;
        items.add(value(depth + 1));
        ws();
        if (peek() == ',') {
          pos++;
          comma = true;
          continue;
        }
        if (peek() != close) throw error("expected ',' or '" + close + "'");
      }
      pos++;
      if (close == ']') return items;
      return items.size() == 1 && !comma ? items.get(0) : new Tuple(items);
    }

    private String string(char quote) throws SyntaxError {
      pos++;
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = peek();
        pos++;
        if (c == quote) return b.toString();
        if (c == '\n') throw error("newline in a string");
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = peek();
        pos++;
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'r' -> b.append('\r');
          case '0' -> b.append('\0');
          case '\\', '\'', '"' -> b.append(e);
          default -> throw error("unsupported escape '\\" + e + "'");
        }
      }
    }

    private Long integer() throws SyntaxError {
      int start = pos;
      if (peek() == '-') pos++;
      int digits = pos;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
      String text = s.substring(start, pos);
      if (pos == digits || (s.charAt(digits) == '0' && pos - digits > 1)) throw error("bad integer '" + text + "'");
      if (pos < s.length() && s.charAt(pos) == 'L') pos++; // Python 2 wrote long dimensions as 3L
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw error("integer " + text + " too large");
      }
    }

    private Object word(String w, Object value) throws SyntaxError {
      pos += w.length();
      if (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) throw error("unexpected name");
      return value;
    }
  }

  /** Writes {@code t} as a float32 .npy file, whole or not at all ({@link FileOutput}: a failure is "cannot write PATH: reason"). */
  public static void write(Path path, Tensor t) throws IOException {
    StringBuilder shape = new StringBuilder();
    for (int d : t.shape()) shape.append(d).append(", ");
    String s = shape.toString();
    if (t.rank() > 1) s = s.substring(0, s.length() - 2);
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + s + "), }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    float[] values = t.data();
    ByteBuffer chunk = ByteBuffer.allocate(4 * Math.min(values.length, 1 << 18)).order(ByteOrder.LITTLE_ENDIAN);
    // beside the target, then moved over it: a failure leaves no truncated file and the old one whole
    FileOutput.write(path, out -> {
      out.write(MAGIC);
      out.write(new byte[] {1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
      out.write(header.getBytes(StandardCharsets.ISO_8859_1));
      // in chunks: a tensor of over 2^29 floats has more bytes than one array holds
      // Safetensors.chunks: i += chunk size passed Integer.MAX_VALUE after the last chunk of a tensor near the array limit
      Safetensors.chunks(values.length, chunk.capacity() / 4, (i, n) -> {
        chunk.clear();
        chunk.asFloatBuffer().put(values, i, n);
        out.write(chunk.array(), 0, 4 * n);
      });
    });
  }
}
