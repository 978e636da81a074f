package netc.runtime.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** How a file given as a model jar that the JDK cannot open as a zip is named: damaged, or no zip at all. */
public final class Zips {
  private Zips() {}

  /**
   * "x.jar: not a jar (...)" for a file that does not begin as a zip does (a spec or an ONNX model given where the jar
   * goes), else "x.jar: damaged jar (the zip reader's words)".
   */
  public static String notOpened(Path jar, java.util.zip.ZipException e) {
    return jar + (beginsAsZip(jar, true) ? ": damaged jar (" + e.getMessage() + ")"
        : ": not a jar (it does not begin as a zip file does): give a model jar that netc compile wrote");
  }

  /**
   * Whether the file starts with a zip's local header or end record signature ("PK\3\4", "PK\5\6"), as every jar does
   * (netc compile -o writes any name). Only a regular file is looked into: a pipe or a device would block the read; one
   * that cannot be read is not taken for a zip (reading it as what it is named says why).
   */
  public static boolean beginsAsZip(Path file) {
    return beginsAsZip(file, false);
  }

  /** Whether {@code b} begins with a zip's local header or end record signature ("PK\3\4", "PK\5\6"). */
  public static boolean isZipSignature(byte[] b) {
    return b.length >= 4 && b[0] == 'P' && b[1] == 'K' && ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
  }

  /** {@link #beginsAsZip(Path)}, {@code unreadable} the answer for a file that cannot be read now. */
  private static boolean beginsAsZip(Path file, boolean unreadable) {
    if (!Files.isRegularFile(file)) return false;
    try (InputStream in = Files.newInputStream(file)) {
      return isZipSignature(in.readNBytes(4));
    } catch (IOException e) {
      return unreadable;
    }
  }
}
