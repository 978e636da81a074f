package netc.runtime.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Two links naming each other in a folder: a path through them can be neither found nor ruled out (the system's
 * "too many levels of symbolic links"), which reaches the readers' "cannot access" branch where the tests run as
 * root, whom a folder's permissions do not stop.
 */
public final class LinkLoop {
  private LinkLoop() {}

  /** The file {@code name} behind the loop made in {@code dir}. */
  public static Path fileBehind(Path dir, String name) throws IOException {
    Path a = dir.resolve("loop-a"), b = dir.resolve("loop-b");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    return a.resolve(name);
  }
}
