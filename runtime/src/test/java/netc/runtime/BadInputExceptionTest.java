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
    // the problem after the name is kept: the message's start, what was left out, and its end
    assertTrue(m.endsWith("aaa' has no dtype"), m.substring(m.length() - 40));
    int kept = BadInputException.MAX_MESSAGE - BadInputException.TAIL, left = 100_000 + 37 - kept - BadInputException.TAIL;
    assertTrue(m.contains("a... (" + left + " characters left out) ...aaa"), m.substring(kept - 10, kept + 40));
    assertEquals(BadInputException.MAX_MESSAGE + (" characters left out) ...".length() + 5 + Integer.toString(left).length()), m.length());
    // cut once only: quoted into another message, or made one line again, its mark and count stay
    assertEquals(m, BadInputException.oneLine(m));
    String quoted = new BadInputException("m.onnx: " + m).getMessage();
    assertEquals("m.onnx: " + m, quoted);
  }
}
