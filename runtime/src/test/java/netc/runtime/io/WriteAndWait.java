package netc.runtime.io;

import java.nio.file.Path;

/**
 * Starts writing {@code args[0]} through {@link FileOutput}, says "writing" on stdout once its
 * temporary file holds some bytes, then waits to be killed: the JVM FileOutputTest sends SIGTERM.
 */
public final class WriteAndWait {
  private WriteAndWait() {}

  public static void main(String[] args) {
    FileOutput.write(Path.of(args[0]), out -> {
      out.write(new byte[100_000]);
      out.flush();
      System.out.println("writing");
      System.out.flush();
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
