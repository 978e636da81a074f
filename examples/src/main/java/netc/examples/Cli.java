package netc.examples;

import java.io.PrintStream;
import java.io.PrintWriter;
import netc.ast.NetcException;
import netc.runtime.BadInputException;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * The command line of the benchmark entry points that ./netc routes here (bench, compare, ort-profile,
 * step-probe): commons-cli options with --help, and errors as one line starting "netc CMD: ", with
 * the exit statuses of netc itself (1 bad input, 2 usage, 3 internal error).
 */
final class Cli {
  private Cli() {}

  /** The command line itself is wrong: exit status 2. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  interface Body {
    int run(String[] args, PrintStream out) throws Exception;
  }

  static void main(String command, String[] args, Body body) {
    System.exit(netc.cli.Main.checkedOutput(run(command, args, body, System.out, System.err), System.out, System.err, "netc " + command));
  }

  static int run(String command, String[] args, Body body, PrintStream out, PrintStream err) {
    String prefix = "netc " + command + ": ";
    try {
      return body.run(args, out);
    } catch (UsageException e) {
      err.println(prefix + e.getMessage());
      return 2;
    } catch (netc.ast.OverrideException e) { // a -D the spec cannot take: a wrong call, as in netc's own commands
      err.println(prefix + e.format());
      return 2;
    } catch (NetcException e) {
      err.println(prefix + e.format());
      return 1;
    } catch (BadInputException | IllegalArgumentException | IllegalStateException e) {
      err.println(prefix + e.getMessage());
      return 1;
    } catch (OutOfMemoryError e) {
      // bench, compare and ort-profile take --batch; step-probe has none to make smaller
      String batch = java.util.Set.of("bench", "compare", "ort-profile").contains(command) ? "a smaller --batch or " : "";
      err.println(prefix + "out of memory (" + e.getMessage() + "); try " + batch + "a larger heap, " + netc.runtime.VmOptions.largerHeap());
      return 1;
    } catch (Exception e) {
      err.println(prefix + "internal error: " + e);
      if (System.getenv("NETC_DEBUG") != null) e.printStackTrace(err);
      return 3;
    }
  }

  static Option help() {
    return Option.builder("h").longOpt("help").desc("show this help").build();
  }

  /** Parses, or prints help (usage, header, the options, footer) and returns null when -h/--help was given. */
  static CommandLine parse(String usage, String header, Options options, String footer, String[] args, PrintStream out) {
    options.addOption(help());
    for (String a : args) {
      if (a.equals("--")) break;
      if (a.equals("-h") || a.equals("--help")) {
        PrintWriter w = new PrintWriter(out, true);
        new HelpFormatter().printHelp(w, 100, usage, header, options, 2, 2, footer);
        w.flush();
        return null;
      }
    }
    CommandLine cl;
    try {
      cl = new DefaultParser().parse(options, args);
    } catch (ParseException e) {
      throw new UsageException(netc.cli.CommandLines.parseProblem(e) + " (usage: " + usage + ")");
    }
    String repeated = netc.cli.CommandLines.repeatedOption(cl); // the compiler's commands' rule: none silently dropped
    if (repeated != null) throw new UsageException(repeated + " (usage: " + usage + ")");
    String empty = netc.cli.CommandLines.emptyValue(cl);
    if (empty != null) throw new UsageException(empty + " (usage: " + usage + ")");
    return cl;
  }

  /**
   * --{@code option} as a whole number from {@code min} to {@code max}, or {@code otherwise} when it is not given; out of
   * range or no number, one message naming the option and its range, as every netc command line says it.
   */
  static int intValue(CommandLine cl, String option, int otherwise, int min, int max) {
    String v = cl.getOptionValue(option);
    return v == null ? otherwise : intArgument("--" + option, v, min, max);
  }

  /**
   * A thread count (--threads, a positional THREADS, --pool): from {@code min} to the runtime's bound,
   * {@link netc.runtime.CommandLineArgs#MAX_THREADS}, as every other netc command takes it. The pools start
   * every worker up front, so a typo asking for 100000 started thousands of threads before failing.
   */
  static int threads(String what, String v, int min) {
    return intArgument(what, v, min, netc.runtime.CommandLineArgs.MAX_THREADS);
  }

  /** {@link #threads(String, String, int)} of --{@code option}, or {@code otherwise} when it is not given. */
  static int threads(CommandLine cl, String option, int otherwise) {
    String v = cl.getOptionValue(option);
    return v == null ? otherwise : threads("--" + option, v, 1);
  }

  /**
   * The -D overrides, under the compiler's commands' rules: NAME=VALUE each, no name twice (commons-cli's
   * own reading kept the last of two and read "-D size" as size=true).
   */
  static java.util.Map<String, String> defines(CommandLine cl) {
    try {
      return netc.cli.CommandLines.overrides(cl);
    } catch (netc.cli.UsageException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** A positional count, {@code what} as the usage names it (RUNS), from {@code min} to {@code max}, in the options' wording. */
  static int intArgument(String what, String v, int min, int max) {
    try {
      return netc.runtime.CommandLineArgs.whole(v, what, min, max);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  static double doubleValue(CommandLine cl, String option, double otherwise, double min, double max) {
    String v = cl.getOptionValue(option);
    if (v == null) return otherwise;
    double d;
    try {
      d = Double.parseDouble(v.strip());
    } catch (NumberFormatException e) {
      d = Double.NaN;
    }
    if (!(d >= min && d <= max)) throw new UsageException("--" + option + " " + v + ": expected a number from " + fmt(min) + " to " + fmt(max));
    return d;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  static Option opt(String longName, String arg, String description) {
    return Option.builder().longOpt(longName).hasArg().argName(arg).desc(description).build();
  }

  /** An option without a value. */
  static Option flag(String longName, String description) {
    return Option.builder().longOpt(longName).desc(description).build();
  }
}
