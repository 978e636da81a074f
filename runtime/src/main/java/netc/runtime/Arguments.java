package netc.runtime;

/**
 * Argument checks the API shares: a null, a path that is no regular file. A class of its own: {@link Preprocess}'s calls must not initialize
 * {@link CompiledModel} (and with it the kernels, which warn where the Vector API is missing).
 */
final class Arguments {
  private Arguments() {}

  /**
   * Refuses a null argument by its name ("input: null"), as the other argument checks do: an IllegalArgumentException
   * throughout the API, where the JDK's NullPointerException named a field inside it.
   */
  static void notNull(Object argument, String name) {
    if (argument == null) throw new IllegalArgumentException(name + ": null");
  }

  /**
   * Refuses what is not a regular file (missing, a directory, a device, a pipe) before opening it, and
   * a path that cannot be looked at (in a folder this user may not search) with the reason: an image's,
   * a frame's, a model jar's.
   */
  static void regularFile(java.nio.file.Path file) {
    if (java.nio.file.Files.isRegularFile(file)) return;
    if (java.nio.file.Files.notExists(file)) throw new BadInputException(file + ": no such file");
    if (!java.nio.file.Files.exists(file)) {
      throw new BadInputException(file + ": cannot access (" + netc.runtime.io.FileOutput.unreachable(file) + ")");
    }
    throw new BadInputException(file + ": not a regular file" + (java.nio.file.Files.isDirectory(file) ? " (a directory)" : " (a device or a pipe)"));
  }
}
