package netc.ast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the front end reads a spec's text: a byte order mark and characters it cannot use. */
class SourceTextTest {
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private static Path write(Path dir, String name, byte[] prefix, String text) throws Exception {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, all, 0, prefix.length);
    System.arraycopy(body, 0, all, prefix.length, body.length);
    return Files.write(dir.resolve(name), all);
  }

  /** Windows editors may write a byte order mark first: it was "x.net:1:1: unexpected character ''". */
  @Test
  void aByteOrderMarkIsNotPartOfTheSpec(@TempDir Path dir) throws Exception {
    write(dir, "lib.net", BOM, "param width = 5\n");
    Graph g = GraphBuilder.build(SpecLoader.load(write(dir, "main.net", BOM, "import \"lib.net\"\ninput(3, 8, 8)\nconv(width, 1)\n")), Map.of());
    assertEquals(5, g.output().shape().dim(0));

    // columns on the first line count from after the mark
    NetcException e = assertThrows(NetcException.class, () -> SpecLoader.load(write(dir, "bad.net", BOM, "input(3, 8, 8) @\n")));
    assertEquals("bad.net:1:16", e.span().location().substring(e.span().location().lastIndexOf('/') + 1));
    assertEquals("unexpected character '@'", e.getMessage());
  }

  /** A mark anywhere else, or any character but printable ASCII, is named by its code point. */
  @Test
  void anUnexpectedCharacterOtherThanPrintableAsciiIsNamedByItsCodePoint() {
    for (String[] c : new String[][] {
        {"\uFEFF", "U+FEFF ZERO WIDTH NO-BREAK SPACE"},
        {"\u0000", "U+0000 NULL"},
        {"\u2212", "U+2212 MINUS SIGN"},
        {"\uD83D\uDE00", "U+1F600 GRINNING FACE"},
        {"$", "'$'"},
    }) {
      NetcException e = assertThrows(NetcException.class, () -> SpecLoader.fromText("x.net", "input(3, 8, 8)\nrelu() " + c[0] + "\n"));
      assertEquals("unexpected character " + c[1], e.getMessage());
      assertEquals("x.net:2:8", e.span().location());
    }
  }
}
