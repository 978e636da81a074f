package netc.runtime;

/**
 * A user's file or tensor is unusable: a corrupt weights file, an unreadable image, a tensor file of the
 * wrong shape, a damaged model jar. The message names the file and the problem; callers print it as one
 * line. An argument a model's {@code predict} cannot take (an array or tensor of the wrong size, NaN
 * inputs, outputs the network overflowed) is an {@link IllegalArgumentException}, as for any Java method.
 *
 * <p>Messages quote names and text taken from the file (tensor names, header keys, excerpts), which
 * may hold line breaks or terminal control characters: the message is made one line here, for every
 * thrower, by escaping them, and a name megabytes long is cut.
 */
public class BadInputException extends RuntimeException {
  /**
   * The longest message kept, in characters after escaping: about 25 terminal lines, enough for a
   * path, a quoted name and the problem; a safetensors header may hold a 100 MiB tensor name.
   */
  static final int MAX_MESSAGE = 2000;

  public BadInputException(String message) {
    super(oneLine(message));
  }

  public BadInputException(String message, Throwable cause) {
    super(oneLine(message), cause);
  }

  /**
   * {@code e}, its message starting with {@code file} where it does not name that file already: as given ("x.jar: ..."), as
   * its absolute path ("/abs/x.jar: damaged jar ...", for ./x.jar), or as the URL of one of its entries
   * ("jar:file:/abs/x.jar!/netc/models/..."). Not a name's mere mention: "the compiled model r50 is damaged" holds a jar
   * named r50, and "x.jar: x.jar: ..." was said where a mention counted.
   */
  public static BadInputException naming(java.nio.file.Path file, BadInputException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith(file + ":") || m.startsWith(file + " ")) return e;
    java.nio.file.Path abs = file.toAbsolutePath().normalize();
    if (m.contains(abs + ":") || m.contains(abs + " ")) return e;
    try {
      if (m.contains(abs.toUri().toURL() + "!/")) return e; // as a class loader names a jar's entries: file:/abs/x.jar, escaped
    } catch (java.net.MalformedURLException ignored) {
      // no URL form: named by none
    }
    return new BadInputException(file + ": " + m, e);
  }

  /** The characters kept from the end of a message cut short: the problem is said there, after the names. */
  static final int TAIL = 500;

  /** The mark {@link #oneLine} leaves where it cut. */
  private static final java.util.regex.Pattern CUT = java.util.regex.Pattern.compile("\\.\\.\\. \\(\\d+ characters left out\\) \\.\\.\\.");

  /**
   * {@code message} with control characters (C0, DEL, C1), line and paragraph separators and format
   * characters (such as bidirectional overrides) escaped as {@code \n}, {@code \xNN} or {@code
   * \\uNNNN}; past {@link #MAX_MESSAGE} characters, its start and its last {@link #TAIL} characters
   * with what was left out between them. (Cut after its start alone, a tensor name of thousands of
   * characters left out the problem that followed it: "unknown dtype", "overlap".)
   */
  public static String oneLine(String message) {
    if (message == null) return null;
    StringBuilder b = new StringBuilder(Math.min(message.length(), MAX_MESSAGE) + 16);
    int n = message.length(), i = 0;
    for (; i < n && b.length() < MAX_MESSAGE; i++) escape(message.charAt(i), b);
    if (i == n) return b.toString();
    // a message cut already (quoted into another, or made one line twice) is left as it is: cut again, its
    // marker would go and the count would be of the marker's neighbours
    if (CUT.matcher(message).find() && message.length() <= MAX_MESSAGE + 64 + 6 * TAIL) {
      for (; i < n; i++) escape(message.charAt(i), b);
      return b.toString();
    }
    StringBuilder head = new StringBuilder(MAX_MESSAGE);
    int k = 0;
    for (; head.length() < MAX_MESSAGE - TAIL; k++) escape(message.charAt(k), head);
    int tailFrom = Math.max(k, n - TAIL);
    StringBuilder tail = new StringBuilder();
    for (int m = tailFrom; m < n; m++) escape(message.charAt(m), tail);
    if (tailFrom == k) return head.append(tail).toString(); // long only once escaped: all of it, a little past the bound
    return head.append("... (").append(tailFrom - k).append(" characters left out) ...").append(tail).toString();
  }

  private static void escape(char c, StringBuilder b) {
    switch (c) {
      case '\n' -> b.append("\\n");
      case '\r' -> b.append("\\r");
      case '\t' -> b.append("\\t");
      default -> {
        if (!unprintable(c)) b.append(c);
        else if (c < 0x100) b.append(String.format("\\x%02x", (int) c));
        else b.append(String.format("\\u%04x", (int) c));
      }
    }
  }

  private static boolean unprintable(char c) {
    int type = Character.getType(c);
    return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT;
  }
}
