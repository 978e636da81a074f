package netc.runtime;

/**
 * The two checks every small command line of netc's jobs makes on its option values (the compiled
 * jar's Main, the Spark job): an option's value is present, and a count is a positive integer.
 * Failures are IllegalArgumentExceptions whose message is the line to print.
 */
public final class CommandLineArgs {
  private CommandLineArgs() {}

  /**
   * Bound on a command line's thread count (a compiled jar's, netc demo's and profile's): more than a
   * machine has only adds contention; this stops a typo asking for millions of threads.
   */
  public static final int MAX_THREADS = 1024;

  /**
   * Bounds on the timed runs and the batch of netc's measuring commands (profile, bench, compare, ort-profile, step-probe)
   * and the Spark job's batch: well past any useful run, short of an overflow or a heap's worth of times and inputs.
   */
  public static final int MAX_RUNS = 100_000, MAX_BATCH = 1024;

  /**
   * The thread count a command takes when none is given: the processors this JVM may use, up to
   * {@link #MAX_THREADS} (a host, or -XX:ActiveProcessorCount, reporting more is not refused for it).
   */
  public static int defaultThreads() {
    return Math.min(Runtime.getRuntime().availableProcessors(), MAX_THREADS);
  }

  /**
   * {@code args[i]}, the value of {@code option}; an empty one ("") is refused, as a path it would be the current folder,
   * and so is an option ("--output --time" wrote a file named --time, as netc's own commands refuse it; a file of such a
   * name is ./--time).
   */
  public static String value(String[] args, int i, String option) {
    if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
    if (args[i].isEmpty()) throw new IllegalArgumentException(option + " is given an empty value");
    if (args[i].startsWith("--") && args[i].length() > 2) {
      throw new IllegalArgumentException(option + " needs a value, and is followed by the option " + args[i] + " (a file of that name: ./" + args[i] + ")");
    }
    return args[i];
  }

  /** {@code v} as a positive int, the value of {@code option}. */
  public static int positive(String v, String option) {
    return positive(v, option, Integer.MAX_VALUE);
  }

  /**
   * Notes option {@code arg} as given, refusing it when it was given before (-h counts as --help): which
   * of two values counts would be a guess. For command lines parsed by hand (a compiled jar's, the Spark
   * job's); netc's own commands check the same through commons-cli.
   */
  public static void once(java.util.Set<String> given, String arg) {
    if ((arg.startsWith("--") || arg.equals("-h")) && !given.add(arg.equals("-h") ? "--help" : arg)) {
      throw new IllegalArgumentException(arg + " is given twice: give it once");
    }
  }

  /**
   * {@code v} as an int from 1 to {@code max}, the value of {@code option}; else "--threads x: expected a
   * whole number from 1 to 1024", the wording of netc's own commands too (their CommandLines.count).
   */
  public static int positive(String v, String option, int max) {
    return whole(v, option, 1, max);
  }

  /** {@code v} as an int from {@code min} to {@code max}, the value of {@code option}; else the message {@link #positive} gives. */
  public static int whole(String v, String option, int min, int max) {
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    // a whole number past the range is said against the range ("99999999999" is positive, only too large)
    boolean tooLarge = v.strip().matches("\\+?\\d+") && new java.math.BigInteger(v.strip()).compareTo(java.math.BigInteger.valueOf(max)) > 0;
    throw new IllegalArgumentException(option + " " + v + ": expected "
        + (min == 1 && max == Integer.MAX_VALUE && !tooLarge ? "a positive whole number" : "a whole number from " + min + " to " + max));
  }
}
