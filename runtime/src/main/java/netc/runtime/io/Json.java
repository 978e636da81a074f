package netc.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, small JSON parser for file headers (safetensors): objects become LinkedHashMap, arrays
 * List, numbers Long or Double, plus String, Boolean and null. Nesting is bounded so a hostile
 * header cannot exhaust the stack, and, given a budget, so are the values it builds, so it cannot
 * exhaust the heap; errors carry the character offset.
 */
public final class Json extends TextCursor<Json.ParseException> {
  private static final int MAX_DEPTH = 64;

  /** The most values (objects, arrays, keys, strings, numbers, literals) to build. */
  private final long maxValues;

  /** The values built so far. */
  private long values;

  private Json(String s, long maxValues) {
    super(s);
    this.maxValues = maxValues;
  }

  @Override
  protected ParseException exception(String what, int offset) {
    return new ParseException(what, offset);
  }

  /** Thrown for malformed JSON; the message gives the character offset, {@link #what} and {@link #offset} the parts. */
  public static class ParseException extends Exception {
    private final String what;
    private final int offset;

    ParseException(String what, int offset) {
      super(what + " at offset " + offset);
      this.what = what;
      this.offset = offset;
    }

    /** What is wrong, without where. */
    public String what() {
      return what;
    }

    /** The character of the text where it is. */
    public int offset() {
      return offset;
    }
  }

  /** Thrown for JSON of more values than the budget {@link #parse(String, long)} was given; the message gives the offset. */
  public static final class TooManyValuesException extends ParseException {
    private final long max;

    TooManyValuesException(long max, int offset) {
      super("more than " + max + " values", offset);
      this.max = max;
    }

    /** The budget. */
    public long max() {
      return max;
    }
  }

  public static Object parse(String text) throws ParseException {
    return parse(text, Long.MAX_VALUE);
  }

  /**
   * {@link #parse(String)} building at most {@code maxValues} values, each object, array, key, string,
   * number and literal one: the first past them is refused at its offset before it is built. Text of a
   * few bytes a value builds tens of bytes of heap a value ({@code {}} an empty LinkedHashMap), so the
   * length of a text, however bounded, does not bound what parsing it takes; this does.
   */
  public static Object parse(String text, long maxValues) throws ParseException {
    Json p = new Json(text, maxValues);
    p.ws();
    Object v = p.value(0);
    p.ws();
    if (p.pos != text.length()) throw p.error("trailing characters");
    return v;
  }

  private Object value(int depth) throws ParseException {
    if (depth > MAX_DEPTH) throw error("nesting too deep");
    count();
    char c = peek();
    switch (c) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true", Boolean.TRUE);
      case 'f': return literal("false", Boolean.FALSE);
      case 'n': return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw error("unexpected character '" + c + "'");
    }
  }

  /** Counts a value (or key) about to be built against the budget. */
  private void count() throws TooManyValuesException {
    if (++values > maxValues) throw new TooManyValuesException(maxValues, pos);
  }

  private Object literal(String word, Object value) throws ParseException {
    if (!s.startsWith(word, pos)) throw error("unexpected token");
    pos += word.length();
    return value;
  }

  private Map<String, Object> object(int depth) throws ParseException {
    expect('{');
    Map<String, Object> out = new LinkedHashMap<>();
    ws();
    if (peek() == '}') {
      pos++;
      return out;
    }
    while (true) {
      ws();
      if (peek() != '"') throw error("expected a key");
      count();
      String key = string();
      ws();
      expect(':');
      ws();
      if (out.containsKey(key)) throw error("duplicate key \"" + key + "\"");
      out.put(key, value(depth + 1));
      ws();
      if (peek() == ',') {
        pos++;
        continue;
      }
      expect('}');
      return out;
    }
  }

  private List<Object> array(int depth) throws ParseException {
    expect('[');
    List<Object> out = new ArrayList<>();
    ws();
    if (peek() == ']') {
      pos++;
      return out;
    }
    while (true) {
      ws();
      out.add(value(depth + 1));
      ws();
      if (peek() == ',') {
        pos++;
        continue;
      }
      expect(']');
      return out;
    }
  }

  private String string() throws ParseException {
    expect('"');
    // up to the first escape, the string is the text's characters: one substring of its size (a builder
    // growing by doubling held twice a long string's size, then copied it)
    int start = pos;
    while (pos < s.length() && s.charAt(pos) != '"' && s.charAt(pos) != '\\' && s.charAt(pos) >= 0x20) pos++;
    if (pos < s.length() && s.charAt(pos) == '"') return s.substring(start, pos++);
    StringBuilder b = new StringBuilder().append(s, start, pos);
    while (true) {
      char c = peek();
      pos++;
      if (c == '"') return b.toString();
      if (c < 0x20) throw error("control character in string");
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = peek();
      pos++;
      switch (e) {
        case '"': case '\\': case '/': b.append(e); break;
        case 'b': b.append('\b'); break;
        case 'f': b.append('\f'); break;
        case 'n': b.append('\n'); break;
        case 'r': b.append('\r'); break;
        case 't': b.append('\t'); break;
        case 'u': {
          // a surrogate escape comes in pairs, high then low (as serde_json, the safetensors reference, requires): a
          // lone one is no character, and two names differing only in one would print alike in a message
          int escape = pos - 2; // where a message about it points
          char u = unicodeEscape();
          if (Character.isHighSurrogate(u)) {
            if (!s.startsWith("\\u", pos)) throw error("lone surrogate " + escape(u) + " (not followed by a low surrogate's escape)");
            int next = pos;
            pos += 2;
            char low = unicodeEscape();
            if (!Character.isLowSurrogate(low)) {
              pos = next;
              throw error("lone surrogate " + escape(u) + " (followed by " + escape(low) + ")");
            }
            b.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            pos = escape;
            throw error("lone surrogate " + escape(u) + " (not after a high surrogate's escape)");
          } else {
            b.append(u);
          }
          break;
        }
        default: throw error("bad escape");
      }
    }
  }

  /** A character as JSON's escape of it, four hex digits: {@code \\u0041}. */
  private static String escape(char c) {
    return String.format(java.util.Locale.ROOT, "\\u%04x", (int) c);
  }

  /** The four hex digits of a unicode escape: exactly hex digits (Integer.parseInt would also take a sign). */
  private char unicodeEscape() throws ParseException {
    if (pos + 4 > s.length()) throw error("bad \\u escape");
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(s.charAt(pos + i), 16);
      if (d < 0 || s.charAt(pos + i) > 'f') throw error("bad \\u escape");
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private Object number() throws ParseException {
    int start = pos;
    if (peek() == '-') pos++;
    while (pos < s.length() && "0123456789+-.eE".indexOf(s.charAt(pos)) >= 0) pos++;
    // a number is at most a few dozen characters: a 100 MiB run of digits is refused by its length, not copied
    // into a substring, a NumberFormatException's message and the error's (some 400 MB at once)
    if (pos - start > 64) {
      int end = pos;
      pos = start;
      throw error("bad number '" + s.substring(start, start + 32) + "...' (" + (end - start) + " characters)");
    }
    String text = s.substring(start, pos);
    try {
      // -0 is an integer nowhere a safetensors header has one (serde_json reads it as the float -0.0): refused
      if (text.matches("0|-?[1-9][0-9]*")) return Long.parseLong(text);
      if (text.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      // falls through: an integer too large for a long
    }
    pos = start;
    throw error("bad number '" + text + "'");
  }
}
