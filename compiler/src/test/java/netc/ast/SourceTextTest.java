package netc.ast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the front end reads a spec's text: a byte order mark, characters it cannot use, and places on
 * lines with characters outside the Basic Multilingual Plane (an emoji is two chars of a String).
 */
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

  private static final String EMOJI = "\uD83D\uDE00";

  /** The code point of the line shown in an excerpt that the underline starts under, and the underline's length. */
  private static int[] underline(NetcException e) {
    List<String> lines = e.format().lines().toList();
    assertEquals(3, lines.size(), e.format());
    String carets = lines.get(2);
    int at = carets.indexOf('^');
    return new int[] {at, carets.length() - at};
  }

  /**
   * On a long line the excerpt is a window around the place; it was cut with the code point column
   * used as a char index, so the underline stood one character left of the place per emoji before it.
   */
  @Test
  void theUnderlineStandsUnderThePlaceAfterEmojiOnALongLine() {
    String line = "concat \"" + EMOJI.repeat(50) + "\": { relu() } and { " + "relu() ".repeat(10) + "foo() }";
    NetcException e = assertThrows(NetcException.class,
        () -> GraphBuilder.build(SpecLoader.fromText("x.net", "input(3, 8, 8)\n" + line + "\n"), Map.of()));
    assertEquals("unknown layer or block 'foo'", e.getMessage());
    int column = line.codePointCount(0, line.indexOf("foo")) + 1;
    assertEquals("x.net:2:" + column, e.span().location());
    String shown = e.format().lines().toList().get(1);
    int[] u = underline(e);
    assertEquals(shown.codePointCount(0, shown.indexOf("foo()")), u[0], e.format());
    assertEquals(3, u[1], e.format());
  }

  /** A token's underline is as long as the token in characters: it counted an emoji twice. */
  @Test
  void aTokenWithEmojiIsUnderlinedOncePerCharacter() {
    NetcException e = assertThrows(NetcException.class, () -> SpecLoader.fromText("x.net", "import \"" + EMOJI + EMOJI + ".net\"\n"));
    assertEquals("x.net:1:8", e.span().location());
    assertEquals(List.of(9, 8), List.of(underline(e)[0], underline(e)[1]), "under the 8 characters of \"xx.net\":\n" + e.format());

    // after the emoji, a place on a short line: column and underline agree with the line as characters
    NetcException after = assertThrows(NetcException.class, () -> SpecLoader.fromText("x.net", "\"" + EMOJI.repeat(3) + "\": relu() @\n"));
    assertEquals("x.net:1:15", after.span().location());
    assertEquals(List.of(2 + 14, 1), List.of(underline(after)[0], underline(after)[1]), after.format());
  }

  /**
   * A spec or an import this user may not read is "permission denied": it was "cannot read s.net:
   * /abs/s.net", the exception's message being the path alone; one in a folder this user may not
   * search was "no such file". Skipped where permissions do not apply (root).
   */
  @Test
  void unreadableSpecsAndImportsSayWhy(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    Path closed = Files.createDirectories(dir.resolve("closed"));
    Path unreadable = write(dir, "unreadable.net", new byte[0], "input(3, 8, 8)\nrelu()\n");
    Path hidden = write(closed, "hidden.net", new byte[0], "input(3, 8, 8)\nrelu()\n");
    Path lib = write(dir, "lib.net", new byte[0], "block b() { relu() }\n");
    write(closed, "lib2.net", new byte[0], "block c() { relu() }\n");
    Path imports = write(dir, "imports.net", new byte[0], "import \"lib.net\"\ninput(3, 8, 8)\nb()\n");
    Path importsHidden = write(dir, "imports_hidden.net", new byte[0], "import \"closed/lib2.net\"\ninput(3, 8, 8)\nc()\n");
    var none = PosixFilePermissions.fromString("---------");
    for (Path p : List.of(unreadable, lib, closed)) Files.setPosixFilePermissions(p, none);
    try {
      Assumptions.assumeFalse(Files.isReadable(unreadable), "permissions apply to this user (not root)");
      assertEquals("cannot read spec " + unreadable + ": permission denied", assertThrows(NetcException.class, () -> SpecLoader.load(unreadable)).format());
      assertEquals("cannot read spec " + hidden + ": cannot access (permission denied)", assertThrows(NetcException.class, () -> SpecLoader.load(hidden)).format());
      NetcException e = assertThrows(NetcException.class, () -> SpecLoader.load(imports));
      assertEquals(imports + ":1:8: cannot read import " + lib.getFileName() + ": permission denied", e.format().lines().findFirst().orElseThrow());
      e = assertThrows(NetcException.class, () -> SpecLoader.load(importsHidden));
      assertEquals(importsHidden + ":1:8: cannot read import lib2.net: cannot access (permission denied)", e.format().lines().findFirst().orElseThrow());
    } finally {
      for (Path p : List.of(unreadable, lib, closed)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /** A spec or an import behind two links naming each other: the reason, where root (which permissions do not stop) gets it too. */
  @Test
  void aSpecBehindALinkLoopSaysWhy(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("loop-a"), b = dir.resolve("loop-b");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    String msg = assertThrows(NetcException.class, () -> SpecLoader.load(a.resolve("x.net"))).format();
    assertTrue(msg.startsWith("cannot read spec " + a.resolve("x.net") + ": ") && msg.toLowerCase(java.util.Locale.ROOT).contains("symbolic links"), msg);
    Path imports = write(dir, "imports_loop.net", new byte[0], "import \"loop-a/lib.net\"\ninput(3, 8, 8)\nrelu()\n");
    msg = assertThrows(NetcException.class, () -> SpecLoader.load(imports)).format().lines().findFirst().orElseThrow();
    assertTrue(msg.startsWith(imports + ":1:8: cannot read import lib.net: ") && msg.toLowerCase(java.util.Locale.ROOT).contains("symbolic links"), msg);
  }

  /**
   * The same messages for a file that refuses even root: Linux's write-only /proc/sys/vm/drop_caches (procfs
   * checks its sysctl files' owner bits for root too), behind a spec's name. So the refusal is checked where
   * the tests run as root, which bypasses the permissions above.
   */
  @Test
  void aSpecOrImportNotEvenRootMayReadIsPermissionDenied(@TempDir Path dir) throws Exception {
    Path writeOnly = Path.of("/proc/sys/vm/drop_caches");
    Assumptions.assumeTrue(Files.isRegularFile(writeOnly) && !Files.isReadable(writeOnly), "Linux's /proc/sys");
    Path spec = Files.createSymbolicLink(dir.resolve("w.net"), writeOnly);
    assertEquals("cannot read spec " + spec + ": permission denied", assertThrows(NetcException.class, () -> SpecLoader.load(spec)).format());
    // an import cannot be such a link: it would lead out of the allowed folders, and says so
    Files.createSymbolicLink(dir.resolve("wlib.net"), writeOnly);
    Path imports = write(dir, "imports_w.net", new byte[0], "import \"wlib.net\"\ninput(3, 8, 8)\nrelu()\n");
    NetcException e = assertThrows(NetcException.class, () -> SpecLoader.load(imports));
    assertEquals(imports + ":1:8: import \"wlib.net\" leads out of the allowed folders through a link; imports must stay inside the spec's folder"
        + " (or a directory given with --import-path)", e.format().lines().findFirst().orElseThrow());
  }

  /** A spec of text that changes the terminal: an escape sequence that clears it, a bell, a right-to-left override. */
  private static final String HOSTILE = "a\u001b[2J\u0007\u202e";

  /** Nothing a terminal would act on, nor any line break but the excerpt's own two. */
  private static void assertPrintable(String message) {
    assertEquals(2, message.chars().filter(c -> c == '\n').count(), message);
    assertEquals("", message.codePoints().filter(c -> c != '\n' && (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString(), message);
  }

  /**
   * Control and format characters in the line were printed raw in the excerpt: they are shown
   * escaped, as in the message, with the underline still under the place after them.
   */
  @Test
  void controlCharactersInTheLineAreEscapedAndTheUnderlineStaysUnderThePlace() {
    NetcException e = assertThrows(NetcException.class,
        () -> GraphBuilder.build(SpecLoader.fromText("x.net", "input(3, 8, 8)\n\"" + HOSTILE + "\": relu() foo()\n"), Map.of()));
    assertEquals("unknown layer or block 'foo'", e.getMessage());
    assertPrintable(e.format());
    String shown = e.format().lines().toList().get(1);
    assertEquals("  \"a\\x1b[2J\\x07\\u202e\": relu() foo()", shown);
    assertEquals(List.of(shown.indexOf("foo()"), 3), List.of(underline(e)[0], underline(e)[1]), e.format());
  }

  /** A name quoted in the message is escaped there too, and the underline covers its escapes. */
  @Test
  void controlCharactersQuotedInTheMessageAreEscaped() {
    String name = "\"" + HOSTILE + "\": relu()\n";
    NetcException e = assertThrows(NetcException.class,
        () -> GraphBuilder.build(SpecLoader.fromText("x.net", "input(3, 8, 8)\n" + name + name), Map.of()));
    assertEquals("layer name 'a\\x1b[2J\\x07\\u202e' is already used", e.getMessage());
    assertPrintable(e.format());
    assertEquals(List.of(2, "\"a\\x1b[2J\\x07\\u202e\"".length()), List.of(underline(e)[0], underline(e)[1]), e.format());
  }

  /** A name of a million characters made a message of a million: it is cut, as the runtime's messages are. */
  @Test
  void aHugeNameQuotedInTheMessageIsCut() {
    String huge = "x".repeat(1_000_000);
    NetcException e = assertThrows(NetcException.class,
        () -> GraphBuilder.build(SpecLoader.fromText("x.net", "input(3, 8, 8)\nconv(" + huge + ", 1)\n"), Map.of()));
    String message = "unknown name '" + huge + "'";
    // its start, what was left out, and its last 500 characters (where a message says the problem)
    assertEquals(message.substring(0, 1500) + "... (" + (message.length() - 2000) + " characters left out) ..." + message.substring(message.length() - 500),
        e.getMessage());
    List<String> lines = e.format().lines().toList();
    assertEquals("x.net:2:6: " + message.substring(0, 1500 - "x.net:2:6: ".length()), lines.get(0).substring(0, 1500));
    assertEquals(List.of(3, 2 + 5, Span.MAX_UNDERLINE), List.of(lines.size(), underline(e)[0], underline(e)[1]), e.format().substring(2000));
  }
}
