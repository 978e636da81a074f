package netc.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import netc.ir.ParamSource;
import netc.runtime.BadInputException;
import netc.codegen.SpecCompiler;
import java.util.LinkedHashMap;
import java.util.Map;
import netc.ir.Graph;
import netc.onnx.InputPreparation;
import netc.onnx.ModelSource;
import netc.weights.WeightBinding;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.UnrecognizedOptionException;

/** Option parsing shared by the commands: -D overrides, help, and loading a spec into a graph. */
public final class CommandLines {
  private CommandLines() {}

  static Option defines() {
    return Option.builder("D").argName("name=value").numberOfArgs(2).valueSeparator('=')
        .desc("override a top-level param of the spec").build();
  }

  /** Where imports may come from besides the spec's own folder (imports are confined to these). */
  static Option importPath() {
    return Option.builder().longOpt("import-path").hasArg().argName("DIR")
        .desc("also look for imports in DIR, and allow them from there (repeatable); by default imports stay in the spec's folder").build();
  }

  /** --mean, --std, --resize, --imagenet and --bicubic: how an imported model's images are prepared (see InputPreparation). */
  static Options addPreparation(Options options) {
    return options
        .addOption(Option.builder().longOpt("mean").hasArg().argName("M1,M2,M3").desc("an ONNX model's input normalization: the mean of"
            + " each channel, subtracted from pixels in [0, 1] (with --std; folded into the first conv)").build())
        .addOption(Option.builder().longOpt("std").hasArg().argName("S1,S2,S3").desc("the std of each channel, dividing (with --mean)").build())
        .addOption(Option.builder().longOpt("resize").hasArg().argName("N").desc("an ONNX model's images: shorter side resized to N, then"
            + " center-cropped to the input size (torchvision's Resize(N), CenterCrop)").build())
        .addOption(Option.builder().longOpt("imagenet").desc("torchvision's ImageNet preparation: --mean 0.485,0.456,0.406 --std"
            + " 0.229,0.224,0.225 and --resize of the input size x 8/7, rounded (256 for 224, 342 for 299); a model exported from torchvision expects it").build())
        .addOption(Option.builder().longOpt("bicubic").desc("an ONNX model's images are resized with the bicubic filter, not the bilinear one"
            + " (torchvision's EfficientNet V1 weights: --imagenet --bicubic for B0, --resize N --bicubic with --mean/--std for the others)").build());
  }

  /** The command line's input preparation for an ONNX model ({@link InputPreparation#NONE} without those options). */
  static InputPreparation preparation(CommandLine cl) {
    try {
      return InputPreparation.parse(cl.hasOption("imagenet"), cl.getOptionValue("mean"), cl.getOptionValue("std"), cl.getOptionValue("resize"),
          cl.hasOption("bicubic"), option -> "--" + option, "on the command line");
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  static Option help() {
    return Option.builder("h").longOpt("help").desc("show this help").build();
  }

  /**
   * Parses, or prints help and returns null when -h/--help was given. Help is looked for before
   * parsing, so that it is shown even when required options (-o) are missing.
   */
  static CommandLine parse(String usage, Options options, String[] args, PrintStream out) {
    options.addOption(help());
    if (wantsHelp(args)) {
      printHelp(usage, options, out);
      return null;
    }
    CommandLine cl;
    try {
      cl = new DefaultParser().parse(options, args);
    } catch (ParseException e) {
      throw new UsageException(parseProblem(e), usage);
    }
    refuseRepeats(cl, usage);
    String empty = emptyValue(cl);
    if (empty != null) throw new UsageException(empty, usage);
    return cl;
  }

  /**
   * commons-cli's message, but for a negative number, which it takes for an option: {@code netc ort-profile M.onnx -1}
   * said "Unrecognized option: -1". For every command line of netc's, the benchmarks' too.
   */
  public static String parseProblem(ParseException e) {
    if (e instanceof UnrecognizedOptionException u && u.getOption() != null && u.getOption().matches("-\\.?[0-9][0-9.eE+-]*")) {
      return u.getOption() + ": a negative number, read as an option (no argument of netc's is negative)";
    }
    return e.getMessage();
  }

  /**
   * The problem with an empty value ("-o/--output is given an empty value") or an empty argument, or null: an
   * empty path is the current folder to Java, so `-o ""` said "cannot write : it is a directory". For every
   * command line of netc's, the benchmarks' too.
   */
  public static String emptyValue(CommandLine cl) {
    for (Option o : cl.getOptions()) {
      if (o.getValuesList().stream().anyMatch(String::isEmpty)) {
        // -D width= names its param: with several -D, "-D is given an empty value" would not say which
        List<String> v = o.getValuesList();
        return "D".equals(o.getOpt()) && !v.get(0).isEmpty() ? "-D " + v.get(0).trim() + "= is given an empty value" : name(o) + " is given an empty value";
      }
    }
    return cl.getArgList().contains("") ? "an argument is empty (\"\")" : null;
  }

  /** The options a command line may give more than once: each occurrence adds a value. */
  static final java.util.Set<String> REPEATABLE = java.util.Set.of("D", "import-path", "disable-pass");

  /**
   * Refuses an option given twice that is not {@link #REPEATABLE}: commons-cli would keep its first
   * value and drop the others without a word (-o old.jar -o new.jar wrote old.jar).
   */
  static void refuseRepeats(CommandLine cl, String usage) {
    String repeated = repeatedOption(cl);
    if (repeated != null) throw new UsageException(repeated, usage);
  }

  /**
   * The problem with an option given twice that is not {@link #REPEATABLE} ("-o/--output is given twice
   * (a.jar, then b.jar): give it once"), or null: for every command line of netc's, the benchmarks' too.
   */
  public static String repeatedOption(CommandLine cl) {
    Map<String, List<String>> seen = new LinkedHashMap<>();
    for (Option o : cl.getOptions()) {
      if (REPEATABLE.contains(o.getKey())) continue;
      List<String> values = seen.get(o.getKey());
      if (values == null) {
        seen.put(o.getKey(), o.getValuesList());
        continue;
      }
      String both = values.isEmpty() ? "" : " (" + String.join(" ", values) + ", then " + String.join(" ", o.getValuesList()) + ")";
      return name(o) + " is given twice" + both + ": give it once";
    }
    return null;
  }

  /** "-o/--output", "-D" or "--thin": how an option is written. */
  private static String name(Option o) {
    return o.getOpt() != null && o.getLongOpt() != null ? "-" + o.getOpt() + "/--" + o.getLongOpt()
        : o.getOpt() != null ? "-" + o.getOpt() : "--" + o.getLongOpt();
  }

  /** -h or --help among the arguments (before a "--" that ends the options). */
  static boolean wantsHelp(String[] args) {
    for (String a : args) {
      if (a.equals("--")) return false;
      if (a.equals("-h") || a.equals("--help")) return true;
    }
    return false;
  }

  static void printHelp(String usage, Options options, PrintStream out) {
    PrintWriter w = new PrintWriter(out, true);
    new HelpFormatter().printHelp(w, 100, usage, null, options, 2, 2, null);
    w.flush();
  }

  public static Map<String, String> overrides(CommandLine cl) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Option o : cl.getOptions()) {
      if (!"D".equals(o.getOpt())) continue;
      String[] v = o.getValues();
      // commons-cli reads "-D size" as size=true; a param takes the value it is given, or the -D is a mistake
      if (v == null || v.length != 2 || v[0].isBlank()) {
        throw new UsageException("-D " + (v == null || v.length == 0 ? "" : v[0]) + ": give NAME=VALUE, e.g. -D width=32");
      }
      // which of two values counts would be a guess (commons-cli keeps both, the map the last): refused as any option given twice
      String before = out.put(v[0].trim(), v[1]);
      if (before != null) throw new UsageException("-D " + v[0].trim() + " is given twice (" + before + ", then " + v[1] + "): give it once");
    }
    return out;
  }

  /** A --threads value: a whole number from 1 to the runtime's bound, {@link netc.runtime.CommandLineArgs#MAX_THREADS}. */
  static int threads(String value) {
    return count("--threads", value, netc.runtime.CommandLineArgs.MAX_THREADS);
  }

  /** The value of {@code option} as a whole number from 1 to {@code max}, else a usage error naming the range. */
  static int count(String option, String value, int max) {
    return whole(option, value, 1, max);
  }

  /** {@code value} of {@code option} as a whole number from {@code min} to {@code max}, in {@link #count}'s wording. */
  static int whole(String option, String value, int min, int max) {
    try {
      return netc.runtime.CommandLineArgs.whole(value, option, min, max); // one parser and one wording for every command line
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  static String oneArgument(CommandLine cl, String what, String usage) {
    if (cl.getArgList().size() != 1) throw new UsageException("expects one " + what, usage);
    return cl.getArgList().get(0);
  }

  /** What a command says when it makes up weights. */
  static final String SYNTHETIC_NOTE = "note: no --weights given; using synthetic weights (seed " + SpecCompiler.SYNTHETIC_SEED + ")";

  /** The weights file bound to the graph, or seeded synthetic weights (said on {@code out}). */
  static ParamSource params(Graph g, String weights, PrintStream out, PrintStream err) {
    if (weights == null) out.println(SYNTHETIC_NOTE);
    return SpecCompiler.params(g, weights == null ? null : Path.of(weights), new SpecCompiler.Listener() {
      @Override
      public void warning(String line) {
        err.println(line);
      }
    });
  }

  /**
   * Refuses writing {@code output} over {@code input}, one of the command's own inputs (null: none
   * given): "writing m.jar would overwrite the jar being run", as a usage error.
   */
  static void refuseOverwriting(Path output, Path input, String what) {
    if (input != null && netc.runtime.io.FileOutput.sameFile(output, input)) throw new UsageException("writing " + output + " would overwrite " + what);
  }

  /**
   * Refuses writing {@code output} (null: none) over any of {@code inputs}, every file read to load
   * the model (a spec's imports, an ONNX model's external data files): "writing resnet.net would
   * overwrite the input being read (resnet.net)", as a usage error. Checked once the model is read, as
   * only then are its imports known, and before anything is written.
   */
  static void refuseOverwritingInputs(Path output, List<Path> inputs) {
    if (output == null) return;
    for (Path input : inputs) {
      if (netc.runtime.io.FileOutput.sameFile(output, input)) {
        Path cwd = Path.of("").toAbsolutePath();
        Path shown = input.startsWith(cwd) ? cwd.relativize(input) : input;
        throw new UsageException("writing " + output + " would overwrite the input being read (" + shown + ")");
      }
    }
  }

  /**
   * Where a command prints its status lines ("wrote ...", a compile's steps, notes): {@code out}, or standard
   * error when one of its {@code outputs} (null: none) is standard output (/dev/stdout), whose data they
   * would otherwise be mixed into.
   */
  static PrintStream status(PrintStream out, PrintStream err, Path... outputs) {
    for (Path p : outputs) if (p != null && netc.runtime.io.FileOutput.isStandardOutput(p)) return err;
    return out;
  }

  /**
   * The file an option names to be written. A value ending in '/' names a folder, which Path.of would drop
   * silently ("-o build/" wrote a file called build): refused.
   */
  static Path outputFile(CommandLine cl, String option) {
    String value = cl.getOptionValue(option);
    if (value.endsWith("/") || value.endsWith(java.io.File.separator)) {
      throw new UsageException((option.length() == 1 ? "-" : "--") + option + " " + value + ": names a folder (it ends in /); give the file to write");
    }
    // a file named "-" was written where standard output was meant (the jar's own --output refuses it too)
    if (value.equals("-")) throw new UsageException((option.length() == 1 ? "-" : "--") + option + " -: give a file, or /dev/stdout for standard output");
    return Path.of(value);
  }

  /** {@link netc.runtime.io.FileOutput#checkWritable}: an output refused before the work, not after it. */
  static void checkWritable(Path target) {
    netc.runtime.io.FileOutput.checkWritable(target);
  }

  /** An input tensor must be [N, C, H, W] matching the declared input, any N >= 1. */
  static Graph graph(String spec, Map<String, String> overrides) {
    return ModelSource.load(spec, overrides, List.of()).graph();
  }

  /** The graph of a spec or an ONNX model, with the command line's -D overrides and --import-path directories. */
  static Graph graph(String spec, CommandLine cl) {
    return source(spec, cl).graph();
  }

  /**
   * A spec or an ONNX model (with its weights), with the command line's -D overrides, --import-path
   * directories and, for an ONNX model, its input preparation (--imagenet, --mean, --std, --resize, --bicubic),
   * as {@code compile} would build it.
   */
  static ModelSource source(String spec, CommandLine cl) {
    checkSourceOptions(spec, cl);
    return ModelSource.load(spec, overrides(cl), importPaths(cl), preparation(cl));
  }

  /**
   * Refuses, as a usage error (exit 2) before anything is read, options that do not apply to what
   * {@code spec} names: --mean, --std, --resize, --imagenet or --bicubic for a spec, --import-path for an ONNX
   * model. (ModelSource refuses them too, as bad input, for the Java API's callers.)
   */
  static void checkSourceOptions(String spec, CommandLine cl) {
    String problem = ModelSource.optionProblem(spec, !preparation(cl).isNone(), cl.hasOption("import-path"));
    if (problem != null) throw new UsageException(problem);
  }

  /**
   * The parameters to run {@code source} with: the --weights file if one is given, else an ONNX
   * model's own, else synthetic ones (said on {@code out}).
   */
  static ParamSource params(ModelSource source, String weights, PrintStream out, PrintStream err) {
    if (weights == null && source.weights() != null) return WeightBinding.bind(source.graph(), source.weights());
    return params(source.graph(), weights, out, err);
  }

  /** The --import-path directories, in order. */
  static List<Path> importPaths(CommandLine cl) {
    List<Path> dirs = new java.util.ArrayList<>();
    String[] values = cl.getOptionValues("import-path");
    if (values != null) for (String v : values) dirs.add(Path.of(v));
    return dirs;
  }
}
