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
}
