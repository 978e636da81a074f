package netc.spark;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Prediction;
import netc.runtime.Preprocess;
import netc.runtime.Workspace;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Classifies a Dataset of encoded images (Spark's {@code binaryFile} rows: path, content, length) with a
 * compiled model jar: one output row per input row, the top classes or the image's error.
 *
 * <p>Each executor JVM loads the model once (a static cache keyed by the jar's path, size and time) and every task
 * of that executor shares it: {@link CompiledModel#predict} is thread-safe. A partition is decoded
 * and run {@link Options#batch} images at a time. Threads: Spark already runs one task per task slot
 * (executor cores / spark.task.cpus). A model asked for more than one thread runs on netc's thread
 * pool of that size, one per JVM, which serves one call at a time: a call that finds it busy runs
 * on its own thread. So threads &gt; 1 pay off with one task per executor (spark.task.cpus = executor
 * cores); with several tasks per executor, one thread each is the setting.
 */
public final class NetcClassifier {
  /** The output columns: path, labels, probabilities, [logits], error. */
  public static final String PATH = "path", LENGTH = "length", CONTENT = "content", TENSOR = "tensor", LABELS = "labels", PROBABILITIES = "probabilities", LOGITS = "logits", ERROR = "error";

  /** The path written for an input row whose path is null. */
  public static final String NO_PATH = "(no path)";

  /**
   * The models this JVM holds, by jar as read (path, size, time) and thread count, least recently used first;
   * guarded by itself. They live as long as the executor, their jar, until {@link #releaseModels}, or until
   * {@link #MAX_MODELS} others were used since.
   */
  private static final java.util.Map<Jar, Loaded> MODELS = new java.util.LinkedHashMap<>(16, 0.75f, true);

  /**
   * The models an executor keeps loaded at most. A long-lived session that loads jar after jar (each
   * recompile shipped under a new name, or versioned paths: v1.jar, v2.jar) would otherwise keep every
   * one's weights and class loader on every executor, since only the driver can call {@link
   * #releaseModels}; four leave room for a job that runs a few models side by side. Past it, loading a model
   * lets go of the least recently used that no task holds (closed; a later task needing it loads it again); while
   * tasks hold them all, it holds more.
   */
  static final int MAX_MODELS = 4;

  private NetcClassifier() {}

  /**
   * How to classify.
   *
   * @param top classes per image, most probable first
   * @param batch images per call of the model
   * @param logits whether to write each image's raw outputs too
   * @param threads the model's threads in a call (see the class comment: more than one pays off with
   *     one task per executor)
   */
  public record Options(int top, int batch, boolean logits, int threads) implements Serializable {
    /** Largest batch: a batch's tensors are held at once (3 x 224 x 224 floats, 600 KB, per image). */
    public static final int MAX_BATCH = netc.runtime.CommandLineArgs.MAX_BATCH;

    public Options {
      if (top < 1) throw new IllegalArgumentException("top: must be at least 1, got " + top);
      if (batch < 1 || batch > MAX_BATCH) throw new IllegalArgumentException("batch: must be 1 to " + MAX_BATCH + ", got " + batch);
      // the cap ModelLoader applies on each executor's load: refused here, on the driver, before any stage ran
      if (threads < 1 || threads > netc.runtime.CommandLineArgs.MAX_THREADS) {
        throw new IllegalArgumentException("threads: must be 1 to " + netc.runtime.CommandLineArgs.MAX_THREADS + ", got " + threads);
      }
    }

    /** Top 5, batches of 16, no logits, one thread per task. */
    public static Options defaults() {
      return new Options(5, 16, false, 1);
    }
  }

  /**
   * The largest file read as an image by default: Spark holds a file's bytes in one row (2 GB at
   * most), and the largest image netc decodes (50 megapixels) is a fraction of this, even as a PNG.
   */
  public static final long DEFAULT_MAX_BYTES = 256L << 20;

  /**
   * The files of {@code input} (a folder, read recursively, a file, or a glob; a folder or file of that
   * very name first, glob characters and all) as rows (path, length, content, error), every file once (a
   * folder under {@code input} that cannot be listed is a row with its error). netc lists them itself (Hadoop's
   * FileSystem, on the driver): Spark's file sources leave out names starting with {@code _} or {@code .} (a
   * camera's {@code _DSC0042.JPG}), and
   * fail the task on a file they cannot read. Each file is read by the task that classifies it: one
   * that cannot be read (deleted since the listing, unreadable, too large for the heap) has null
   * content and its error, an empty one empty content; one over {@code maxBytes} is not read (its
   * content is null, its error null); one that does not start as a PNG or JPEG does has its first 12
   * bytes as content, enough for the decoder's refusal.
   *
   * @throws IllegalArgumentException when nothing matches {@code input} ("Path does not exist: ..."), or
   *     {@code maxBytes} is not 1 to 2,147,483,639 (a file's bytes are read into one Java array)
   * @throws BadInputException when {@code input} cannot be listed
   */
  public static Dataset<Row> readImages(SparkSession spark, String input, long maxBytes) {
    // a larger limit would let a file's length pass that its array cannot take: 3 GB cast to an int is negative, 4 GiB + 100 is 100
    if (maxBytes < 1 || maxBytes > MAX_ARRAY) {
      throw new IllegalArgumentException("maxBytes: must be 1 to " + MAX_ARRAY + " (a file's bytes are read into one Java array), got " + maxBytes);
    }
    // the session's: with the keys set at run time (spark.conf().set("fs.s3a...")), as Spark's own file sources read them
    org.apache.hadoop.conf.Configuration conf = spark.sessionState().newHadoopConf();
    List<Row> listed = list(input, conf);
    // parallelized, not a local relation: a million paths would otherwise travel inside the query plan. Sized by the
    // files too: right after the session starts, a cluster whose executors are still registering reports a low
    // default parallelism (a standalone cluster in client mode: 2)
    int slices = Math.max(1, Math.min(listed.size(), Math.max(spark.sparkContext().defaultParallelism(),
        (listed.size() + FILES_PER_SLICE - 1) / FILES_PER_SLICE))); // no more slices than files: an empty one is a task for nothing
    JavaRDD<Row> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(listed, slices);
    // a listed row's error: a folder that could not be listed
    StructType files = new StructType().add(PATH, DataTypes.StringType, false).add(LENGTH, DataTypes.LongType, false)
        .add(ERROR, DataTypes.StringType, true);
    StructType read = new StructType().add(PATH, DataTypes.StringType, false).add(LENGTH, DataTypes.LongType, false)
        .add(CONTENT, DataTypes.BinaryType, true).add(ERROR, DataTypes.StringType, true);
    return spark.createDataFrame(rdd, files).mapPartitions(new ReadFiles(new HadoopConf(conf), maxBytes), Encoders.row(read));
  }

  /**
   * Every file under the folders and files {@code input} matches, with its length, in listing order. A
   * folder or file of that very name is taken as named, glob characters and all: a folder {@code photos
   * [2024]} matches nothing as a glob ({@code [2024]} is one of the characters 2, 0 and 4), or another
   * folder ({@code photos 2}).
   */
  static List<Row> list(String input, org.apache.hadoop.conf.Configuration conf) {
    org.apache.hadoop.fs.Path pattern = new org.apache.hadoop.fs.Path(input);
    try {
      org.apache.hadoop.fs.FileSystem fs = raw(pattern.getFileSystem(conf));
      org.apache.hadoop.fs.FileStatus[] matched;
      // each call retried as a task's reads are (the driver's own failure ends the job: Spark retries no driver code)
      try {
        matched = new org.apache.hadoop.fs.FileStatus[] {retried(input, () -> fs.getFileStatus(pattern))};
      } catch (java.io.FileNotFoundException notAName) {
        matched = retried(input, () -> fs.globStatus(pattern));
      }
      if (matched == null || matched.length == 0) throw new IllegalArgumentException("Path does not exist: " + fs.makeQualified(pattern));
      List<Row> out = new ArrayList<>();
      java.util.Set<Object> seen = new java.util.HashSet<>(); // folders listed, over every match (a glob may match a folder and a link to it)
      boolean flat = forceFlatListing || flatListing(fs.getUri().getScheme()); // getScheme() is optional for a FileSystem
      for (org.apache.hadoop.fs.FileStatus m : matched) {
        if (!m.isDirectory()) out.add(RowFactory.create(m.getPath().toString(), m.getLen(), null));
        else if (flat) listFlat(fs, m.getPath(), out);
        else walk(fs, m.getPath(), seen, out);
      }
      // a file met twice (a glob matching a folder and a file in it: data/{a,a/x.png}) is one row, classified once
      java.util.Map<String, Row> byPath = new java.util.LinkedHashMap<>();
      for (Row r : out) byPath.merge(r.getString(0), r, (first, again) -> first.isNullAt(2) ? first : again); // a listed file over an error row
      return new ArrayList<>(byPath.values());
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot list " + input + ": " + BadInputException.oneLine(netc.runtime.io.FileOutput.reason(e)), e);
    }
  }

  /**
   * Whether a file system of this scheme is listed with one recursive listing rather than folder by folder: an
   * object store whose connector lists a whole tree as key prefixes, in pages of a thousand keys (S3A, Aliyun
   * OSS), where a call per folder cost a round trip each (ten thousand folders, minutes on the driver before any
   * task). Every other file system is walked (Hadoop's own recursive listing walks it folder by folder anyway),
   * which names a folder that cannot be listed as a row of its own and follows a link once.
   */
  static boolean flatListing(String scheme) {
    return scheme != null && java.util.Set.of("s3a", "oss").contains(scheme);
  }

  /** Tests list a local folder as an object store is listed. */
  static boolean forceFlatListing;

  /**
   * Adds the files under {@code top} to {@code out} from one recursive listing ({@link #flatListing}), read whole
   * within {@link #retried}'s tries (a failure may come with any page: the listing starts again).
   */
  private static void listFlat(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path top, List<Row> out) throws java.io.IOException {
    out.addAll(retried(top.toString(), () -> {
      List<Row> rows = new ArrayList<>();
      org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(top, true);
      while (files.hasNext()) {
        org.apache.hadoop.fs.LocatedFileStatus f = files.next();
        rows.add(RowFactory.create(f.getPath().toString(), f.getLen(), null));
      }
      return rows;
    }));
  }

  /**
   * Adds the files under {@code top} to {@code out}, folders in the order listed, each folder's files where it
   * is met. A folder under it that cannot be listed (a root-only lost+found on a mounted disk) is a row of its
   * own with the error, not the job's end: its files are named as left out. A failure of the storage rather than
   * the folder (see {@link #retried}) is tried again, and if it lasts, ends the listing: a job that left a folder
   * out for a moment's throttling would not say which of its files were never classified. A folder met again through a
   * link (a link to a folder above it would otherwise be followed until the path is too long, every file
   * listed at each depth), or matched twice by a glob, is listed once ({@code seen}: the folders listed so far).
   * {@code top} itself failing to list fails the listing.
   */
  private static void walk(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path top, java.util.Set<Object> seen, List<Row> out)
      throws java.io.IOException {
    if (!seen.add(identity(top))) return;
    java.util.Deque<java.util.Iterator<org.apache.hadoop.fs.FileStatus>> open = new java.util.ArrayDeque<>();
    open.push(withUnlisted(top, retried(top.toString(), () -> fs.listStatus(top)), out).iterator());
    while (!open.isEmpty()) {
      if (!open.peek().hasNext()) {
        open.pop();
        continue;
      }
      org.apache.hadoop.fs.FileStatus f = open.peek().next();
      if (!f.isDirectory()) {
        out.add(RowFactory.create(f.getPath().toString(), f.getLen(), null));
      } else if (seen.add(identity(f.getPath()))) {
        try {
          open.push(withUnlisted(f.getPath(), retried(f.getPath().toString(), () -> fs.listStatus(f.getPath())), out).iterator());
        } catch (java.io.IOException e) { // the folder's own problem (retried() throws the storage's, which ends the listing)
          out.add(RowFactory.create(f.getPath().toString(), 0L, f.getPath() + ": cannot list this folder ("
              + BadInputException.oneLine(netc.runtime.io.FileOutput.reason(e)) + "): the files in it, if any, are not classified"));
        }
      }
    }
  }

  /**
   * The local file system without Hadoop's checksum layer, which hid every file named {@code .NAME.crc} (taken for a
   * checksum) and failed a good image beside a stray one ("Checksum file not a length multiple") or whose name has a
   * colon (".a:b.png.crc" is no URI): images are not files Hadoop wrote. Any other file system as it is.
   */
  static org.apache.hadoop.fs.FileSystem raw(org.apache.hadoop.fs.FileSystem fs) {
    return fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRawFileSystem() : fs;
  }

  /**
   * {@code listed}, the listing of the local folder {@code folder}, as a list; and a row with its error for each name
   * in the folder the listing left out: Hadoop's local listing drops a name whose target it cannot read (a link to a
   * file that is gone, a link to itself), which then had no row at all. Elsewhere the listing as it is.
   */
  private static List<org.apache.hadoop.fs.FileStatus> withUnlisted(org.apache.hadoop.fs.Path folder, org.apache.hadoop.fs.FileStatus[] listed,
      List<Row> out) {
    if (!"file".equals(folder.toUri().getScheme())) return Arrays.asList(listed);
    java.util.Set<String> names = new java.util.HashSet<>();
    // the names as Hadoop's path gives them, decoded (Path.of(uri) refused a URI with a raw é: "Bad escape")
    for (org.apache.hadoop.fs.FileStatus f : listed) names.add(f.getPath().getName());
    try (java.util.stream.Stream<java.nio.file.Path> entries = java.nio.file.Files.list(java.nio.file.Path.of(folder.toUri().getPath()))) {
      for (java.nio.file.Path e : entries.sorted().toList()) {
        String name = e.getFileName().toString();
        if (names.contains(name)) continue;
        String path = folder + "/" + name, why;
        try {
          e.toRealPath(); // what reading it meets: a target gone, a loop of links
          why = "not listed";
        } catch (java.io.IOException x) {
          why = "cannot be read (" + (x instanceof java.nio.file.NoSuchFileException ? "no such file"
              : BadInputException.oneLine(netc.runtime.io.FileOutput.reason(x))) + ")";
        } catch (RuntimeException x) {
          why = "not listed (" + BadInputException.oneLine(String.valueOf(x.getMessage())) + ")";
        }
        try {
          if (java.nio.file.Files.isSymbolicLink(e)) why = "a link to " + java.nio.file.Files.readSymbolicLink(e) + ", which " + why;
        } catch (java.io.IOException | RuntimeException x) {
          // said without its target
        }
        out.add(RowFactory.create(path, 0L, path + ": " + why + ": not classified"));
      }
    } catch (java.io.IOException | RuntimeException e) {
      // listed by Hadoop a moment ago: nothing more to say of it here
    }
    return Arrays.asList(listed);
  }

  /** What tells a folder reached twice: on the local file system its real path (links resolved), elsewhere its path. */
  private static Object identity(org.apache.hadoop.fs.Path folder) {
    if ("file".equals(folder.toUri().getScheme())) {
      try {
        return java.nio.file.Path.of(folder.toUri().getPath()).toRealPath(); // not Path.of(uri): a raw é is a "Bad escape" there
      } catch (java.io.IOException | RuntimeException e) {
        return folder.toString(); // not resolvable: listing it says why
      }
    }
    return folder.toString();
  }

  /**
   * Listed files per task, at most: 500 images are seconds to a minute of a core's work (10 to 100 ms
   * each), so a task's start (milliseconds) is noise, 50,000 images spread as 100 tasks over the
   * executors, and a failed task costs little to run again; a task carries its listed paths, some
   * 50 KB, far under the 1 MB at which Spark warns of large tasks.
   */
  static final int FILES_PER_SLICE = 500;

  /** Hadoop's configuration, carried to the executors (it is Writable, not Serializable). */
  static final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    private transient org.apache.hadoop.conf.Configuration conf;

    HadoopConf(org.apache.hadoop.conf.Configuration conf) {
      this.conf = conf;
    }

    org.apache.hadoop.conf.Configuration get() {
      return conf;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
      out.defaultWriteObject();
      conf.write(out);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
      in.defaultReadObject();
      conf = new org.apache.hadoop.conf.Configuration(false);
      conf.readFields(in);
    }
  }

  /** The bytes that tell the formats apart, as the runtime's decoder reads them (a WebP's signature ends at byte 12). */
  private static final int HEAD_BYTES = 12;

  /**
   * Whether {@code head} starts with a PNG's or a JPEG's signature, the ones the runtime's decoder
   * takes (its check is not public): only such a file is worth reading whole.
   */
  private static boolean pngOrJpeg(byte[] head) {
    return startsWith(head, PNG) || startsWith(head, JPEG);
  }

  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff};

  private static boolean startsWith(byte[] data, byte[] prefix) {
    return data.length >= prefix.length && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** Reads each listed file's bytes as Spark pulls the rows: a partition's files are never all held at once. */
  static final class ReadFiles implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final HadoopConf conf;
    private final long maxBytes;

    ReadFiles(HadoopConf conf, long maxBytes) {
      this.conf = conf;
      this.maxBytes = maxBytes;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> files) {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return files.hasNext();
        }

        @Override
        public Row next() {
          Row f = files.next();
          String path = f.getString(0);
          long length = f.getLong(1);
          if (!f.isNullAt(2)) return RowFactory.create(path, length, null, f.getString(2)); // a folder the listing could not open
          if (length > maxBytes) return RowFactory.create(path, length, null, null);
          if (length == 0) return RowFactory.create(path, length, new byte[0], null); // no read: a pipe or device lists as empty
          try {
            return retried(path, () -> read(path, length));
          } catch (StorageFailure e) {
            throw e;
          } catch (java.io.IOException | RuntimeException e) { // the file's own problem (retried() rethrows the storage's as a task failure)
            return RowFactory.create(path, length, null, path + ": cannot read (" + BadInputException.oneLine(e instanceof java.io.IOException io
                ? netc.runtime.io.FileOutput.reason(io) : String.valueOf(e.getMessage() != null ? e.getMessage() : e)) + ")");
          } catch (OutOfMemoryError e) { // this file's row, not the executor: the other files go on
            return RowFactory.create(path, length, null, path + ": out of memory reading its " + length + " bytes ("
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB heap; raise the executor's memory or lower --max-bytes)");
          }
        }
      };
    }

    /** The row of the listed file {@code path} of {@code length} bytes: its content, or its first bytes where it is no PNG or JPEG. */
    private Row read(String path, long length) throws java.io.IOException {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      try (var in = raw(p.getFileSystem(conf.get())).open(p)) {
        // the first bytes tell the format: a file that is no PNG or JPEG (a video beside the photos) is not
        // read whole, its first bytes alone give the decoder's refusal ("not a PNG or JPEG image (...)")
        byte[] head = new byte[(int) Math.min(HEAD_BYTES, length)];
        try {
          in.readFully(0, head);
          if (!pngOrJpeg(head)) return RowFactory.create(path, length, head, null);
          byte[] content = Arrays.copyOf(head, (int) length);
          in.readFully(head.length, content, head.length, content.length - head.length);
          // longer than listed: a file still being written when the folder was listed, whose prefix would be called truncated
          if (in.read(length, new byte[1], 0, 1) > 0) {
            return RowFactory.create(path, length, null, path + ": changed since it was listed: longer than the " + length
                + " bytes listed (a file still being written?); classify it again once it is whole");
          }
          return RowFactory.create(path, length, content, null);
        } catch (java.io.EOFException e) {
          throw new java.io.EOFException("changed since it was listed: shorter than the " + length + " bytes listed");
        }
      }
    }
  }

  /** An I/O call that may fail. */
  interface IoCall<T> {
    T call() throws java.io.IOException;
  }

  /** Milliseconds before each retry of a storage failure ({@link #retried}); tests shorten them. */
  static long[] retryMillis = {200, 2000};

  /**
   * {@code call}'s result, retried after {@link #retryMillis} where it fails as storage does for a moment (an
   * object store's throttling, a timeout, a data node restarting). A failure that says the file itself is the
   * problem (gone since the listing, not readable by this user, shorter than listed) is thrown at once: the
   * caller makes it the file's row. One that lasts through the retries is thrown as the task's failure, naming
   * {@code what}: Spark runs the task again (spark.task.maxFailures), and if it keeps failing the job ends with
   * it; a row saying "cannot read" would have been a permanent answer to a momentary problem, in a job that
   * exits 0.
   */
  static <T> T retried(String what, IoCall<T> call) throws java.io.IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return call.call();
      } catch (java.io.IOException e) {
        if (permanent(e)) throw e;
        if (attempt == retryMillis.length) {
          throw new StorageFailure(what + ": " + (attempt + 1) + " tries failed (" + BadInputException.oneLine(netc.runtime.io.FileOutput.reason(e))
              + "): the storage's failure, not the file's", e);
        }
        try {
          Thread.sleep(retryMillis[attempt]);
        } catch (InterruptedException stop) { // the task killed (the job cancelled): stop waiting
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** A storage failure that lasted through {@link #retried}'s tries: the task's failure, not a row. */
  static final class StorageFailure extends BadInputException { // the message the driver prints (ClassifyImages.message)
    private static final long serialVersionUID = 1L;

    StorageFailure(String message, java.io.IOException cause) {
      super(message, cause);
    }
  }

  /**
   * Whether {@code e} says the file is the problem, so that reading it again would fail the same way: not found
   * (deleted since the listing; locally also a file this user may not read), permission denied, shorter than
   * listed, a checksum that does not match on every copy (HDFS tried the others), or a block no data node
   * holds. Other failures (an object store's throttling, a timeout, a connector's error it does not classify)
   * are taken for the storage's: retried, then the task's failure.
   */
  static boolean permanent(java.io.IOException e) {
    return e instanceof java.io.FileNotFoundException || e instanceof java.nio.file.NoSuchFileException || e instanceof java.io.EOFException
        || e instanceof java.nio.file.AccessDeniedException || e instanceof org.apache.hadoop.security.AccessControlException
        || e instanceof org.apache.hadoop.fs.ChecksumException || e instanceof org.apache.hadoop.hdfs.BlockMissingException
        || e instanceof org.apache.hadoop.fs.PathNotFoundException
        || e instanceof org.apache.hadoop.fs.PathAccessDeniedException || e instanceof org.apache.hadoop.fs.PathPermissionException;
  }

  /** The schema of {@link #classify}'s output. */
  public static StructType schema(boolean logits) {
    StructType s = new StructType()
        .add(PATH, DataTypes.StringType, false)
        .add(LABELS, DataTypes.createArrayType(DataTypes.StringType, false), true)
        .add(PROBABILITIES, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    if (logits) s = s.add(LOGITS, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    return s.add(ERROR, DataTypes.StringType, true);
  }

  /**
   * Classifies {@code images} (columns {@code path} string and {@code content} binary, as {@code
   * spark.read().format("binaryFile")} gives) with the model in {@code modelJar}: a path each
   * executor can read, or the bare name of a file shipped with the job ({@code --files}, {@code
   * SparkContext.addFile}; a file of that name in the working folder otherwise). An image that cannot be decoded gives
   * a row with its error (labels and probabilities null); no row is dropped. A null path is written as {@link #NO_PATH}.
   * The optional columns {@code length} (the file's size: a content that is null while it is positive was not read)
   * and {@code error} (the file's read error) are cast to long and string: {@code functions.length} gives an int.
   *
   * @throws IllegalArgumentException when {@code content} is not binary, before any task runs
   */
  public static Dataset<Row> classify(Dataset<Row> images, String modelJar, Options options) {
    StructType out = schema(options.logits());
    // cast, as the tasks read them as long and string: another type would fail every task with a ClassCastException
    Column length = hasColumn(images, LENGTH) ? functions.col(LENGTH).cast(DataTypes.LongType) : functions.lit(-1L);
    Column readError = hasColumn(images, ERROR) ? functions.col(ERROR).cast(DataTypes.StringType) : functions.lit(null).cast(DataTypes.StringType);
    // the output's path is not nullable (a binaryFile row always has one): a row without one is named, not a failed task
    Column path = functions.coalesce(functions.col(PATH), functions.lit(NO_PATH));
    return images.select(path, binaryContent(images), length, readError).mapPartitions(new Classify(modelJar, options, false),
        Encoders.row(out));
  }

  /** Whether {@code name} resolves to a column of {@code data} as Spark resolves names (case-insensitively unless spark.sql.caseSensitive). */
  private static boolean hasColumn(Dataset<Row> data, String name) {
    boolean caseSensitive = Boolean.parseBoolean(data.sparkSession().conf().get("spark.sql.caseSensitive", "false"));
    return Arrays.stream(data.columns()).anyMatch(c -> caseSensitive ? c.equals(name) : c.equalsIgnoreCase(name));
  }

  /**
   * The {@code content} column, checked on the driver: the tasks read it as bytes, and a task given
   * another type (a string of the file's text, a path) would fail with a ClassCastException, every task alike.
   */
  private static Column binaryContent(Dataset<Row> images) {
    Column content = functions.col(CONTENT);
    // its type as Spark resolves the name (case-insensitively by default; a missing column is Spark's own one-line refusal)
    DataType type = images.select(content).schema().fields()[0].dataType();
    if (type instanceof BinaryType) return content;
    throw new IllegalArgumentException(CONTENT + ": " + type.simpleString() + ", expected binary (an encoded image's bytes, as"
        + " spark.read().format(\"binaryFile\") gives)");
  }

  /**
   * Runs the model on ready tensors: {@code tensors} has columns {@code path} (string, any name for
   * the row) and {@code tensor} (array&lt;float&gt;: one input in NCHW order, C x H x W values, pixels
   * in [0, 1] for a model that normalizes its input). A tensor of another size, a null one, or one
   * holding a null gives a row with its error; one far outside [0, 1] is answered, as in a single
   * JVM (the model warns once). A null path is written as {@link #NO_PATH}. Output as {@link #classify}.
   * An array of other numbers (array&lt;double&gt;, what numpy's float64 arrays become in Parquet) is
   * cast to float.
   *
   * @throws IllegalArgumentException when {@code tensor} is not an array of numbers (nested arrays, ML
   *     vectors), before any task runs
   */
  public static Dataset<Row> classifyTensors(Dataset<Row> tensors, String modelJar, Options options) {
    StructType out = schema(options.logits());
    // the output's path is not nullable (a binaryFile row always has one): a row without one is named, not a failed task
    Column path = functions.coalesce(functions.col(PATH), functions.lit(NO_PATH));
    return tensors.select(path, floatTensor(tensors), functions.lit(-1L), functions.lit(null).cast(DataTypes.StringType)).mapPartitions(new Classify(modelJar, options, true), Encoders.row(out));
  }

  /**
   * The {@code tensor} column as array&lt;float&gt;, the type the tasks read: checked here, on the
   * driver, since a task given another type would fail with a ClassCastException, and every task
   * alike.
   */
  private static Column floatTensor(Dataset<Row> tensors) {
    Column tensor = functions.col(TENSOR);
    // its type as Spark resolves the name (case-insensitively by default; a missing column is Spark's own one-line refusal)
    DataType type = tensors.select(tensor).schema().fields()[0].dataType();
    if (type instanceof ArrayType array && array.elementType() instanceof NumericType element) {
      return element instanceof FloatType ? tensor : tensor.cast(DataTypes.createArrayType(DataTypes.FloatType, true));
    }
    boolean nested = type instanceof ArrayType array && array.elementType() instanceof ArrayType;
    throw new IllegalArgumentException(TENSOR + ": " + type.simpleString() + ", expected array<float>" + (nested ? " (flatten it)" : ""));
  }

  /**
   * The model of {@code modelJar} in this JVM, loaded on first use, and again when its jar changes
   * (recompiled at the same path). A bare file name is first looked for among the files shipped with
   * the job (SparkFiles): on a cluster the driver's path may not exist on an executor. Held by no task:
   * see {@link #acquire} for a task's use.
   */
  static CompiledModel model(String modelJar, int threads) {
    Loaded l = acquire(modelJar, threads);
    release(l);
    return l.model;
  }

  /**
   * {@link #model}, held for a task until {@link #release}. Loading a new jar first lets go of the
   * models whose jars are gone or changed: in local mode each Spark session ships the jar to a folder of
   * its own, deleted when the session stops, so a long-lived JVM (a notebook, a service) running job
   * after job would otherwise keep every earlier session's model, weights and class loader; and, past
   * {@link #MAX_MODELS}, of the least recently used that no task holds. Such a model is closed once no task holds it: tasks still
   * running on it finish with the model they began with (each partition is answered by one model), later ones
   * get the new jar's.
   */
  static Loaded acquire(String modelJar, int threads) {
    Jar key = locate(modelJar, threads);
    Loaded l;
    synchronized (MODELS) {
      l = MODELS.get(key);
      if (l == null) {
        MODELS.entrySet().removeIf(e -> {
          boolean stale;
          try {
            stale = !e.getKey().equals(Jar.of(e.getKey().path(), e.getKey().threads()));
          } catch (java.io.IOException momentary) { // not a jar gone or changed: kept, as a later look may see it again
            stale = false;
          }
          if (stale) e.getValue().retire();
          return stale;
        });
        // past the limit, the least recently used that no task holds: a held one stays open for its tasks, so letting
        // it go would only have its next task load a second copy beside it. All held: over the limit for a while
        for (var eldest = MODELS.entrySet().iterator(); MODELS.size() >= MAX_MODELS && eldest.hasNext(); ) {
          Loaded old = eldest.next().getValue();
          if (old.users > 0) continue;
          old.retire();
          eldest.remove();
        }
        l = new Loaded();
        MODELS.put(key, l);
      }
      l.users++;
    }
    try {
      l.load(key); // outside the map's lock: tasks of other models go on while a large one loads
      return l;
    } catch (RuntimeException | Error e) {
      synchronized (MODELS) {
        MODELS.remove(key, l); // a later task tries again (the jar may be fixed, the heap freer)
      }
      release(l);
      throw e;
    }
  }

  /** What sets an executor's heap, as the out-of-memory messages name it. */
  static final String EXECUTOR_MEMORY = "spark.executor.memory (spark-submit's --executor-memory; in local mode the driver's, --driver-memory)";

  /** How an executor loads a model: CompiledModel.load, which tests replace to fail as it may (out of memory). */
  static java.util.function.BiFunction<Path, Integer, CompiledModel> loadOnExecutor = CompiledModel::load;

  /** How a task runs a batch: CompiledModel.predict, which tests replace to fail as it may (out of memory for its workspace). */
  interface Predict {
    void run(CompiledModel model, float[] input, int batch, float[] output);
  }

  static Predict predictOnExecutor = CompiledModel::predict;

  /**
   * A task's OutOfMemoryError as the exception it throws instead: Spark kills the executor on any
   * OutOfMemoryError a task throws but its own SparkOutOfMemoryError (exit 52; in local mode the whole JVM,
   * driver included, with no error line), and looks for one down the failure's causes too. So the error is
   * neither thrown nor kept as the cause: this task fails alone, and the driver prints {@code message}.
   */
  static BadInputException outOfMemory(String message) {
    return new BadInputException(message);
  }

  /** A task is done with {@code l}: closed if its jar changed meanwhile and no other task holds it. */
  static void release(Loaded l) {
    synchronized (MODELS) {
      if (--l.users == 0 && l.retired) l.close();
    }
  }

  /** A model, loaded by the first task that needs it, and the tasks holding it ({@code users}, {@code retired}: guarded by {@link #MODELS}). */
  static final class Loaded {
    /** Set once, by {@link #load}; read by the tasks that went through it. */
    volatile CompiledModel model;
    /** Why the load failed, for the tasks that waited for it. */
    private RuntimeException failure;
    private int users;
    private boolean retired;

    /**
     * Loads the model if no task has: the tasks of one jar wait for the first, which loads it once. Where that
     * load failed, the tasks that waited fail with its error (a later task, finding no entry, tries again).
     */
    synchronized void load(Jar key) {
      if (model != null) return;
      if (failure != null) throw failure;
      try {
        model = loadOnExecutor.apply(key.path(), key.threads());
      } catch (OutOfMemoryError e) {
        // CompiledModel.load's own says what the weights need (its cause the JVM's); "-Xmx" is the executor's memory setting here
        throw failure = outOfMemory((e.getCause() instanceof OutOfMemoryError ? BadInputException.oneLine(e.getMessage())
            : "loading the compiled model " + key.path() + ": out of memory (" + e.getMessage() + ")")
            + "; an executor's heap is " + EXECUTOR_MEMORY);
      } catch (RuntimeException e) {
        throw failure = e;
      }
    }

    /** Its jar is gone or changed: closed now if no task holds it, else by the last to let go. */
    private void retire() {
      retired = true;
      if (users == 0) close();
    }

    private void close() {
      CompiledModel m = model; // null where its load failed or a retired entry's never ran
      if (m != null) m.close();
    }
  }

  /**
   * Lets go of every model this JVM holds, its weights, workspaces and class loader: each is closed now,
   * or by the last task still running on it. For a JVM that outlives its jobs (local mode in a notebook
   * or a service) once they are done; a later job loads its model again. The ClassifyImages job calls it
   * when it is done, in local mode (where its tasks ran in this JVM) or when it stops the session it started.
   */
  public static void releaseModels() {
    synchronized (MODELS) {
      MODELS.values().forEach(Loaded::retire);
      MODELS.clear();
    }
  }

  /** How many models this JVM holds (for tests). */
  static int loadedModels() {
    synchronized (MODELS) {
      return MODELS.size();
    }
  }

  /** A model jar as it was when read, and the threads asked of its model: the key of {@link #MODELS}. */
  private record Jar(Path path, long size, java.nio.file.attribute.FileTime modified, Object fileKey, int threads) {
    /**
     * The jar at {@code path} now, or null when there is no such file (or a folder is there). The file key
     * (device and inode) tells a jar written anew (netc writes a new file and renames it over the old) even
     * where the size and a coarse modification time are the same. Any other failure to look (a folder on the
     * way that may not be entered, a file system's error) is thrown: it is not "no such jar".
     */
    static Jar of(Path path, int threads) throws java.io.IOException {
      try {
        var a = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
        return a.isRegularFile() ? new Jar(path.toAbsolutePath(), a.size(), a.lastModifiedTime(), a.fileKey(), threads) : null;
      } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
        return null;
      }
    }
  }

  private static Jar locate(String modelJar, int threads) {
    Path given = Path.of(modelJar);
    try {
      // only a bare name: a path names its own file, and another jar of the same name may have been shipped
      if (given.getParent() == null && org.apache.spark.SparkEnv.get() != null) {
        Jar shipped = Jar.of(Path.of(SparkFiles.get(modelJar)), threads);
        if (shipped != null) return shipped;
      }
      Jar jar = Jar.of(given, threads);
      if (jar != null) return jar;
    } catch (java.io.IOException e) {
      throw new BadInputException(modelJar + ": cannot look at the model jar on this executor (" + netc.runtime.io.FileOutput.reason(e) + ")", e);
    }
    if (Files.isDirectory(given)) throw new BadInputException(modelJar + ": a folder, not a model jar");
    throw new BadInputException(modelJar + ": no such model jar on this executor (ship it with --files, or give a path every executor reads)");
  }

  /** The most elements (floats, bytes) a Java array holds (some JVMs keep a few words of an array's length for its header). */
  static final int MAX_ARRAY = netc.runtime.LargeArrays.MAX_ARRAY;

  /** The floats a task holds for a batch of {@code batch}: the batch's inputs and its outputs. */
  static long batchFloats(CompiledModel model, int batch) {
    int[] s = model.inputShape();
    return (long) batch * ((long) s[0] * s[1] * s[2] + model.outputSize());
  }

  /** The function each task runs over its partition. */
  static final class Classify implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String modelJar;
    private final Options options;
    private final boolean tensors;

    Classify(String modelJar, Options options, boolean tensors) {
      this.modelJar = modelJar;
      this.options = options;
      this.tensors = tensors;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      // a partition of no rows (50 images over 400 cores) loads no model and allocates no batch
      if (!rows.hasNext()) return java.util.Collections.emptyIterator();
      Loaded held = acquire(modelJar, options.threads());
      Runnable done = new Runnable() {
        private boolean released;

        @Override
        public synchronized void run() { // once, whichever comes first: the last row, or the task's end (a failed task too)
          if (!released) release(held);
          released = true;
        }
      };
      org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
      if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) t -> done.run());
      try {
        return new Batches(held.model, options, tensors, rows, done);
      } catch (BadInputException e) { // its refusal of the model (a map, no class scores) or the batch: which model, where several run
        throw new BadInputException(modelJar + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The output rows of one partition, made a batch at a time as Spark pulls them: a partition's
   * results are never all held at once.
   */
  static final class Batches implements Iterator<Row> {
    private final CompiledModel model;
    /** null when the rows hold tensors rather than encoded images */
    private final Preprocess preprocess;
    private final Options options;
    private final Iterator<Row> input;
    private final int perImage;
    /** The batch's tensors and outputs, reused from batch to batch. */
    private final float[] tensors, outputs;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    /** Run once the last row is out: lets go of the model. */
    private final Runnable done;

    Batches(CompiledModel model, Options options, boolean tensorRows, Iterator<Row> input, Runnable done) {
      this.model = model;
      this.done = done;
      this.preprocess = tensorRows ? null : Preprocess.forModel(model);
      this.options = options;
      this.input = input;
      int[] shape = model.inputShape();
      this.perImage = shape[0] * shape[1] * shape[2];
      String tooLarge = model.batchTooLarge(options.batch());
      if (tooLarge != null) throw new IllegalArgumentException("batch: " + tooLarge);
      // the API's callers have no driver-side check (the job's ClassifyImages.checkModel): refused before any
      // inference, once a task, not a row of "no top-k" for every image after it
      if (!options.logits() && !model.info().classScores()) {
        throw new BadInputException("the model " + model.info().notClassScores() + ": Options.logits"
            + " gives its outputs (labels and probabilities null)");
      }
      try {
        this.tensors = new float[options.batch() * perImage];
        this.outputs = new float[options.batch() * model.outputSize()];
      } catch (OutOfMemoryError e) { // not the executor's end: see outOfMemory
        long floats = batchFloats(model, options.batch());
        throw outOfMemory(String.format(java.util.Locale.ROOT, "--batch %d: out of memory for a batch's inputs and outputs, %,d floats (%,d"
            + " bytes), with this executor's heap of %,d MB: lower --batch or raise %s", options.batch(), floats, 4 * floats,
            Runtime.getRuntime().maxMemory() >> 20, EXECUTOR_MEMORY));
      }
    }

    @Override
    public boolean hasNext() {
      if (ready.isEmpty() && input.hasNext()) runBatch();
      if (ready.isEmpty()) done.run();
      return !ready.isEmpty();
    }

    @Override
    public Row next() {
      if (!hasNext()) throw new NoSuchElementException();
      return ready.poll();
    }

    /** Decodes up to a batch of images, runs the good ones in one call, queues a row for each, in input order. */
    private void runBatch() {
      List<String> paths = new ArrayList<>();
      List<String> errors = new ArrayList<>(); // null for an input in the batch
      List<Integer> slots = new ArrayList<>(); // its place in the batch's buffers
      int good = 0;
      while (paths.size() < options.batch() && input.hasNext()) {
        Row r = input.next();
        String path = r.getString(0);
        String error = preprocess == null ? tensorInto(path, r.isNullAt(1) ? null : r.getList(1), good)
            : !r.isNullAt(3) ? r.getString(3) // the file could not be read
            : decodeInto(path, r.isNullAt(1) ? null : (byte[]) r.get(1), r.isNullAt(2) ? -1 : r.getLong(2), good);
        paths.add(path);
        errors.add(error);
        slots.add(error == null ? good++ : -1);
      }
      try {
        if (good > 0) runBatch(good, paths, errors, slots);
      } catch (Workspace.TooLarge e) { // a workspace the heap had no room for: a smaller batch helps only if one fits the heap at all
        boolean alone = e.bytes() >= Runtime.getRuntime().maxMemory();
        throw outOfMemory(BadInputException.oneLine("--batch " + options.batch() + ": out of memory running the model: " + e.getMessage()
            + " (this executor's): " + (alone ? "" : "lower --batch or ") + "raise " + EXECUTOR_MEMORY));
      } catch (OutOfMemoryError e) { // the call's workspaces (a first call, or after the model let them go): not the executor's end, see outOfMemory
        throw outOfMemory(BadInputException.oneLine(String.format(java.util.Locale.ROOT, "--batch %d: out of memory running the model on a batch"
            + " of %d (%s), with this executor's heap of %,d MB: lower --batch or raise %s", options.batch(), good,
            e.getMessage(), Runtime.getRuntime().maxMemory() >> 20, EXECUTOR_MEMORY)));
      }
      int n = model.outputSize();
      for (int i = 0; i < paths.size(); i++) {
        if (errors.get(i) == null) ready.add(result(paths.get(i), slots.get(i) * n, n));
        else ready.add(options.logits() ? RowFactory.create(paths.get(i), null, null, null, errors.get(i)) : RowFactory.create(paths.get(i), null, null, errors.get(i)));
      }
    }

    /**
     * Runs the batch's {@code good} images (the buffers are sized for a full batch: the model finds nothing there to
     * refuse). Where the model refuses the batch for one image's outputs (a network that overflowed float32 to infinity
     * or NaN, on finite values near 1e37 and more in a tensor), the images run one at a time, so that image's row says
     * why and the others are answered. A refusal that no image meets alone is no image's: it fails the task, as before.
     */
    private void runBatch(int good, List<String> paths, List<String> errors, List<Integer> slots) {
      try {
        predictOnExecutor.run(model, tensors, good, outputs);
      } catch (IllegalArgumentException e) {
        int n = model.outputSize();
        float[] one = new float[perImage], out = new float[n];
        boolean found = false;
        for (int i = 0; i < slots.size(); i++) {
          int slot = slots.get(i);
          if (slot < 0) continue;
          System.arraycopy(tensors, slot * perImage, one, 0, perImage);
          try {
            predictOnExecutor.run(model, one, 1, out);
            System.arraycopy(out, 0, outputs, slot * n, n);
          } catch (IllegalArgumentException f) {
            errors.set(i, paths.get(i) + ": " + f.getMessage());
            found = true;
          }
        }
        if (!found) throw e;
      }
    }

    /** Copies one row's tensor into slot {@code slot} of the batch: null, or the error that replaces its answer. */
    private String tensorInto(String path, List<Float> tensor, int slot) {
      if (tensor == null) return path + ": no tensor (null)";
      if (tensor.size() != perImage) {
        return path + ": tensor of " + tensor.size() + " values, the model takes " + model.info().inputShape() + " = " + perImage;
      }
      int at = slot * perImage;
      for (int i = 0; i < perImage; i++) {
        Float v = tensor.get(i);
        if (v == null) return path + ": tensor value " + i + " is null";
        // refused here, the row's own error: the model refuses a batch holding one, and the batch's other rows would go with it
        if (!Float.isFinite(v)) return path + ": tensor value " + i + " is " + v + ": a network's input is finite";
        tensors[at + i] = v;
      }
      return null;
    }

    /** Decodes one image into slot {@code slot} of the batch: null, or the error that replaces its answer. */
    private String decodeInto(String path, byte[] content, long length, int slot) {
      try {
        if (content == null && length > 0) return path + ": not read: " + length + " bytes, more than the size limit (--max-bytes, readImages' maxBytes)";
        if (content == null) return path + ": no content (the file could not be read)";
        float[] x = preprocess.image(content, path);
        System.arraycopy(x, 0, tensors, slot * perImage, perImage);
        return null;
      } catch (BadInputException e) {
        return e.getMessage();
      } catch (OutOfMemoryError e) {
        // netc's own, wrapping the JVM's, says the image's size; -Xmx is the executor's memory here
        String what = e.getCause() instanceof OutOfMemoryError ? BadInputException.oneLine(e.getMessage()).replace("raise it with -Xmx", "raise"
            + " the executor's memory") : path + ": out of memory decoding the image (" + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB; raise"
            + " the executor's memory)";
        return what;
      } catch (RuntimeException e) {
        // a decoder's own failure on a file netc's checks let through: the other images go on
        return path + ": internal error: " + e + " (a netc bug; please report it)";
      }
    }

    private Row result(String path, int offset, int n) {
      if (options.logits() && !model.info().classScores()) { // a map (features, a segmentation): its outputs, no classes to rank
        return RowFactory.create(path, null, null, java.util.Arrays.copyOfRange(outputs, offset, offset + n), null);
      }
      // finite: the model refuses a call whose outputs are not (runBatch), so every output here has a ranking
      List<Prediction> top = model.topK(outputs, offset / n, options.top());
      String[] labels = new String[top.size()];
      float[] probabilities = new float[top.size()];
      for (int k = 0; k < top.size(); k++) {
        labels[k] = top.get(k).label();
        probabilities[k] = top.get(k).probability();
      }
      if (!options.logits()) return RowFactory.create(path, labels, probabilities, null);
      return RowFactory.create(path, labels, probabilities, java.util.Arrays.copyOfRange(outputs, offset, offset + n), null);
    }
  }
}
