package netc.runtime.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import netc.runtime.BadInputException;

/**
 * The contract every runtime fuzz harness asserts: a bad input is a {@link BadInputException} whose
 * message names the file; any other throwable (an unchecked exception, a StackOverflowError, an
 * OutOfMemoryError from a size in the input) escapes the harness and is a finding. The message is
 * one line by construction (BadInputException escapes line breaks, as BadInputExceptionTest shows),
 * and is not checked again here.
 */
public final class Contract {
  private Contract() {}

  /** Runs {@code body}, accepting only a bad-input error that names {@code file}. */
  public static void onlyBadInput(String file, Runnable body) {
    try {
      body.run();
    } catch (BadInputException e) {
      String m = e.getMessage();
      if (m == null || !m.contains(file)) {
        throw new AssertionError("a bad-input message must name " + file + ", got: " + m, e);
      }
    }
  }

  /**
   * One file per harness and JVM, rewritten for every input: a fuzzing run executes millions of
   * inputs, and a file per input would fill the temporary directory.
   */
  public static Path scratch(String suffix) {
    try {
      Path p = Files.createTempFile("netc-fuzz-", suffix);
      p.toFile().deleteOnExit();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code data} over {@code file}. */
  public static void write(Path file, byte[] data) {
    try {
      Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
