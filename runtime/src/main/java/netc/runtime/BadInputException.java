package netc.runtime;

/**
 * A user's file or tensor is unusable: a corrupt weights file, an unreadable image, a tensor of the
 * wrong shape. The message names the file and the problem; callers print it as one line.
 */
public class BadInputException extends RuntimeException {
  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
