package netc.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Prediction;
import netc.runtime.Preprocess;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code netc demo}: first a network that really recognizes something (examples/digits.net, trained
 * here on handwritten digits: accuracy and agreement with PyTorch, see {@link DigitsDemo}); then
 * ResNet-50 (with weights/resnet50.safetensors when the user has put real weights there, synthetic
 * ones otherwise) on a few sample images it draws: top-5, latency per image and where the jar is.
 */
final class DemoCommand implements Main.Command {
  private static final String USAGE = "netc demo [--only digits|resnet50] [--weights W.safetensors] [--threads N] [--out DIR]";
  private static final java.util.Set<String> PARTS = java.util.Set.of("digits", "resnet50");

  @Override
  public String summary() {
    return "classify held-out handwritten digits with a ResNet trained here (vs PyTorch), then compile ResNet-50 and time it";
  }

  @Override
  public Options options() {
    return new Options()
        .addOption(Option.builder().longOpt("only").hasArg().argName("PART").desc("run one part: digits or resnet50 (default: both)").build())
        .addOption(Option.builder("w").longOpt("weights").hasArg().argName("W.safetensors").desc("ResNet-50 weights (default: weights/resnet50.safetensors if present, else synthetic)").build())
        .addOption(Option.builder().longOpt("threads").hasArg().argName("N").desc("threads (default: available processors)").build())
        .addOption(Option.builder().longOpt("out").hasArg().argName("DIR").desc("where to put the jars and images (default build/demo)").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    String only = cl.getOptionValue("only");
    if (only != null && !PARTS.contains(only)) throw new UsageException("--only " + only + ": expected digits or resnet50", USAGE);
    // refused, not ignored: "netc demo resnet50" ran both parts, and --only digits -w W never read W
    List<String> extra = cl.getArgList();
    if (!extra.isEmpty()) {
      String hint = extra.size() == 1 && PARTS.contains(extra.get(0)) ? " (to run one part: --only " + extra.get(0) + ")" : "";
      throw new UsageException("takes no arguments, got " + String.join(" ", extra) + hint, USAGE);
    }
    if ("digits".equals(only) && cl.hasOption("w")) throw new UsageException("--weights applies to the resnet50 part; --only digits runs its own committed network");
    Path home = Path.of(System.getProperty("netc.home", "."));
    Path outDir = cl.hasOption("out") ? Path.of(cl.getOptionValue("out")) : home.resolve("build/demo");
    int threads = netc.runtime.CommandLineArgs.defaultThreads();
    if (cl.hasOption("threads")) threads = CommandLines.threads(cl.getOptionValue("threads"));
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) throw new BadInputException("--out " + outDir + ": not a directory");
    try {
      Files.createDirectories(outDir);
      if (!Files.isWritable(outDir)) throw new java.nio.file.AccessDeniedException(outDir.toString());
    } catch (IOException e) { // a checkout read-only or another user's: the demo's jars and pictures go elsewhere
      throw new BadInputException("cannot write the demo's folder " + outDir + " (" + netc.runtime.io.FileOutput.reason(e)
          + "): give one this user may write with --out DIR");
    }
    int status = 0;
    if (only == null || only.equals("digits")) {
      // the bound it prints is enforced: a demo that disagrees with PyTorch ends in failure, after the rest of the report
      String failed = DigitsDemo.failure(DigitsDemo.run(home, outDir, threads, out, err));
      if (failed != null) {
        err.println("netc demo: digits: " + failed);
        status = 1;
      }
      if (only == null) out.println();
    }
    int resnet = only == null || only.equals("resnet50") ? resnet50(cl, home, outDir, threads, out, err) : 0;
    return status != 0 ? status : resnet;
  }

  /** ResNet-50 on the drawn samples: compile time, top-5 and latency per image, the jar's path. */
  private static int resnet50(CommandLine cl, Path home, Path outDir, int threads, PrintStream out, PrintStream err) throws Exception {
    Files.createDirectories(outDir.resolve("images"));
    Path jar = outDir.resolve("resnet50.jar");
    String weights = cl.getOptionValue("w");
    Path real = home.resolve("weights/resnet50.safetensors");
    if (weights == null && Files.isRegularFile(real)) weights = real.toString();
    out.println("resnet50: the full ImageNet network, compiled and timed");
    // values attached (--output=PATH): a folder named -old was read by compile's parser as an option of its own
    List<String> compile = new ArrayList<>(List.of(home.resolve("examples/resnet50.net").toString(), "--output=" + jar));
    if (weights != null) compile.add("--weights=" + weights);
    else out.println("note: synthetic weights (no weights/resnet50.safetensors; see weights/README.md for real ImageNet ones): the labels below show the pipeline runs, not what it recognizes");
    int status = new CompileCommand().run(compile.toArray(String[]::new), out, err, false);
    if (status != 0) return status;

    List<Path> images = drawSamples(outDir.resolve("images"));
    try (CompiledModel model = CompiledModel.load(jar, threads)) {
      Preprocess pre = Preprocess.forModel(model); // resize 256, crop 224, as examples/resnet50.net says
      float[] logits = new float[model.outputSize()];
      float[] warm = pre.image(images.get(0)); // decoded and resized outside the timing, as each image below
      long t0 = System.nanoTime();
      model.predict(warm, 1, logits);
      out.printf("first inference (includes JIT warm-up): %.0f ms%n", (System.nanoTime() - t0) / 1e6);
      double median = warmMedianMs(() -> model.predict(warm, 1, logits), 2_000_000_000L, 21);
      for (Path image : images) {
        float[] x = pre.image(image);
        long a = System.nanoTime();
        model.predict(x, 1, logits);
        double ms = (System.nanoTime() - a) / 1e6;
        out.printf("%s (%.1f ms, %s):%n", home.toAbsolutePath().normalize().relativize(image.toAbsolutePath().normalize()), ms, threads(model.threads()));
        for (Prediction p : model.topK(logits, 0, 5)) {
          out.printf("  %6.2f%%  %s%n", p.probability() * 100, p.label());
        }
      }
      out.printf("median of %d calls: %.1f ms an image (%s, %s)%n", 21, median, threads(model.threads()), model.info().kernels());
    }
    out.println("the compiled model: " + jar);
    out.println("  java --add-modules jdk.incubator.vector -jar " + shellWord(jar.toString()) + " " + shellWord(outDir.resolve("images").toString()) + "/*.png");
    return 0;
  }

  /**
   * The median time of {@code calls} calls of {@code call}, in ms, after calling it for {@code warmNanos} (at least five
   * times): warmed for a time, not a count of calls, as the JIT goes on compiling the kernels for seconds after a load.
   */
  static double warmMedianMs(Runnable call, long warmNanos, int calls) {
    long warmEnd = System.nanoTime() + warmNanos;
    for (int i = 0; i < 5 || System.nanoTime() < warmEnd; i++) call.run();
    double[] times = new double[calls];
    for (int i = 0; i < calls; i++) {
      long a = System.nanoTime();
      call.run();
      times[i] = (System.nanoTime() - a) / 1e6;
    }
    java.util.Arrays.sort(times);
    return times[calls / 2];
  }

  /** {@code path} as a shell reads it back: as it is when plain, else in single quotes (a folder with a space in its name). */
  static String shellWord(String path) {
    return path.matches("[A-Za-z0-9_./+:@%=,-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
  }

  /** Draws the sample images: no downloaded photos. */
  static List<Path> drawSamples(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(draw(dir.resolve("goldfish_bowl.png"), 320, 240, g -> {
      g.setPaint(new GradientPaint(0, 0, new Color(40, 90, 160), 0, 240, new Color(10, 30, 70)));
      g.fillRect(0, 0, 320, 240);
      g.setColor(new Color(250, 130, 20));
      g.fillOval(110, 90, 110, 60);
      int[] xs = {210, 260, 260};
      int[] ys = {120, 90, 150};
      g.fillPolygon(xs, ys, 3);
      g.setColor(Color.BLACK);
      g.fillOval(135, 110, 10, 10);
    }));
    out.add(draw(dir.resolve("checkerboard.png"), 256, 256, g -> {
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          g.setColor((x + y) % 2 == 0 ? Color.WHITE : Color.BLACK);
          g.fillRect(x * 32, y * 32, 32, 32);
        }
      }
    }));
    out.add(draw(dir.resolve("traffic_light.png"), 240, 320, g -> {
      g.setColor(new Color(150, 200, 240));
      g.fillRect(0, 0, 240, 320);
      g.setColor(new Color(30, 30, 30));
      g.fillRoundRect(80, 30, 80, 220, 20, 20);
      g.fillRect(112, 250, 16, 70);
      Color[] lights = {new Color(230, 30, 30), new Color(90, 70, 20), new Color(20, 60, 20)};
      for (int i = 0; i < 3; i++) {
        g.setColor(lights[i]);
        g.fillOval(95, 45 + i * 68, 50, 50);
      }
      g.setStroke(new BasicStroke(3));
    }));
    return out;
  }

  private interface Painter {
    void paint(Graphics2D g);
  }

  private static Path draw(Path file, int w, int h, Painter painter) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    painter.paint(g);
    g.dispose();
    // whole or not at all, refused by name: ImageIO.write to a file deletes it first, and the JDK printed a stack trace where it cannot open one
    netc.runtime.io.FileOutput.write(file, out -> ImageIO.write(img, "png", out));
    return file;
  }

  /** "1 thread", "2 threads". */
  static String threads(int n) {
    return n + (n == 1 ? " thread" : " threads");
  }
}
