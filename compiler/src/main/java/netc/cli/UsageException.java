package netc.cli;

/**
 * The command line itself is wrong (unknown option, missing argument): exit status 2. Its message is made one line as
 * a bad input's is: it quotes what was typed, and a path with a newline or an escape sequence printed two lines or
 * drove the terminal.
 */
public final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(netc.runtime.BadInputException.oneLine(message));
  }

  /**
   * {@code message} made one line, then the command's {@code usage}, which is netc's own text as it is (run's is
   * three lines, laid out for a terminal): "(usage: ...)".
   */
  UsageException(String message, String usage) {
    super(netc.runtime.BadInputException.oneLine(message) + " (usage: " + usage + ")");
  }
}
