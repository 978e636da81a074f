package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BadInputExceptionTest {
  @Test
  void controlCharactersFromAFileAreEscapedSoTheMessageIsOneLine() {
    String m = new BadInputException("w.safetensors: tensor 'b\n.running_var\r\t\u0000\u001b[2J\u0085\u2028\u202e' has no dtype").getMessage();
    assertEquals("w.safetensors: tensor 'b\\n.running_var\\r\\t\\x00\\x1b[2J\\x85\\u2028\\u202e' has no dtype", m);
  }

  @Test
  void printableTextIsKeptAsItIs() {
    String m = "x.npy: header has an unexpected key 'dëscr ✓ \\x00'";
    assertEquals(m, new BadInputException(m, new RuntimeException()).getMessage());
  }

  @Test
  void aHugeNameIsCut() {
    String m = new BadInputException("w.safetensors: tensor '" + "a".repeat(100_000) + "' has no dtype").getMessage();
    assertTrue(m.startsWith("w.safetensors: tensor 'aaa"), m.substring(0, 40));
    assertTrue(m.endsWith("... (" + (100_000 + 37 - BadInputException.MAX_MESSAGE) + " more characters)"), m.substring(m.length() - 40));
    assertEquals(BadInputException.MAX_MESSAGE + " more characters)".length() + 5 + 5, m.length());
  }
}
