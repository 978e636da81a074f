package netc.runtime;

/**
 * A user's file or tensor is unusable: a corrupt weights file, an unreadable image, a tensor of the
 * wrong shape. The message names the file and the problem; callers print it as one line.
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
   * {@code message} with control characters (C0, DEL, C1), line and paragraph separators and format
   * characters (such as bidirectional overrides) escaped as {@code \n}, {@code \xNN} or {@code
   * \\uNNNN}, and cut after {@link #MAX_MESSAGE} characters.
   */
  public static String oneLine(String message) {
    if (message == null) return null;
    StringBuilder b = new StringBuilder(Math.min(message.length(), MAX_MESSAGE) + 16);
    for (int i = 0; i < message.length(); i++) {
      if (b.length() >= MAX_MESSAGE) {
        return b.append("... (").append(message.length() - i).append(" more characters)").toString();
      }
      char c = message.charAt(i);
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
    return b.toString();
  }

  private static boolean unprintable(char c) {
    int type = Character.getType(c);
    return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT;
  }
}
