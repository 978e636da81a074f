package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The value budget of {@link Json}: every value (object, array, string, number, literal) and every key
 * counts, and the first one past the budget is refused at its offset, before it is built, so a header
 * of millions of empty objects cannot take gigabytes of heap.
 */
class JsonTest {
  @Test
  void valuesAndKeysCountAgainstTheBudget() throws Json.ParseException {
    // the array, three objects; then an object, two keys, a string, a list and two numbers
    assertEquals(List.of(Map.of(), Map.of(), Map.of()), Json.parse("[{},{},{}]", 4));
    assertEquals(Map.of("dtype", "F32", "shape", List.of(2L, 3L)), Json.parse("{\"dtype\":\"F32\",\"shape\":[2,3]}", 7));
    Json.TooManyValuesException e = assertThrows(Json.TooManyValuesException.class, () -> Json.parse("[{},{},{}]", 3));
    assertEquals("more than 3 values at offset 7", e.getMessage());
    e = assertThrows(Json.TooManyValuesException.class, () -> Json.parse("{\"dtype\":\"F32\",\"shape\":[2,3]}", 6));
    assertEquals("more than 6 values at offset 26", e.getMessage(), "the last number");
    e = assertThrows(Json.TooManyValuesException.class, () -> Json.parse("{\"dtype\":\"F32\",\"shape\":[2,3]}", 3));
    assertEquals("more than 3 values at offset 15", e.getMessage(), "the second key");
    e = assertThrows(Json.TooManyValuesException.class, () -> Json.parse("[true,null,false]", 3));
    assertEquals("more than 3 values at offset 11", e.getMessage(), "literals count");
  }

  /**
   * A string up to its first escape is taken as one piece of the text, the rest character by character:
   * both give the characters, and a string cut short or holding a control character fails at its offset either way.
   */
  @Test
  void stringsWithAndWithoutEscapes() throws Json.ParseException {
    assertEquals(List.of("", "plain text", "ab\ncd", "\"q\" \u00e9\u20ac/", "x\ty"),
        Json.parse("[\"\", \"plain text\", \"ab\\ncd\", \"\\\"q\\\" \u00e9\\u20ac\\/\", \"x\\ty\"]"));
    assertEquals("unexpected end at offset 4", assertThrows(Json.ParseException.class, () -> Json.parse("\"abc")).getMessage());
    assertEquals("unexpected end at offset 6", assertThrows(Json.ParseException.class, () -> Json.parse("\"a\\nbc")).getMessage());
    assertEquals("control character in string at offset 4", assertThrows(Json.ParseException.class, () -> Json.parse("\"ab\u0001\"")).getMessage());
    assertEquals("control character in string at offset 6",
        assertThrows(Json.ParseException.class, () -> Json.parse("\"a\\nb\u0001\"")).getMessage());
  }

  /**
   * A surrogate escape is taken only as a pair, high then low, as serde_json (the safetensors reference) takes it:
   * a lone one is no character, and two tensor names differing only in one printed alike in a message.
   */
  @Test
  void surrogateEscapesComeInPairs() throws Json.ParseException {
    assertEquals("w\uD83D\uDE00.weight", Json.parse("\"w\\ud83d\\ude00.weight\""));
    assertEquals("lone surrogate \\ud800 (not followed by a low surrogate's escape) at offset 7",
        assertThrows(Json.ParseException.class, () -> Json.parse("\"\\ud800x\"")).getMessage());
    assertEquals("lone surrogate \\ud800 (followed by \\u0041) at offset 7",
        assertThrows(Json.ParseException.class, () -> Json.parse("\"\\ud800\\u0041\"")).getMessage());
    assertEquals("lone surrogate \\udfff (not after a high surrogate's escape) at offset 2",
        assertThrows(Json.ParseException.class, () -> Json.parse("\"w\\udfff\"")).getMessage());
  }

  /** The parser without a budget still parses what it did (the ONNX Runtime profile reader's files). */
  @Test
  void theUnboundedParseIsUnchanged() throws Json.ParseException {
    assertEquals(List.of(Map.of(), Map.of(), Map.of()), Json.parse("[{},{},{}]"));
    assertEquals("unexpected end at offset 3", assertThrows(Json.ParseException.class, () -> Json.parse("[{}")).getMessage());
  }

  /**
   * Numbers: -0 is no integer (serde_json, the reference reader, takes it as the float -0.0, which a shape or an
   * offset refuses), and a run of digits longer than any number is refused by its length, its text cut, rather
   * than copied whole into the message (100 MiB of digits took some 400 MB).
   */
  @Test
  void minusZeroIsNoIntegerAndAHugeNumberIsRefusedByItsLength() throws Json.ParseException {
    assertEquals(List.of(0L, -0.0, 10L), Json.parse("[0,-0,10]"));
    Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("[" + "1".repeat(1_000_000) + "]"));
    assertEquals("bad number '" + "1".repeat(32) + "...' (1000000 characters) at offset 1", e.getMessage());
  }
}
