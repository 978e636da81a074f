package netc.passes;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.ast.NetcException;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.runtime.Tensor;

/** The instruments netc offers around passes. */
public final class Instruments {
  private Instruments() {}

  /** --print-after-all: the IR text after every pass, long lines wrapped at attribute boundaries. */
  public static Instrument printAfterAll(PrintStream out) {
    return new Instrument() {
      @Override
      public void start(Graph input) {
        out.println("=== input (" + input.nodes().size() + " nodes)");
        printWrapped(input, out);
      }

      @Override
      public void after(Pass pass, Graph before, Graph after) {
        out.println("=== after " + pass.name() + " (" + after.nodes().size() + " nodes)");
        printWrapped(after, out);
      }
    };
  }

  private static void printWrapped(Graph g, PrintStream out) {
    for (String line : g.toText().split("\n")) out.print(PrintChanged.wrap(line, PrintChanged.WIDTH, "        "));
  }

  /** --print-changed: per pass, only what it removed, added or changed, as a diff (see {@link PrintChanged}). */
  public static Instrument printChanged(PrintStream out) {
    return new PrintChanged(out);
  }

  /** --print-after NAME: the whole IR after that pass only, long lines wrapped at attribute boundaries. */
  public static Instrument printAfter(String name, PrintStream out) {
    return new Instrument() {
      @Override
      public void after(Pass pass, Graph before, Graph after) {
        if (!pass.name().equals(name)) return;
        out.println("=== after " + pass.name() + " (" + after.nodes().size() + " nodes)");
        printWrapped(after, out);
      }
    };
  }

  /** The first line of every file {@link #dumpToDir} writes, which is how it knows its own. */
  static final String DUMP_HEADER = "# written by netc inspect --dump-dir: ";

  /**
   * --dump-dir DIR: one file per stage, 00-input.ir, 01-eliminate-dead-nodes.ir, ..., replacing an earlier dump's.
   * Only dumps are deleted or replaced (a file of that name whose first line is {@link #DUMP_HEADER}, or the
   * {@code graph NAME {} line that dumps began with before the header): {@link #checkDumpDir} refuses, before
   * anything runs, a folder where a stage's name is another file, as the spec being inspected.
   */
  public static Instrument dumpToDir(Path dir, String source) {
    return new Instrument() {
      int index;

      @Override
      public void start(Graph input) {
        // an earlier dump's stages (of another -O, or of a pass disabled since) would stay beside this one's, as if they had run
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
          for (Path f : files.filter(f -> STAGE.matcher(f.getFileName().toString()).matches() && isDump(f)).toList()) {
            java.nio.file.Files.delete(f);
          }
        } catch (java.nio.file.NoSuchFileException none) {
          // a folder still to be made: nothing earlier in it
        } catch (java.io.IOException e) {
          throw new netc.runtime.BadInputException("cannot clear the earlier dumps of " + dir + ": " + netc.runtime.io.FileOutput.reason(e), e);
        }
        write(stageName(index++, "input"), "the graph as built from " + source, input);
      }

      @Override
      public void after(Pass pass, Graph before, Graph after) {
        write(stageName(index++, pass.name()), "the graph of " + source + " after " + pass.name(), after);
      }

      private void write(String name, String what, Graph g) {
        // a failure: "cannot write FILE: reason"
        netc.runtime.io.FileOutput.writeString(dir.resolve(name), DUMP_HEADER + what.replace('\n', ' ') + "\n" + g.toText());
      }
    };
  }

  private static final java.util.regex.Pattern STAGE = java.util.regex.Pattern.compile("\\d\\d-.*\\.ir");

  private static String stageName(int index, String stage) {
    return String.format(java.util.Locale.ROOT, "%02d-%s.ir", index, stage);
  }

  /**
   * Refuses a --dump-dir where a file that {@link #dumpToDir} would write, for the input and each of {@code passes},
   * exists and is not a dump: a user's file, or the spec being inspected, would be replaced.
   */
  public static void checkDumpDir(Path dir, List<String> passes) {
    List<String> stages = new ArrayList<>(List.of(stageName(0, "input")));
    for (int i = 0; i < passes.size(); i++) stages.add(stageName(i + 1, passes.get(i)));
    for (String stage : stages) {
      Path f = dir.resolve(stage);
      if (java.nio.file.Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new netc.runtime.BadInputException("cannot write " + f + ": it is a directory");
      }
      if (java.nio.file.Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !isDump(f)) {
        throw new netc.runtime.BadInputException("--dump-dir " + dir + ": " + f + " is not a dump of netc inspect, and a stage would replace"
            + " it; move it, or give another folder");
      }
    }
  }

  /** Whether {@code f} is a regular file a dump wrote: its first line is the header, or (before it) a graph's. */
  static boolean isDump(Path f) {
    if (!java.nio.file.Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return false;
    byte[] head = new byte[256];
    int n = 0;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(f)) {
      for (int r; n < head.length && (r = in.read(head, n, head.length - n)) > 0; ) n += r;
    } catch (java.io.IOException e) {
      return false; // unreadable: not known to be a dump, so kept
    }
    String first = new String(head, 0, n, java.nio.charset.StandardCharsets.UTF_8).lines().findFirst().orElse("");
    return first.startsWith(DUMP_HEADER) || first.matches("graph .+ \\{");
  }

  /** Node counts after each stage, for the inspect summary. */
  public static final class NodeCounts implements Instrument {
    public final List<String> stages = new ArrayList<>();
    public final List<Integer> counts = new ArrayList<>();

    @Override
    public void start(Graph input) {
      stages.add("input");
      counts.add(input.nodes().size());
    }

    @Override
    public void after(Pass pass, Graph before, Graph after) {
      stages.add(pass.name());
      counts.add(after.nodes().size());
    }
  }

  /**
   * --verify-each: evaluates the graph before and after every pass with the reference interpreter on
   * the same input and weights, prints the largest difference relative to the largest output, and
   * fails naming the pass when it exceeds the tolerance. Folding rounds rescaled weights to float32
   * once, so passes that are exact in real arithmetic stay within a few float32 ulps (about 1e-7
   * relative); the default tolerance of 1e-4 leaves room for deep networks and flags real mistakes,
   * which are of the order of the values themselves.
   */
  public static final class VerifyEach implements Instrument {
    private final ParamSource params;
    private final Tensor input;
    private final double tolerance;
    private final PrintStream out;
    private Tensor previous;
    public double worst;

    public VerifyEach(ParamSource params, Tensor input, double tolerance, PrintStream out) {
      this.params = params;
      this.input = input;
      this.tolerance = tolerance;
      this.out = out;
    }

    @Override
    public void start(Graph input) {
      previous = Interpreter.run(input, params, this.input);
    }

    @Override
    public void after(Pass pass, Graph before, Graph after) {
      Tensor now = Interpreter.run(after, params, input);
      double scale = Math.max(previous.maxAbs(), 1e-30);
      double relative = now.maxAbsDiff(previous) / scale;
      worst = Math.max(worst, relative);
      boolean ok = relative <= tolerance;
      out.printf("verify %-26s max error %.3g of max |output| %.4g  %s%n", pass.name(), relative, scale, ok ? "ok" : "FAILED");
      if (!ok) {
        throw new NetcException("pass " + pass.name() + " changed the output by " + String.format(java.util.Locale.ROOT, "%.3g", relative)
            + " of its largest value (tolerance " + tolerance + ")");
      }
      previous = now;
    }
  }
}
