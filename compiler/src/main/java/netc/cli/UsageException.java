package netc.cli;

/** The command line itself is wrong (unknown option, missing argument): exit status 2. */
public final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(message);
  }
}
