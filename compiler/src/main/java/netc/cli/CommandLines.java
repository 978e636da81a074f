package netc.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/** Option parsing shared by the commands: -D overrides, help, and loading a spec into a graph. */
final class CommandLines {
  private CommandLines() {}

  static Option defines() {
    return Option.builder("D").argName("name=value").numberOfArgs(2).valueSeparator('=')
        .desc("override a top-level param of the spec").build();
  }

  static Option help() {
    return Option.builder("h").longOpt("help").desc("show this help").build();
  }

  /** Parses, or prints help and returns null when --help was given. */
  static CommandLine parse(String usage, Options options, String[] args, PrintStream out) {
    options.addOption(help());
    try {
      CommandLine cl = new DefaultParser().parse(options, args);
      if (cl.hasOption("h")) {
        PrintWriter w = new PrintWriter(out, true);
        new HelpFormatter().printHelp(w, 100, usage, null, options, 2, 2, null);
        w.flush();
        return null;
      }
      return cl;
    } catch (ParseException e) {
      throw new UsageException(e.getMessage() + " (usage: " + usage + ")");
    }
  }

  static Map<String, String> overrides(CommandLine cl) {
    Map<String, String> out = new LinkedHashMap<>();
    Properties p = cl.getOptionProperties("D");
    for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
    return out;
  }

  static String oneArgument(CommandLine cl, String what, String usage) {
    if (cl.getArgList().size() != 1) throw new UsageException("expects one " + what + " (usage: " + usage + ")");
    return cl.getArgList().get(0);
  }

  static Graph graph(String spec, Map<String, String> overrides) {
    return GraphBuilder.build(SpecLoader.load(Path.of(spec)), overrides);
  }
}
