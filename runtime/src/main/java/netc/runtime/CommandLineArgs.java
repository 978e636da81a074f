package netc.runtime;

/**
 * The two checks every small command line of netc's jobs makes on its option values (the compiled
 * jar's Main, the Spark job): an option's value is present, and a count is a positive integer.
 * Failures are IllegalArgumentExceptions whose message is the line to print.
 */
public final class CommandLineArgs {
  private CommandLineArgs() {}

  /** {@code args[i]}, the value of {@code option}. */
  public static String value(String[] args, int i, String option) {
    if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
    return args[i];
  }

  /** {@code v} as a positive int, the value of {@code option}. */
  public static int positive(String v, String option) {
    try {
      int n = Integer.parseInt(v);
      if (n > 0) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(option + " takes a positive integer, got " + v);
  }
}
