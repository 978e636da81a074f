package netc.runtime;

import static netc.runtime.CommandLineArgs.positive;
import static netc.runtime.CommandLineArgs.value;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.io.FileOutput;
import netc.runtime.io.Npy;

/**
 * The entry point of a compiled jar: classifies images or camera frames (top-5 with labels), or runs
 * raw NCHW tensors from .npy files. Each bad input gets one line naming the file and the problem; the
 * other inputs of the call are still processed, and the exit status is 1 if any failed.
 */
public final class Main {
  private static final String USAGE = String.join("\n",
      "usage: java -jar MODEL.jar [options] IMAGE...        (- : one read from standard input)",
      "       java -jar MODEL.jar --input X.npy --output Y.npy",
      "       java -jar MODEL.jar --yuv i420|nv12|nv21|yuyv[-full] --size WxH FRAME...",
      "options:",
      "  --top K          classes to print per image (default 5)",
      "  --threads N      threads, at most " + CommandLineArgs.MAX_THREADS + " (default: available processors)",
      "  --resize N       shorter side after resizing (default: the model's, see --info)",
      "  --crop N         center crop: the model's input size, the only one it takes (the default)",
      "  --interpolation bilinear|bicubic",
      "                   the resize's filter (default: the model's, see --info)",
      "  --time           print the latency of each inference",
      "  --info           print the model, the kernels this machine runs and the CPU, then exit",
      "  -h, --help       print this help",
      "  --               the arguments after it are files, even those that begin with -",
      "exit status: 0 all answered, 1 an input or the output failed (the others still answered), 2 a wrong call",
      "images and frames: at most " + ImageLimits.DEFAULT_MAX_PIXELS / 1_000_000 + " megapixels and " + ImageLimits.DEFAULT_MAX_SIDE
          + " pixels a side (-D" + ImageLimits.MAX_PIXELS_PROPERTY + "=N, -D" + ImageLimits.MAX_SIDE_PROPERTY + "=N allow more)",
      "kernels: -Dnetc.vectorBits=512|256|128|0 overrides the vector width chosen from the machine",
      "         -Dnetc.vectorRegisters=16|32 and -Dnetc.tightTiles=true|false the register file and cut of the tiles (--info: which run)",
      "the Vector API: without --add-modules jdk.incubator.vector the jar restarts its JVM with it (-D" + Relaunch.PROPERTY + "=false: don't)");

  private Main() {}

  public static void main(String[] args) {
    Relaunch.withVectorModule(Main.class, args); // returns only when this JVM has the module, or must run without it
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, Main.class.getClassLoader());
  }

  /** {@link #run(String[], PrintStream, PrintStream)} with the model found on {@code loader}. */
  static int run(String[] args, PrintStream out, PrintStream err, ClassLoader loader) {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (o.help) {
      out.println(USAGE);
      out.println("this machine runs: " + netc.runtime.kernels.Kernels.INSTANCE.variant() + " on " + netc.runtime.kernels.Kernels.cpuModel());
      return written(out, err);
    }
    String overwrite = o.output == null ? null : overwritten(o.input, o.output);
    if (overwrite != null) { // before the model loads and the input is read
      err.println("error: " + overwrite);
      return 2;
    }
    if (o.output != null) {
      try {
        FileOutput.checkWritable(Path.of(o.output)); // before the weights load, not after: as netc's commands check theirs
      } catch (BadInputException | java.nio.file.InvalidPathException e) {
        err.println(errorLine(o.output, e));
        return 1;
      }
    }
    CompiledModel model;
    try {
      model = CompiledModel.load(loader, o.threads);
    } catch (BadInputException | OutOfMemoryError e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    if (o.info) {
      out.println(model.info().describe());
      out.println("cpu: " + netc.runtime.kernels.Kernels.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
      out.println("threads: " + model.threads() + (o.threadsGiven ? " (--threads)" : " (the default: the processors, at most " + CommandLineArgs.MAX_THREADS + ")"));
      out.println("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      return written(out, err);
    }
    if ("true".equals(model.property("weights.synthetic"))) {
      err.println("note: this model was compiled with synthetic weights (no --weights given to netc compile); its classes mean nothing");
    }
    if (o.input != null) return runTensor(model, o, out, err);
    if (o.files.isEmpty()) {
      err.println("error: give images, frames, or --input X.npy --output Y.npy");
      err.println(USAGE);
      return 2;
    }
    int[] shape = model.inputShape();
    int crop = o.crop > 0 ? o.crop : shape[1];
    ModelInfo.Preprocessing own = model.info().preprocess();
    int resize = o.resize > 0 ? o.resize : own != null ? own.resize() : crop;
    Preprocess.Interpolation filter = o.interpolation != null ? o.interpolation : own != null ? own.interpolation() : Preprocess.Interpolation.BILINEAR;
    if (shape[0] != 3 || shape[1] != shape[2]) { // no crop of an image gives it (compile said "it takes no images")
      err.println("error: the model takes tensors of " + shape[0] + "x" + shape[1] + "x" + shape[2] + ", not images (which preprocess to 3"
          + " channels of a square crop): give it --input X.npy --output Y.npy");
      return 2;
    }
    if (shape[1] != crop) {
      err.println("error: images preprocess to 3x" + crop + "x" + crop + (o.crop > 0 ? " (--crop " + crop + ")" : "")
          + ", the model takes " + shape[0] + "x" + shape[1] + "x" + shape[2]);
      return 2;
    }
    if (resize < crop) { // every image would be too small for the crop: one error for the call, not one per file
      err.println("error: " + (o.resize > 0 ? "--resize " + resize : "the model's resize of " + resize) + " is smaller than the crop of " + crop
          + ": images are resized to that shorter side, then center-cropped to " + crop + "x" + crop);
      return 2;
    }
    try { // a bad -Dnetc.image.* value, or a --size no frame can have, is one error for the call, not one per file
      ImageLimits.limit(ImageLimits.MAX_PIXELS_PROPERTY, ImageLimits.DEFAULT_MAX_PIXELS);
      ImageLimits.limit(ImageLimits.MAX_SIDE_PROPERTY, ImageLimits.DEFAULT_MAX_SIDE);
      if (o.yuv != null) Yuv.frameBytes(o.yuv, o.width, o.height, "--size " + o.width + "x" + o.height);
    } catch (BadInputException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    if (!model.info().classScores()) { // top-k of a map ranked its positions as classes
      err.println("error: the model " + model.info().notClassScores() + ": run it on tensors, --input X.npy --output Y.npy");
      return 2;
    }
    String unnormalized = unnormalizedImport(model.info());
    if (unnormalized != null) err.println(unnormalized);
    Preprocess pre = new Preprocess(resize, crop, filter);
    int failures = 0;
    for (String file : o.files) {
      if (!classify(model, pre, o, file, out, err)) failures++;
      // PrintStream keeps its write errors to itself: a full disk or a closed pipe (| head) lost every answer, exit 0,
      // and the images went on being classified for no reader
      if (out.checkError()) {
        err.println(STDOUT_FAILED);
        return 1;
      }
    }
    return failures == 0 ? 0 : 1;
  }

  /**
   * {@code text} (a file name, a label) with the characters that break a line escaped: control characters as
   * {@code \n}, {@code \xNN}, and the line and paragraph separators as {@code \u2028}. Nothing else: a label's
   * zero-width joiner (Persian, Hindi) or a long path stays as it is, unlike an error message's quoting.
   */
  static String oneLine(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') b.append("\\n");
      else if (c == '\r') b.append("\\r");
      else if (c == '\t') b.append("\\t");
      else if (Character.isISOControl(c)) b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
      else if (c == '\u2028' || c == '\u2029') b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      else b.append(c);
    }
    return b.toString();
  }

  /** 0 when everything printed to {@code out} reached it, else 1 with {@link #STDOUT_FAILED}: a script reading --info must not take half of it. */
  private static int written(PrintStream out, PrintStream err) {
    if (!out.checkError()) return 0;
    err.println(STDOUT_FAILED);
    return 1;
  }

  static final String STDOUT_FAILED = "error: cannot write to standard output (closed, or its disk full): stopped";

  /**
   * The note for images given to a model imported from ONNX that declares no normalization, or null: a
   * classifier exported from torchvision takes normalized tensors and its graph does not say so, so
   * unless it was compiled with --imagenet (or --mean and --std) its answers for [0, 1] pixels are wrong.
   */
  static String unnormalizedImport(ModelInfo info) {
    boolean imported = info.spec() != null && info.spec().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
    if (!imported || info.preprocess() == null || info.preprocess().normalizes()) return null;
    return "note: this model, imported from " + info.spec() + ", declares no input normalization, so images reach it as pixels in"
        + " [0, 1]; a classifier exported from torchvision expects ImageNet's (netc compile " + info.spec() + " --imagenet -o OUT.jar)";
  }

  /**
   * Classifies one image or frame and prints its top classes, or prints one error line: false then.
   * Whatever goes wrong with one file, the others of the call still get their answers.
   */
  private static boolean classify(CompiledModel model, Preprocess pre, Options o, String file, PrintStream out, PrintStream err) {
    boolean stdin = STDIN.equals(file);
    String name = stdin ? STDIN_NAME : file;
    try {
      float[] x = stdin ? fromStandardInput(pre, o) : o.yuv == null ? pre.image(Path.of(file)) : pre.frame(Path.of(file), o.yuv, o.width, o.height);
      float[] logits = new float[model.outputSize()];
      long t0 = System.nanoTime();
      model.predict(x, 1, logits);
      double ms = (System.nanoTime() - t0) / 1e6;
      // ranked before anything is printed: logits with no ranking (NaN, infinite) are an error line, not a header without classes
      List<Prediction> top = model.topK(logits, 0, o.top);
      // the name escaped (a newline in it made result lines of its own), the numbers with a point whatever the locale
      out.println(oneLine(name) + (o.time ? String.format(java.util.Locale.ROOT, " (%.1f ms)", ms) : "") + ":");
      for (Prediction p : top) out.printf(java.util.Locale.ROOT, "  %6.2f%%  %s%n", p.probability() * 100, oneLine(p.label()));
      return true;
    } catch (RuntimeException | OutOfMemoryError e) {
      report(err, name, e);
    }
    return false;
  }

  /** The file argument that stands for standard input, as cat and most tools take it; a file of that name is {@code ./-}. */
  static final String STDIN = "-";

  /** How standard input is named in the output and the messages. */
  static final String STDIN_NAME = "standard input";

  /**
   * The image or frame on standard input ({@code cat photo.jpg | java -jar m.jar -}): an encoded image read to its end
   * (at most {@link Preprocess#MAX_STREAM_BYTES}), or a frame of exactly the bytes {@code --yuv} and {@code --size} give.
   */
  private static float[] fromStandardInput(Preprocess pre, Options o) {
    if (o.yuv == null) return pre.image(System.in, STDIN_NAME);
    long bytes = Yuv.frameBytes(o.yuv, o.width, o.height, STDIN_NAME); // within the image limits: an int
    byte[] data;
    try {
      data = System.in.readNBytes((int) bytes + 1); // one more: a stream longer than a frame is refused, not cut
    } catch (java.io.IOException e) {
      throw new BadInputException(STDIN_NAME + ": cannot read (" + e.getMessage() + ")", e);
    }
    if (data.length > bytes) { // read no further than one byte past the frame: its real length is not known
      throw new BadInputException(STDIN_NAME + ": more than " + bytes + " bytes, but a " + o.width + "x" + o.height + " " + o.yuv + " frame has "
          + bytes + ": - reads one frame");
    }
    return pre.frame(data, o.yuv, o.width, o.height, STDIN_NAME);
  }

  private static int runTensor(CompiledModel model, Options o, PrintStream out, PrintStream err) {
    try {
      Path target = Path.of(o.output);
      Tensor x = Npy.readBatch(Path.of(o.input), model.inputShape(), "the model");
      long t0 = System.nanoTime();
      int n = x.shape()[0];
      // [N, C, H, W] for a model that gives a map, as netc run --reference writes it, not [N, C * H * W]
      Tensor y = model.predict(x).reshape(model.outputShape(n));
      double ms = (System.nanoTime() - t0) / 1e6;
      Npy.write(target, y);
      PrintStream status = FileOutput.isStandardOutput(target) ? err : out; // not into the data written there
      status.printf(java.util.Locale.ROOT, "wrote %s %s (%.1f ms for %d image%s)%n", oneLine(o.output), java.util.Arrays.toString(y.shape()), ms, n,
          n == 1 ? "" : "s");
      if (status.checkError()) {
        err.println(STDOUT_FAILED);
        return 1;
      }
      return 0;
    } catch (IOException e) {
      err.println("error: cannot write " + o.output + ": " + e.getMessage());
    } catch (RuntimeException | OutOfMemoryError e) {
      report(err, o.input, e);
    }
    return 1;
  }

  /**
   * Why writing {@code output} is refused, or null: it is the input being read, or a jar on this JVM's class
   * path (with java -jar, the jar being run), by path or through a link. No command of netc's writes over
   * its own inputs; netc run refuses the same.
   */
  static String overwritten(String input, String output) {
    Path target;
    try {
      target = Path.of(output);
      if (FileOutput.sameFile(target, Path.of(input))) return "--output " + output + " would overwrite the input being read (--input " + input + ")";
    } catch (java.nio.file.InvalidPathException e) {
      return null; // runTensor says what is wrong with the path
    }
    for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
      try {
        Path jar = Path.of(entry);
        // a folder on the class path cannot be written over: checkWritable refuses it as a folder
        if (!entry.isEmpty() && Files.isRegularFile(jar) && FileOutput.sameFile(target, jar)) {
          return "--output " + output + " would overwrite the jar being run (" + entry + ", on the class path)";
        }
      } catch (java.nio.file.InvalidPathException ignored) {
        // not a path of this system: nothing to overwrite
      }
    }
    return null;
  }

  /** {@link #errorLine}, and for an internal error its stack trace where NETC_DEBUG is set (as netc's own commands do). */
  private static void report(PrintStream err, String file, Throwable e) {
    String line = errorLine(file, e);
    err.println(line);
    if (line.endsWith(INTERNAL) && System.getenv("NETC_DEBUG") != null) e.printStackTrace(err);
  }

  private static final String INTERNAL = " (a netc bug; please report it)";

  /**
   * The one line for what went wrong with {@code file}: a bad input or a refusal with its reason as such, an
   * out-of-memory with the heap to raise, anything else as a netc bug.
   */
  static String errorLine(String file, Throwable e) {
    if (e instanceof BadInputException) return "error: " + e.getMessage();
    if (e instanceof java.nio.file.InvalidPathException p) return "error: " + p.getInput() + ": not a valid path (" + p.getReason() + ")";
    if (e instanceof IllegalArgumentException) return "error: " + file + ": " + e.getMessage(); // NaN logits, a batch past one array
    if (e instanceof OutOfMemoryError) {
      // the model's own workspace says how large it is; a file that itself does not fit is the JVM's
      if (e instanceof Workspace.TooLarge w) {
        return "error: out of memory: " + e.getMessage() + ": raise it with -Xmx"
            + (w.bytes() >= Runtime.getRuntime().maxMemory() ? "" : " (or run fewer threads, --threads)");
      }
      // netc's own, wrapping the JVM's, names the file and what it needed (an image too large to decode in this heap)
      if (e.getCause() instanceof OutOfMemoryError) return "error: " + BadInputException.oneLine(e.getMessage());
      return "error: " + file + ": out of memory (" + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB; raise it with -Xmx)";
    }
    return "error: " + file + ": internal error: " + e + INTERNAL;
  }

  /** Command-line options of a compiled jar. */
  static final class Options {
    boolean help, time, info, threadsGiven;
    String input, output, yuv;
    Preprocess.Interpolation interpolation;
    int width, height, top = 5, resize = -1, crop = -1, threads = CommandLineArgs.defaultThreads();
    final List<String> files = new ArrayList<>();

    static Options parse(String[] args) {
      Options o = new Options();
      java.util.Set<String> given = new java.util.HashSet<>();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--")) { // what follows is files, those named like options too (java -jar m.jar -- "$@")
          o.files.addAll(List.of(args).subList(i + 1, args.length));
          if (o.files.contains("")) throw new IllegalArgumentException("an image's name is empty (\"\")"); // as before --
          break;
        }
        CommandLineArgs.once(given, a);
        switch (a) {
          case "-h", "--help" -> o.help = true;
          case "--time" -> o.time = true;
          case "--info" -> o.info = true;
          case "--input" -> o.input = value(args, ++i, a);
          case "--output" -> {
            o.output = value(args, ++i, a);
            // a folder's name, which Path.of would drop the slash of and write over a file of that name
            if (o.output.endsWith("/")) throw new IllegalArgumentException("--output " + o.output + ": names a folder (it ends in /); give the file to write");
            // a file named "-" was written where standard output was meant
            if (o.output.equals("-")) throw new IllegalArgumentException("--output -: give a file, or /dev/stdout for standard output");
          }
          case "--top" -> o.top = positive(value(args, ++i, a), a);
          case "--threads" -> {
            o.threads = positive(value(args, ++i, a), a, CommandLineArgs.MAX_THREADS);
            o.threadsGiven = true;
          }
          case "--resize" -> o.resize = positive(value(args, ++i, a), a);
          case "--crop" -> o.crop = positive(value(args, ++i, a), a);
          case "--interpolation" -> {
            String v = value(args, ++i, a);
            o.interpolation = Preprocess.Interpolation.named(v);
            if (o.interpolation == null) throw new IllegalArgumentException("--interpolation takes bilinear or bicubic, got " + v);
          }
          case "--yuv" -> {
            o.yuv = value(args, ++i, a);
            if (!Yuv.known(o.yuv)) throw new IllegalArgumentException("--yuv takes " + Yuv.FORMATS + ", got " + o.yuv);
          }
          case "--size" -> {
            String v = value(args, ++i, a);
            String[] wh = v.split("x", -1); // -1: "640x480x" is three parts, not 640x480
            String bad = "--size " + v + ": expected WxH, two positive whole numbers"; // the whole value, not the part that failed
            if (wh.length != 2) throw new IllegalArgumentException(bad);
            try {
              o.width = positive(wh[0], a);
              o.height = positive(wh[1], a);
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(bad);
            }
          }
          default -> {
            if (a.startsWith("--")) throw new IllegalArgumentException("unknown option " + a);
            if (a.isEmpty()) throw new IllegalArgumentException("an image's name is empty (\"\")"); // "" is the current folder to Java
            // netc run's short forms (-i, -o, -t) are not the jar's: refused as options unless a file has that name
            if (a.startsWith("-") && a.length() > 1 && !java.nio.file.Files.exists(java.nio.file.Path.of(a))) {
              throw new IllegalArgumentException("unknown option " + a + " (the jar's options are long ones: --input, --output, --threads, ...)");
            }
            o.files.add(a);
          }
        }
      }
      // an option the mode does not use is refused, not ignored: the user meant something by it
      if (o.info) { // --info printed the model and exited 0, whatever tensors, images or frames came with it
        if (!o.files.isEmpty()) throw new IllegalArgumentException("--info takes no images or frames, got " + o.files.get(0) + ": it prints the model and exits");
        for (String other : List.of("--input", "--output", "--yuv", "--size", "--top", "--time", "--resize", "--crop", "--interpolation")) {
          if (given.contains(other)) throw new IllegalArgumentException(other + " does not apply to --info, which prints the model and exits");
        }
      }
      if (o.files.stream().filter(STDIN::equals).count() > 1) {
        throw new IllegalArgumentException("- (standard input) is given more than once: it holds one image or frame");
      }
      if (o.yuv != null && o.width == 0) throw new IllegalArgumentException("--yuv needs --size WxH");
      if (o.width > 0 && o.yuv == null) throw new IllegalArgumentException("--size applies to --yuv frames; an image's size is in its file");
      if (o.input != null && o.output == null && !o.help) throw new IllegalArgumentException("--input needs --output Y.npy"); // before the weights load
      if (o.output != null && o.input == null) {
        throw new IllegalArgumentException("--output applies to --input X.npy; images and frames get their classes on standard output");
      }
      if (o.input != null) {
        if (!o.files.isEmpty()) throw new IllegalArgumentException("--input X.npy takes no images or frames, got " + o.files.get(0));
        for (String image : List.of("--yuv", "--size", "--top", "--time", "--resize", "--crop", "--interpolation")) {
          if (given.contains(image)) throw new IllegalArgumentException(image + " applies to images and frames, not to --input X.npy");
        }
      }
      return o;
    }
  }
}
