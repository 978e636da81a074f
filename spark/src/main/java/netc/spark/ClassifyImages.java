package netc.spark;

import static netc.runtime.CommandLineArgs.positive;
import static netc.runtime.CommandLineArgs.value;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Preprocess;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark job: classifies the images of a folder (or a glob) with a compiled model jar and writes
 * one Parquet row per image (path, top labels, probabilities, [logits], error). Run by spark-submit,
 * or by plain java, where it runs in local[*] unless spark.master is set.
 */
public final class ClassifyImages {
  static final String USAGE = String.join("\n",
      "usage: ClassifyImages [options] INPUT MODEL.jar OUTPUT.parquet",
      "  INPUT            a folder (read recursively) or a glob (/data/*.jpg) of PNG and JPEG images, any file system Spark reads",
      "  MODEL.jar        a jar written by netc compile, a file on the driver's disk; the job ships it to the executors",
      "  OUTPUT.parquet   where to write the results; must not exist",
      "options:",
      "  --top K          classes per image (default 5)",
      "  --batch N        images per call of the model (default 16, at most " + NetcClassifier.Options.MAX_BATCH + ")",
      "  --tensors        INPUT is Parquet of ready inputs: columns path (string) and tensor (array<float>, one C x H x W input, NCHW;",
      "                   an array of other numbers, numpy's float64 as array<double>, is cast to float)",
      "  --logits         also write each image's raw outputs (column logits)",
      "  --max-bytes N    files larger than this are error rows, never read (default " + NetcClassifier.DEFAULT_MAX_BYTES + ", 256 MB;"
          + " at most " + NetcClassifier.MAX_ARRAY + ")",
      "  --threads N      the model's threads in each task (default: spark.task.cpus, the cores a task owns); more than 1",
      "                   pays off with one task per executor (spark.task.cpus = spark.executor.cores)",
      "  -h, --help       print this");

  private ClassifyImages() {}

  public static void main(String[] args) {
    // the job's own logging unless its user gives one: Spark's INFO lines, and the stack traces of a failed task that
    // the job's error line says again, buried that line under hundreds (spark-submit sets its own, and so may the user)
    // given by a property, the environment, or a log4j2 file on the class path (as $SPARK_CONF_DIR's): theirs
    ClassLoader loader = ClassifyImages.class.getClassLoader();
    boolean given = System.getProperty("log4j2.configurationFile") != null || System.getProperty("log4j.configurationFile") != null
        || System.getenv("LOG4J_CONFIGURATION_FILE") != null
        || java.util.stream.Stream.of("log4j2-test.properties", "log4j2-test.xml", "log4j2.properties", "log4j2.xml", "log4j2.yaml", "log4j2.json")
            .anyMatch(f -> loader.getResource(f) != null);
    if (!given) {
      java.net.URL own = ClassifyImages.class.getResource("/netc/spark/log4j2.properties");
      if (own != null) System.setProperty("log4j2.configurationFile", own.toString());
    }
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the job; 0 when it wrote its output (bad images are rows, not failures), 1 on a bad input (and when
   * every row is an error: the output is written all the same), 2 on a usage error.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Args a;
    try {
      a = Args.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (a.help) {
      out.println(USAGE);
      return 0;
    }
    // a session of the caller's (a test, a notebook) is used, with its settings, and left running; one made here is stopped
    // by the last run of this JVM using it (another thread's run sees it as the default session, and joins it)
    scala.Option<SparkSession> existing;
    boolean own, joined;
    synchronized (SESSION_LOCK) {
      existing = SparkSession.getActiveSession();
      if (existing.isEmpty()) existing = SparkSession.getDefaultSession();
      own = existing.isEmpty();
      joined = !own && existing.get() == ownSession;
      if (joined) ownUsers++;
    }
    try {
      return run(a, out, err, existing, own, joined);
    } finally {
      if (joined) leaveOwnSession();
    }
  }

  private static final Object SESSION_LOCK = new Object();
  /** The session a run here made, while runs use it (guarded by SESSION_LOCK): stopped by the last to end. */
  private static SparkSession ownSession;
  private static int ownUsers;

  /** Runs of this JVM between their model's check and their end (guarded by SESSION_LOCK): the last lets go of the models. */
  private static int running;

  /**
   * Ends a run: the last of this JVM's runs lets go of the models its tasks loaded here (in local mode, or where it
   * stops the session it started). One run's end dropped another's model mid-job: its later tasks loaded the weights
   * again beside the copy its running tasks held.
   */
  private static void endRun(boolean release) {
    synchronized (SESSION_LOCK) {
      releaseWanted |= release;
      if (--running == 0 && releaseWanted) {
        releaseWanted = false;
        NetcClassifier.releaseModels();
      }
    }
  }

  /** Whether a run that ended while others ran would have let go of the models (guarded by SESSION_LOCK). */
  private static boolean releaseWanted;

  private static void leaveOwnSession() {
    synchronized (SESSION_LOCK) {
      if (--ownUsers == 0 && ownSession != null) {
        ownSession.stop();
        ownSession = null;
      }
    }
  }

  private static int run(Args a, PrintStream out, PrintStream err, scala.Option<SparkSession> existing, boolean own, boolean joined) {
    SparkConf conf = own ? new SparkConf().setAppName("netc classify " + Path.of(a.model).getFileName()) : existing.get().sparkContext().getConf();
    if (!conf.contains("spark.master")) conf.setMaster("local[*]");
    int threads, tasks;
    NetcClassifier.Options options;
    Path shipped;
    try {
      threads = a.threads > 0 ? a.threads : positiveInt(conf, "spark.task.cpus");
      options = new NetcClassifier.Options(a.top, a.batch, a.logits, threads);
      tasks = tasksPerExecutor(conf);
      // the jar as checked: what is shipped must be that file
      netc.runtime.io.FileIdentity checked = Files.isRegularFile(Path.of(a.model)) ? netc.runtime.io.FileIdentity.of(Path.of(a.model)) : null;
      checkModel(a.model, a.tensors, a.logits, a.batch, tasks, conf);
      // shipped to every executor, and named by its bare name: NetcClassifier looks such a name up among the shipped files.
      // Always a copy, of the jar checked, made before Spark starts: Spark's file server reads a path when each executor
      // first asks for it, so the jar's own path, recompiled during a long job, gave later executors (dynamic allocation,
      // replaced ones) the new model, some rows answered by each; a jar replaced between the check and the copy is refused
      shipped = stamped(Path.of(a.model));
      checked.requireUnchanged(Path.of(a.model));
    } catch (IOException e) {
      err.println("error: cannot read " + a.model + " (" + netc.runtime.io.FileOutput.reason(e) + ")");
      return 1;
    } catch (BadInputException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (OutOfMemoryError e) {
      // CompiledModel.load's own, saying what the weights need: the driver's heap is not the executors'
      err.println("error: " + firstLine(e) + " (the driver loads the model to check it before the job: spark-submit sets its heap with"
          + " --driver-memory)");
      return 1;
    }
    if (threads > 1 && tasks > 1) {
      err.println("warning: " + threads + " threads with " + tasks + " tasks per executor: netc's thread pool serves one model call at a time,"
          + " a task that finds it busy runs on one thread; more threads pay off with one task per executor (spark.task.cpus = spark.executor.cores)");
    }
    synchronized (SESSION_LOCK) {
      running++;
    }
    SparkSession spark;
    boolean started = false;
    try {
      // the caller's session as it is: a builder given its settings would write them back over the session's runtime SQL ones
      if (own) {
        synchronized (SESSION_LOCK) {
          // another thread's run may have made one since: join it (getOrCreate would return it, and this run stop it under the other)
          scala.Option<SparkSession> now = SparkSession.getDefaultSession();
          if (now.isDefined() && now.get() == ownSession) {
            spark = ownSession;
          } else {
            spark = SparkSession.builder().config(conf).getOrCreate();
            ownSession = spark;
          }
          ownUsers++;
        }
      } else {
        spark = existing.get();
      }
      started = true;
    } catch (Exception e) { // a master URL Spark cannot parse or reach: one line, not Spark's stack trace
      err.println("error: Spark did not start (master " + conf.get("spark.master") + "): " + message(e));
      return 1;
    } finally {
      if (!started) endRun(false); // an Error too (a class Spark lacks, an out-of-memory): the count of runs must come down
    }
    org.apache.hadoop.fs.FileSystem outFs = null;
    org.apache.hadoop.fs.Path outPath = null;
    boolean writing = false, wrote = false;
    try {
      // refused before the input is listed and the job run, not by the write at the job's end
      outPath = new org.apache.hadoop.fs.Path(a.output);
      org.apache.hadoop.fs.FileSystem fs = outPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(outPath)) {
        err.println("error: " + a.output + " already exists: the job writes a new folder (remove it, or name another)");
        return 1;
      }
      outFs = fs; // looked up and not there: a folder there after a failed write is this run's
      spark.sparkContext().addFile(shipped.toString());
      String model = shipped.getFileName().toString();
      long t0 = System.nanoTime();
      Dataset<Row> results = a.tensors ? tensors(spark, a.input, model, options)
          : NetcClassifier.classify(NetcClassifier.readImages(spark, a.input, a.maxBytes), model, options);
      writing = true;
      results.write().parquet(a.output);
      wrote = true;
      double seconds = (System.nanoTime() - t0) / 1e9;
      Dataset<Row> written = spark.read().parquet(a.output);
      long rows = written.count(), errors = written.filter(written.col(NetcClassifier.ERROR).isNotNull()).count();
      if (rows == 0) {
        // an empty folder is no job done: a pipeline must not record it as a success
        err.println("error: " + a.input + " holds no " + (a.tensors ? "rows" : "files") + ": nothing was classified (" + a.output
            + " is removed)");
        removeQuietly(outFs, outPath, err);
        return 1;
      }
      out.printf("wrote %s: %d rows, %d of them errors, in %.1f s (%.1f rows/s; Spark's start not counted)%n", a.output, rows, errors, seconds,
          rows / seconds);
      if (errors == rows) {
        // a bad image is a row, but no good one at all is the job's problem (executors that cannot see a folder only
        // the driver has, tensors of another model's size): a pipeline must not record it as a success
        String first = written.filter(written.col(NetcClassifier.ERROR).isNotNull()).select(NetcClassifier.ERROR).first().getString(0);
        err.println("error: every row is an error, as " + first + " (each row's in the " + NetcClassifier.ERROR + " column of " + a.output + ")");
        return 1;
      }
      return 0;
    } catch (Exception e) { // AnalysisException is not a RuntimeException
      err.println("error: " + message(e));
      // a write that failed leaves the folder it began (Spark's abort removes only its _temporary), and the
      // next run would be refused by it: this run made it, so it goes; but not one another job made since the
      // check above, which Spark's write refuses before it writes anything
      if (writing && !wrote && !condition(e, "PATH_ALREADY_EXISTS")) removeQuietly(outFs, outPath, err);
      return 1;
    } finally {
      if (own) leaveOwnSession();
      // in local mode the tasks loaded the model into this JVM: let go of it with the last job (in a caller's session too,
      // where each recompiled jar is shipped under a name of its own and the earlier ones' models would stay)
      endRun(own || conf.get("spark.master", "").startsWith("local"));
    }
  }

  /** Whether {@code e} or one of its causes is Spark's error of this condition (its error class); causes walked as {@link #message} walks them. */
  static boolean condition(Throwable e, String condition) {
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof org.apache.spark.SparkThrowable s && condition.equals(s.getCondition())) return true;
    }
    return false;
  }

  private static void removeQuietly(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path path, PrintStream err) {
    try {
      if (fs.exists(path) && !fs.delete(path, true)) err.println("warning: could not remove the unfinished " + path);
    } catch (IOException | RuntimeException e) {
      err.println("warning: could not remove the unfinished " + path + " (" + message(e) + ")");
    }
  }

  /**
   * A copy of {@code jar} named after its contents (r50-3f2a9c0b1d4e5f60.jar: the first 64 bits of its
   * SHA-256), in one folder for this JVM, to ship: Spark ships a path once per session and keeps the first
   * copy, so a jar recompiled at the same path was classified with its old model, without a word, in a
   * session that outlives the job; and within a job it reads the path when each executor first asks. Under
   * its contents' name a new jar is shipped; the same jar again is the same file at the same path (made
   * once), which Spark's file server requires of a name it serves.
   */
  static Path stamped(Path jar) throws IOException {
    String name = jar.getFileName().toString(), base = name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    // Spark's addFile takes the path as a URI: "hash#x.jar" was cut at its '#' ("File file:/.../hash does not exist")
    base = base.replaceAll("[^\\p{L}\\p{N}._ -]", "_");
    java.security.MessageDigest sha;
    try {
      sha = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
    // hashed as copied: a jar rewritten between a hash and a copy would have shipped its new model under the old one's name
    Path part = Files.createTempFile(shipFolder(), base, ".part");
    try {
      try (var in = new java.security.DigestInputStream(Files.newInputStream(jar), sha); var out = Files.newOutputStream(part)) {
        in.transferTo(out);
      }
      String digest = java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
      Path copy = part.resolveSibling(base + "-" + digest + ".jar");
      if (!Files.isRegularFile(copy)) {
        Files.move(part, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        copy.toFile().deleteOnExit();
      }
      return copy;
    } finally {
      Files.deleteIfExists(part); // the same jar shipped before, or a failed copy
    }
  }

  private static Path shipFolder;

  /** The folder of {@link #stamped}'s copies, made once for this JVM and deleted when it exits (with its copies). */
  private static synchronized Path shipFolder() throws IOException {
    if (shipFolder == null) {
      shipFolder = Files.createTempDirectory("netc-ship");
      shipFolder.toFile().deleteOnExit(); // registered first: deleteOnExit runs in reverse order, so after its files
    }
    return shipFolder;
  }

  /** classifyTensors of the Parquet at {@code input}: a refusal of its tensor column names the file too. */
  private static Dataset<Row> tensors(SparkSession spark, String input, String model, NetcClassifier.Options options) {
    Dataset<Row> parquet = spark.read().parquet(input);
    try {
      return NetcClassifier.classifyTensors(parquet, model, options);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(input + ": " + e.getMessage(), e); // netc's message, which message(e) prints rather than its cause's
    }
  }

  /**
   * Refuses, on the driver and before Spark starts, a jar that holds no model, one that takes no images
   * when given images, and a {@code --batch} whose inputs or outputs would not fit a Java array (each task
   * holds a batch's in one), or together not in an executor's heap (every task would fail).
   *
   * @throws OutOfMemoryError CompiledModel.load's, saying how much heap the weights need
   */
  private static void checkModel(String jar, boolean tensors, boolean logits, int batch, int tasks, SparkConf conf) {
    Path path = Path.of(jar);
    netc.runtime.io.RegularFile.require(path, ""); // a folder or a pipe named as such, not "no such file"
    try (CompiledModel m = loadForCheck.apply(path, 1)) {
      if (!tensors) {
        try {
          Preprocess.forModel(m);
        } catch (IllegalArgumentException e) { // "the model digits takes [1, 32, 32] tensors, not RGB images": which jar, and what it takes
          throw new IllegalArgumentException(jar + ": " + e.getMessage() + ": give it tensors, --tensors IN.parquet", e);
        }
      }
      // a map has no classes to rank: every row was an error after the whole job's inference
      if (!logits && !m.info().classScores()) {
        throw new IllegalArgumentException(jar + ": the model " + m.info().notClassScores() + ":"
            + " --logits gives its outputs (labels and probabilities null)");
      }
      String tooLarge = m.batchTooLarge(batch);
      if (tooLarge != null) throw new IllegalArgumentException("--batch " + batch + ": " + tooLarge);
      long bytes = 4 * NetcClassifier.batchFloats(m, batch);
      // local mode runs the tasks in this JVM; an executor's heap is spark.executor.memory (MiB unless it says), 1g by default;
      // an executor runs `tasks` tasks at once, each with a batch of its own
      boolean local = LOCAL.matcher(conf.get("spark.master", "")).matches();
      long heap = local ? Runtime.getRuntime().maxMemory() : conf.getSizeAsMb("spark.executor.memory", "1g") << 20;
      int together = Math.max(1, tasks);
      if (bytes > heap / together) {
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--batch %d: a batch's inputs and outputs take %,d bytes%s, more"
            + " than %s: lower --batch or raise %s", batch, bytes,
            together == 1 ? "" : String.format(java.util.Locale.ROOT, ", %,d bytes for the %d tasks %s runs at once", bytes * together, together,
                local ? "this JVM" : "an executor"),
            String.format(java.util.Locale.ROOT, local ? "this JVM's heap of %,d MB (local mode runs the tasks in it)" : "an executor's heap of %,d MB", heap >> 20),
            local ? "--driver-memory (-Xmx)" + (together == 1 ? "" : " or run fewer tasks (local[N])")
                : "spark.executor.memory (--executor-memory)" + (together == 1 ? "" : " or lower spark.executor.cores")));
      }
    }
  }

  /** A master that runs the tasks in the driver's JVM: local, local[N], local[*], local[N,F]. */
  private static final java.util.regex.Pattern LOCAL = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");

  /** How the driver loads the model it checks: CompiledModel.load, which tests replace to fail as it may (out of memory). */
  static java.util.function.BiFunction<Path, Integer, CompiledModel> loadForCheck = CompiledModel::load;

  /**
   * Tasks one executor runs at once: its cores (local[N]: N) over spark.task.cpus. 1 when its cores
   * are not set (standalone then gives an executor all of a worker's cores, not known here): no warning.
   */
  private static int tasksPerExecutor(SparkConf conf) {
    java.util.regex.Matcher local = LOCAL.matcher(conf.get("spark.master", ""));
    int cores = !local.matches() ? positiveInt(conf, "spark.executor.cores")
        : local.group(1) == null ? 1 : local.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : positive(local.group(1), "spark.master's local[N]");
    return cores / positiveInt(conf, "spark.task.cpus");
  }

  /** A count from Spark's configuration (1 when unset). @throws IllegalArgumentException naming the key, for anything but a whole number >= 1 */
  static int positiveInt(SparkConf conf, String key) {
    return positive(conf.get(key, "1"), key);
  }

  /**
   * The one line printed for a failed job. A task's failure reaches the driver wrapped by Spark ("Job
   * aborted due to stage failure: ... SparkException: [TASK_WRITE_FAILED] Task failed while writing rows
   * to ...", its first line naming none of the reason), netc's own message deeper in the causes: so the
   * first BadInputException or OutOfMemoryError down the chain (netc's, saying what is wrong and where;
   * what it wraps is detail), else the root cause (Spark's own refusals, no such input or an output that
   * exists, are their own root). An OutOfMemoryError that wraps none is the JVM's own, and named as one.
   */
  static String message(Throwable e) {
    Throwable root = e;
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof BadInputException) return firstLine(t);
      if (t instanceof OutOfMemoryError) return t.getCause() instanceof OutOfMemoryError ? firstLine(t) : BadInputException.oneLine(t.toString());
      root = t;
    }
    return firstLine(root);
  }

  /**
   * The first line of {@code t}'s message (its class when it has none); a file system's error with its file and
   * reason ("/models/r50.jar: no such file or directory", where its message is the path alone).
   */
  private static String firstLine(Throwable t) {
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
      m = f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + netc.runtime.io.FileOutput.reason(f);
    }
    return BadInputException.oneLine(m.lines().findFirst().orElse(m));
  }

  /** The job's command line. */
  static final class Args {
    boolean help, logits, tensors;
    int top = 5, batch = 16, threads = -1;
    long maxBytes = NetcClassifier.DEFAULT_MAX_BYTES;
    String input, model, output;

    static Args parse(String[] args) {
      Args o = new Args();
      List<String> positional = new ArrayList<>();
      java.util.Set<String> given = new java.util.HashSet<>();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        netc.runtime.CommandLineArgs.once(given, a);
        switch (a) {
          case "-h", "--help" -> o.help = true;
          case "--logits" -> o.logits = true;
          case "--tensors" -> o.tensors = true;
          case "--top" -> o.top = positive(value(args, ++i, a), a);
          case "--batch" -> o.batch = positive(value(args, ++i, a), a, NetcClassifier.Options.MAX_BATCH);
          case "--threads" -> o.threads = positive(value(args, ++i, a), a, netc.runtime.CommandLineArgs.MAX_THREADS);
          case "--max-bytes" -> o.maxBytes = positive(value(args, ++i, a), a, NetcClassifier.MAX_ARRAY); // a file is read into one array
          default -> {
            if (a.startsWith("--")) throw new IllegalArgumentException("unknown option " + a);
            positional.add(a);
          }
        }
      }
      if (o.help) return o;
      if (positional.size() != 3) throw new IllegalArgumentException("expected INPUT MODEL.jar OUTPUT.parquet, got " + positional.size() + " arguments");
      if (o.tensors && given.contains("--max-bytes")) throw new IllegalArgumentException("--max-bytes bounds image files; --tensors reads none");
      o.input = positional.get(0);
      o.model = positional.get(1);
      try {
        Path.of(o.model); // a character no path holds (a NUL): one line, not the stack trace of the first Path.of
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalArgumentException("MODEL.jar " + o.model + ": not a path (" + e.getReason() + ")");
      }
      o.output = positional.get(2);
      return o;
    }
  }
}
