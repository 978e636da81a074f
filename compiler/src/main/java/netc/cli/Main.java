package netc.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import netc.ast.NetcException;
import netc.runtime.BadInputException;

/** The {@code netc} command line: dispatches to one command per verb and turns errors into exit codes. */
public final class Main {
  /** A command: parses its own options and returns an exit status. */
  interface Command {
    /** Runs with the caller's streams: results and status lines on {@code out}, warnings (and status lines when out carries data) on {@code err}. */
    int run(String[] args, PrintStream out, PrintStream err) throws Exception;

    String summary();

    /** The options, described: what --help prints. */
    org.apache.commons.cli.Options options();
  }

  static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("demo", new DemoCommand());
    COMMANDS.put("summary", new SummaryCommand());
    COMMANDS.put("weights", new WeightsCommand());
    COMMANDS.put("run", new RunCommand());
    COMMANDS.put("inspect", new InspectCommand());
    COMMANDS.put("import", new ImportCommand());
    COMMANDS.put("compile", new CompileCommand());
    COMMANDS.put("profile", new ProfileCommand());
  }

  private Main() {}

  public static void main(String[] args) {
    // numbers as scripts read them (12.5 ms, 1,024), whatever the user's locale: in fa_IR or ar_EG, %d wrote
    // other digits. The generated code and files never depend on it (they format with Locale.ROOT)
    java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
    System.exit(checkedOutput(run(args, System.out, System.err), System.out, System.err, "netc" + (args.length > 0 ? " " + args[0] : "")));
  }

  /**
   * {@code status}, or 1 when standard output lost what the command printed (a full disk, a closed pipe's reader
   * gone): a PrintStream keeps its write errors to itself, so a summary or a benchmark written to a full disk
   * ended 0 with its text cut short.
   */
  public static int checkedOutput(int status, PrintStream out, PrintStream err, String command) {
    if (!out.checkError() || status != 0) return status;
    err.println(command + ": cannot write to standard output (a full disk, or a reader that went away): what was printed is incomplete");
    return 1;
  }

  /** Runs one invocation; 0 on success, 1 when the input is bad, 2 on a usage error. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
      if (args.length <= 1) {
        usage(args.length == 0 ? err : out);
        return args.length == 0 ? 2 : 0;
      }
      // netc help compile: compile's options (it printed the general usage, the word ignored)
      if (args.length == 2 && COMMANDS.containsKey(args[1])) return run(new String[] {args[1], "--help"}, out, err);
      err.println("netc " + args[0] + ": " + BadInputException.oneLine(args.length == 2 ? "unknown command '" + args[1] + "'"
          : "expects one command, got " + String.join(" ", Arrays.copyOfRange(args, 1, args.length))));
      usage(err);
      return 2;
    }
    if (args[0].equals("--version") || args[0].equals("-V") || args[0].equals("version")) {
      if (args.length > 1) { // --version --bogus answered 0: an ignored word is refused as every command refuses one
        String extra = String.join(" ", Arrays.copyOfRange(args, 1, args.length));
        err.println("netc " + args[0] + ": takes no arguments, got " + BadInputException.oneLine(extra));
        return 2;
      }
      out.println(versionLine());
      return 0;
    }
    Command command = COMMANDS.get(args[0]);
    if (command == null) {
      err.println("netc: unknown command '" + BadInputException.oneLine(args[0]) + "'");
      usage(err);
      return 2;
    }
    try {
      return command.run(Arrays.copyOfRange(args, 1, args.length), out, err);
    } catch (UsageException e) {
      err.println("netc " + args[0] + ": " + e.getMessage());
      return 2;
    } catch (netc.ast.OverrideException e) { // a -D the spec cannot take: a wrong call
      err.println("netc " + args[0] + ": " + e.format());
      return 2;
    } catch (NetcException e) {
      err.println("netc " + args[0] + ": " + e.format());
      return 1;
    } catch (BadInputException e) {
      err.println("netc " + args[0] + ": " + e.getMessage());
      return 1;
    } catch (java.nio.file.FileSystemException e) { // a file the command reads or writes, refused by the system: not a netc bug
      String where = e.getFile() != null ? e.getFile() + ": " : "";
      err.println("netc " + args[0] + ": " + BadInputException.oneLine(where + netc.runtime.io.FileOutput.reason(e)));
      return 1;
    } catch (OutOfMemoryError e) {
      // what holds the images: profile's --batch, run's --input tensor; compile and the others have no batch to make smaller
      String batch = args[0].equals("profile") ? "a smaller --batch or " : args[0].equals("run") ? "fewer images in --input or " : "";
      err.println("netc " + args[0] + ": out of memory (" + e.getMessage() + "); try " + batch + "a larger heap, "
          + netc.runtime.VmOptions.largerHeap());
      return 1;
    } catch (Exception e) {
      err.println("netc " + args[0] + ": internal error: " + e);
      if (System.getenv("NETC_DEBUG") != null) e.printStackTrace(err);
      return 3;
    }
  }

  /** netc's version (the pom's project.version) and the Java running it. */
  public static String versionLine() {
    return "netc " + version() + " (Java " + System.getProperty("java.version") + ", " + System.getProperty("java.vm.name") + ")";
  }

  /** From netc/version.properties (filtered by Maven, so also in target/classes), else the jar manifest. */
  static String version() {
    try (java.io.InputStream in = Main.class.getResourceAsStream("/netc/version.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank() && !v.startsWith("${")) return v;
      }
    } catch (java.io.IOException e) {
      // fall through to the manifest
    }
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "unknown";
  }

  private static void usage(PrintStream s) {
    s.println("usage: netc COMMAND [options]   (netc COMMAND --help for its options; netc --version)");
    s.println();
    COMMANDS.forEach((name, c) -> s.printf("  %-11s %s%n", name, c.summary()));
    // these live in examples/ (bench and ort-profile link ONNX Runtime, which netc itself never does); ./netc routes them
    s.printf("  %-11s %s%n", "bench", "netc against ONNX Runtime on the same model, weights and input (./netc bench --help)");
    s.printf("  %-11s %s%n", "compare", "compiled jars alternated in one JVM, medians: A/B of a compiler change (./netc compare --help)");
    s.printf("  %-11s %s%n", "ort-profile", "ONNX Runtime's own per-node times of an ONNX model (./netc ort-profile --help)");
    s.printf("  %-11s %s%n", "step-probe", "single steps of a compiled model, warm, after cache sweeps, or pooled (./netc step-probe --help)");
  }
}
