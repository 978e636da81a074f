package netc.runtime.io;

import java.nio.file.Files;
import java.nio.file.Path;
import netc.runtime.BadInputException;

/**
 * Whether a path names a regular file to read, and if not why not, in the words every reader of netc uses (specs,
 * ONNX models, weights, tensors, images, frames, model jars). Checked before opening: opening a named pipe blocks
 * until someone writes to it, and a device's size says nothing about its contents.
 */
public final class RegularFile {
  private RegularFile() {}

  /**
   * Null for a regular file (or a link to one); otherwise "no such file", "cannot access (permission denied)" where a
   * folder on its path may not be searched, "not a regular file (a directory)" or "not a regular file (a device or a pipe)".
   */
  public static String problem(Path path) {
    if (Files.isRegularFile(path)) return null;
    if (Files.notExists(path)) return "no such file";
    // neither there nor surely missing: a folder on the way this user may not search, or a loop of links
    if (!Files.exists(path)) return "cannot access (" + FileOutput.unreachable(path) + ")";
    return "not a regular file" + (Files.isDirectory(path) ? " (a directory)" : " (a device or a pipe)");
  }

  /** Refuses what {@link #problem} finds as bad input: {@code prefix + path + ": " + problem}. */
  public static void require(Path path, String prefix) {
    String problem = problem(path);
    if (problem != null) throw new BadInputException(prefix + path + ": " + problem);
  }
}
