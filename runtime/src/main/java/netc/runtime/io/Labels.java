package netc.runtime.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A model's class names: UTF-8 text, one label a line, one line per output value. The same rules hold
 * where labels are given to the compiler ({@code netc compile --labels FILE}) and where a compiled jar's
 * labels are loaded, so a jar never carries labels its runtime would refuse.
 */
public final class Labels {
  private Labels() {}

  /** What a label may take, its line end included (ImageNet's longest takes about 100 bytes). */
  public static final int MAX_LABEL_BYTES = 4096;

  /** What the labels may take in all, whatever the classes: their bytes and their text are on the heap at once. */
  public static final int MAX_LABELS_BYTES = 16 << 20;

  /** The most bytes read of the labels of a model of {@code classes} classes. */
  public static int maxBytes(int classes) {
    return (int) Math.min((long) MAX_LABEL_BYTES * classes, MAX_LABELS_BYTES);
  }

  /** Labels that break the rules: the message says how, without naming where they came from (the caller does). */
  public static final class Problem extends Exception {
    Problem(String message) {
      super(message);
    }
  }

  /**
   * The labels of {@code classes} classes read from {@code in}: at most {@link #maxBytes} are read, counted as
   * they are read (a jar entry's recorded size may lie: 3 GB of newlines deflate to a few MB). Refused: more
   * bytes, text that is not UTF-8, an empty label, or not one line per class (names off by some, or none). A
   * leading byte order mark is dropped.
   */
  public static List<String> read(InputStream in, int classes) throws IOException, Problem {
    int max = maxBytes(classes);
    byte[] bytes = in.readNBytes(max + 1); // grows with what is read, not allocated at max
    if (bytes.length > max) {
      throw new Problem("more than " + max + " bytes of labels for " + classes + " classes (at most " + MAX_LABEL_BYTES + " bytes a label"
          + (max < MAX_LABEL_BYTES * (long) classes ? ", " + MAX_LABELS_BYTES + " in all" : "") + ")");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) { // a Latin-1 file: its names would show as replacement characters
      throw new Problem("not UTF-8 text");
    }
    if (text.startsWith("\uFEFF")) text = text.substring(1); // a byte order mark (Windows' editors write one): not part of the first label
    long lines = text.lines().count(); // counted before a list is made: a file of newlines would be a list of millions
    if (lines != classes) throw new Problem(lines + " labels (lines) for " + classes + " classes");
    List<String> labels = text.lines().toList();
    for (int i = 0; i < labels.size(); i++) {
      if (labels.get(i).isBlank()) throw new Problem("label " + (i + 1) + " (line " + (i + 1) + ") is empty"); // a class no answer could name
    }
    return labels;
  }
}
