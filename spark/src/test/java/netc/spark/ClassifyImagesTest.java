package netc.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Prediction;
import netc.runtime.Preprocess;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job in local[2] on a few hundred generated images, some corrupt: one Parquet row per file,
 * an error row for exactly the corrupt ones, and answers bit-equal to one JVM running the same jar
 * over the same files (the model computes each image's outputs with the same operations whatever
 * the batch and thread, so there is no tolerance to state).
 */
class ClassifyImagesTest {
  static final int GOOD = 288, TOP = 3;
  /** Over the largest good image (56 x 56 pixels), under the big one (160 x 160 of noise, 77 KB as a PNG). */
  static final int MAX_BYTES = 40_000;
  /**
   * A small model: 32x32 input, no softmax at the end, so its outputs are logits. It normalizes its
   * input, so it warns (once) of a tensor whose values are far from pixels.
   */
  static final String SPEC = String.join("\n",
      "input(3, 32, 32, mean = [0.5, 0.5, 0.5], std = [0.25, 0.25, 0.25])",
      "conv1: conv(8, 3, padding = 1)",
      "relu()",
      "pool: maxpool(2)",
      "conv2: conv(16, 3, padding = 1)",
      "relu()",
      "head: global_avgpool()",
      "flatten()",
      "fc: fc(10)",
      "");

  @TempDir static Path dir;
  static Path jar, images;
  /** The corrupt files and the reason each is refused. */
  static final Map<Path, String> corrupt = new HashMap<>();

  @BeforeAll
  static void compileModelAndWriteImages() throws IOException {
    Path spec = Files.writeString(dir.resolve("tiny.net"), SPEC);
    jar = dir.resolve("tiny.jar");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    int status = netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", jar.toString(), "--thin"}, p, p);
    assertEquals(0, status, log.toString(StandardCharsets.UTF_8));
    images = Files.createDirectories(dir.resolve("images"));
    Path nested = Files.createDirectories(images.resolve("more"));
    Random random = new Random(20);
    byte[] sampleJpeg = null, samplePng = null;
    for (int i = 0; i < GOOD; i++) {
      boolean png = i % 2 == 0;
      byte[] data = encode(picture(random, 32 + random.nextInt(24), 32 + random.nextInt(24)), png ? "png" : "jpeg");
      Files.write((i % 5 == 0 ? nested : images).resolve(String.format("img%03d.%s", i, png ? "png" : "jpg")), data);
      if (png) samplePng = data;
      else sampleJpeg = data;
    }
    corrupt.put(Files.write(images.resolve("cut.jpg"), Arrays.copyOf(sampleJpeg, sampleJpeg.length / 2)), "truncated JPEG");
    corrupt.put(Files.write(images.resolve("cut.png"), Arrays.copyOf(samplePng, samplePng.length - 20)), "truncated PNG");
    byte[] garbage = new byte[500];
    random.nextBytes(garbage);
    corrupt.put(Files.write(nested.resolve("garbage.jpg"), garbage), "not a PNG or JPEG image (unknown format)");
    corrupt.put(Files.write(images.resolve("empty.png"), new byte[0]), "not a PNG or JPEG image (an empty file)");
    corrupt.put(Files.writeString(images.resolve("notes.txt"), "not an image"), "not a PNG or JPEG image (unknown format)");
    // a whole image, but over the job's --max-bytes: an error row, and never read
    corrupt.put(Files.write(images.resolve("big.png"), encode(noise(random, 160, 160), "png")), "bytes, more than the size limit (--max-bytes, readImages' maxBytes)");
    corrupt.put(Files.write(images.resolve("animation.png"), encode(picture(random, 40, 40), "gif")), "not a PNG or JPEG image (a GIF image)");
    // names Spark's own file sources leave out: a camera's _DSC files, a hidden folder
    Files.write(images.resolve("_DSC0042.jpg"), sampleJpeg);
    Files.write(Files.createDirectories(images.resolve(".thumbs")).resolve("t.png"), samplePng);
  }

  static BufferedImage picture(Random random, int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int base = random.nextInt(0xffffff);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) img.setRGB(x, y, base + x * 0x030201 + y * 0x010203 + random.nextInt(16));
    }
    return img;
  }

  static BufferedImage noise(Random random, int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) img.setRGB(x, y, random.nextInt(0xffffff));
    }
    return img;
  }

  static byte[] encode(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, format, out));
    return out.toByteArray();
  }

  @Test
  void everyFileGetsOneRowAndTheAnswersOfASingleJvm() throws Exception {
    Path output = dir.resolve("out.parquet");
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClassifyImages.run(new String[] {"--top", "" + TOP, "--batch", "8", "--logits", "--max-bytes", "" + MAX_BYTES, images.toString(), jar.toString(), output.toString()},
        System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));

    Map<Path, Row> rows = new HashMap<>();
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      for (Row r : spark.read().parquet(output.toString()).collectAsList()) {
        Path file = Path.of(URI.create(r.getString(r.fieldIndex(NetcClassifier.PATH))));
        assertNull(rows.put(file, r), "two rows for " + file);
      }
    } finally {
      spark.stop();
    }
    List<Path> inputs;
    try (var walk = Files.walk(images)) {
      inputs = walk.filter(Files::isRegularFile).toList();
    }
    assertEquals(GOOD + 2 + corrupt.size(), inputs.size());
    java.util.Set<Path> missing = new java.util.TreeSet<>(inputs), extra = new java.util.TreeSet<>(rows.keySet());
    missing.removeAll(rows.keySet());
    extra.removeAll(inputs);
    assertEquals(List.of(List.of(), List.of()), List.of(List.copyOf(missing), List.copyOf(extra)), "files without a row, rows without a file");

    try (CompiledModel model = CompiledModel.load(jar, 1)) {
      Preprocess pre = Preprocess.forModel(model);
      int errors = 0;
      for (Map.Entry<Path, Row> e : rows.entrySet()) {
        Path file = e.getKey();
        Row r = e.getValue();
        String error = r.getString(r.fieldIndex(NetcClassifier.ERROR));
        String uri = r.getString(r.fieldIndex(NetcClassifier.PATH));
        if (file.getFileName().toString().equals("big.png")) {
          assertTrue(Files.size(file) > MAX_BYTES);
          assertEquals(uri + ": not read: " + Files.size(file) + " bytes, more than the size limit (--max-bytes, readImages' maxBytes)", error);
          errors++;
          continue;
        }
        assertTrue(Files.size(file) <= MAX_BYTES, file.toString());
        float[] x;
        try {
          x = pre.image(file);
        } catch (BadInputException refused) {
          // the same refusal as from the file, naming the path Spark read it by
          assertEquals(refused.getMessage().replace(file.toString(), uri), error);
          assertTrue(error.startsWith(uri + ": ") && error.contains(corrupt.get(file)), error);
          assertNull(r.get(r.fieldIndex(NetcClassifier.LABELS)));
          errors++;
          continue;
        }
        assertNull(error, file.toString());
        float[] logits = new float[model.outputSize()];
        model.predict(x, 1, logits);
        List<Prediction> top = Prediction.topK(logits, 0, logits.length, TOP, model.labels());
        assertEquals(top.stream().map(Prediction::label).toList(), r.getList(r.fieldIndex(NetcClassifier.LABELS)), file.toString());
        float[] probabilities = floats(r.getList(r.fieldIndex(NetcClassifier.PROBABILITIES)));
        assertArrayEquals(floats(top.stream().map(Prediction::probability).toList()), probabilities, 0f, file.toString());
        assertArrayEquals(logits, floats(r.getList(r.fieldIndex(NetcClassifier.LOGITS))), 0f, file.toString());
      }
      assertEquals(corrupt.size(), errors, "error rows");
    }
  }

  /**
   * NCHW tensors from Parquet: each row's answer equals one JVM's, a tensor far outside [0, 1]
   * included (answered, with the model's one warning); a short tensor, a null one and one holding a NaN are error rows,
   * and the good rows of their batch are still answered; a row with a null path is answered under
   * {@link NetcClassifier#NO_PATH}, not a failed task. Run with 2 threads in local[2], the job warns
   * that two tasks share one thread pool, and the answers are the same.
   */
  @Test
  void tensorsFromParquetGiveTheAnswersOfASingleJvm() throws Exception {
    int good = 40, per = 3 * 32 * 32;
    Path input = dir.resolve("tensors.parquet"), output = dir.resolve("tensors-out.parquet");
    Random random = new Random(7);
    Map<String, float[]> tensors = new java.util.LinkedHashMap<>();
    for (int i = 0; i < good; i++) {
      float[] t = new float[per];
      for (int j = 0; j < per; j++) t[j] = random.nextFloat();
      tensors.put("t" + i, t);
    }
    float[] bright = tensors.get("t5").clone();
    bright[100] = 2.5f; // far outside [0, 1]: the model normalizes its input, and warns
    List<Row> rows = new java.util.ArrayList<>();
    tensors.forEach((k, v) -> rows.add(org.apache.spark.sql.RowFactory.create(k, boxed(v))));
    rows.add(6, org.apache.spark.sql.RowFactory.create("bright", boxed(bright)));
    rows.add(org.apache.spark.sql.RowFactory.create("short", boxed(new float[100])));
    rows.add(org.apache.spark.sql.RowFactory.create("missing", null));
    float[] nan = tensors.get("t7").clone();
    nan[9] = Float.NaN; // the model refuses it, and a batch holding it: the row's own error, the others answered
    rows.add(5, org.apache.spark.sql.RowFactory.create("nan", boxed(nan)));
    rows.add(org.apache.spark.sql.RowFactory.create(null, boxed(tensors.get("t3"))));
    float[] huge = new float[per];
    java.util.Arrays.fill(huge, 3e38f); // finite, but the network overflows: the model refuses its batch, and the job runs it alone
    rows.add(9, org.apache.spark.sql.RowFactory.create("huge", boxed(huge)));
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("path", org.apache.spark.sql.types.DataTypes.StringType)
        .add("tensor", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.FloatType));
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      spark.createDataFrame(rows, schema).repartition(3).write().parquet(input.toString());
    } finally {
      spark.stop();
    }
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClassifyImages.run(new String[] {"--tensors", "--logits", "--batch", "8", "--threads", "2", input.toString(), jar.toString(), output.toString()},
        System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    // local[2] runs two tasks at once: only one of them can have the two threads
    assertEquals("warning: 2 threads with 2 tasks per executor: netc's thread pool serves one model call at a time, a task that finds it busy runs"
        + " on one thread; more threads pay off with one task per executor (spark.task.cpus = spark.executor.cores)\n", err.toString(StandardCharsets.UTF_8));
    Map<String, Row> results = new HashMap<>();
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      for (Row r : spark.read().parquet(output.toString()).collectAsList()) assertNull(results.put(r.getString(0), r));
    } finally {
      spark.stop();
    }
    assertEquals(good + 6, results.size());
    try (CompiledModel model = CompiledModel.load(jar, 1)) {
      float[] logits = new float[model.outputSize()];
      for (Map.Entry<String, float[]> e : tensors.entrySet()) {
        Row r = results.get(e.getKey());
        assertNull(r.getString(r.fieldIndex(NetcClassifier.ERROR)), e.getKey());
        model.predict(e.getValue(), 1, logits);
        assertArrayEquals(logits, floats(r.getList(r.fieldIndex(NetcClassifier.LOGITS))), 0f, e.getKey());
      }
      // a value past [0, 1] is answered (the model warns once per JVM, on the executor's standard error), as a single JVM answers it
      Row r = results.get("bright");
      assertNull(r.getString(r.fieldIndex(NetcClassifier.ERROR)));
      model.predict(bright, 1, logits);
      assertArrayEquals(logits, floats(r.getList(r.fieldIndex(NetcClassifier.LOGITS))), 0f, "bright");
      r = results.get("(no path)");
      assertNull(r.getString(r.fieldIndex(NetcClassifier.ERROR)));
      model.predict(tensors.get("t3"), 1, logits);
      assertArrayEquals(logits, floats(r.getList(r.fieldIndex(NetcClassifier.LOGITS))), 0f, "a null path");
    }
    assertEquals("short: tensor of 100 values, the model takes [3, 32, 32] = 3072", results.get("short").getString(4));
    assertEquals("missing: no tensor (null)", results.get("missing").getString(4));
    assertEquals("nan: tensor value 9 is NaN: a network's input is finite", results.get("nan").getString(4));
    assertTrue(results.get("huge").getString(4).matches("huge: output [0-9]+ is (NaN|-?Infinity): the network's float32 arithmetic overflowed,"
        + " or divided by zero, on this input \\(its largest \\|value\\| is 3\\.0E38\\)"), results.get("huge").getString(4));
  }

  /**
   * A tensor column of doubles (numpy's float64 in Parquet) is cast to float and answered as the
   * same values as floats; a nested array is refused before the job, in one line naming the file
   * and the column.
   */
  @Test
  void doubleTensorsAreCastAndNestedOnesRefusedInOneLine() throws IOException {
    int per = 3 * 32 * 32;
    Random random = new Random(11);
    float[] t = new float[per];
    for (int j = 0; j < per; j++) t[j] = random.nextFloat();
    Double[] doubles = new Double[per];
    for (int j = 0; j < per; j++) doubles[j] = (double) t[j];
    Path nested = dir.resolve("nested.parquet");
    org.apache.spark.sql.types.DataType array = org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.DoubleType);
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    List<Row> out;
    try {
      org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType().add("path", "string").add("tensor", array);
      org.apache.spark.sql.Dataset<Row> tensors = spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("d", doubles)), schema);
      out = NetcClassifier.classifyTensors(tensors, jar.toString(), new NetcClassifier.Options(3, 4, true, 1)).collectAsList();
      org.apache.spark.sql.types.StructType deep = new org.apache.spark.sql.types.StructType().add("path", "string")
          .add("tensor", org.apache.spark.sql.types.DataTypes.createArrayType(array));
      spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("n", new Object[] {doubles})), deep).write().parquet(nested.toString());
    } finally {
      spark.stop();
    }
    assertEquals(1, out.size());
    assertNull(out.get(0).getString(out.get(0).fieldIndex(NetcClassifier.ERROR)));
    try (CompiledModel model = CompiledModel.load(jar, 1)) {
      float[] logits = new float[model.outputSize()];
      model.predict(t, 1, logits);
      assertArrayEquals(logits, floats(out.get(0).getList(out.get(0).fieldIndex(NetcClassifier.LOGITS))), 0f);
    }
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClassifyImages.run(new String[] {"--tensors", nested.toString(), jar.toString(), dir.resolve("nested-out.parquet").toString()},
        System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("error: " + nested + ": tensor: array<array<double>>, expected array<float> (flatten it)\n", err.toString(StandardCharsets.UTF_8));
    assertEquals(1, status);
  }

  /**
   * Two jobs run at once from two threads of one JVM (a service, a notebook): the second takes the session the first
   * made as the default one, and the first used to stop it when done, under the second's running job. Each now
   * writes its output, whichever ends first, and the session stops with the last. The first to end let go of every
   * model too, the running job's among them (its later tasks loaded the weights again); the last lets go of them.
   */
  @Test
  void twoJobsAtOnceInOneJvmBothFinish() throws Exception {
    NetcClassifier.releaseModels(); // none of the tests' before: the count below is of these jobs' models
    String master = System.getProperty("spark.master");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    Path spec = Files.writeString(dir.resolve("seven-at-once.net"), SPEC.replace("fc(10)", "fc(7)"));
    Path jarA = Files.copy(jar, dir.resolve("job-a.jar")), jarB = dir.resolve("job-b.jar");
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", jarB.toString(), "--thin"}, p, p), log.toString(StandardCharsets.UTF_8));
    // job A (10 classes) ends while job B (7 classes) is in the middle of its own: B's first batch waits for A to have
    // returned, and A's first batch for B's to have begun
    java.util.concurrent.CountDownLatch bBegan = new java.util.concurrent.CountDownLatch(1), aEnded = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean aWaited = new java.util.concurrent.atomic.AtomicBoolean(), bWaited = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger heldWhenAEnded = new java.util.concurrent.atomic.AtomicInteger(-1);
    java.util.concurrent.ExecutorService jobs = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      System.setProperty("spark.master", "local[4]");
      System.setProperty("spark.ui.enabled", "false");
      NetcClassifier.predictOnExecutor = (model, input, batch, output) -> {
        try {
          if (model.outputSize() == 10 && !aWaited.getAndSet(true)) {
            assertTrue(bBegan.await(120, java.util.concurrent.TimeUnit.SECONDS), "job B never ran a batch");
          } else if (model.outputSize() == 7 && !bWaited.getAndSet(true)) {
            bBegan.countDown();
            assertTrue(aEnded.await(120, java.util.concurrent.TimeUnit.SECONDS), "job A never ended");
            heldWhenAEnded.set(NetcClassifier.loadedModels());
          }
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        model.predict(input, batch, output);
      };
      List<java.util.concurrent.Future<String>> runs = new ArrayList<>();
      for (Path model : List.of(jarA, jarB)) {
        Path output = dir.resolve("at-once-" + model.getFileName() + ".parquet");
        runs.add(jobs.submit(() -> {
          ByteArrayOutputStream err = new ByteArrayOutputStream();
          int status = ClassifyImages.run(new String[] {images.toString(), model.toString(), output.toString()},
              new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
          if (model == jarA) aEnded.countDown();
          return status + " " + err.toString(StandardCharsets.UTF_8);
        }));
      }
      for (var run : runs) assertEquals("0 ", run.get(300, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(SparkSession.getDefaultSession().isEmpty(), "the session the jobs made stopped with the last");
      assertEquals(2, heldWhenAEnded.get(), "A's end kept both models, B's in use among them");
      assertEquals(0, NetcClassifier.loadedModels(), "the last job's end let go of them");
    } finally {
      NetcClassifier.predictOnExecutor = CompiledModel::predict;
      jobs.shutdownNow();
      if (master == null) System.clearProperty("spark.master");
      else System.setProperty("spark.master", master);
    }
  }

  /** A file that cannot be read when its task comes (deleted since the listing) is its row's error; the job goes on. */
  @Test
  void aFileGoneBeforeItsTaskIsAnErrorRowNotAFailedJob() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("vanishing"));
    byte[] png = encode(picture(new Random(3), 40, 40), "png");
    Path kept = Files.write(folder.resolve("kept.png"), png), gone = Files.write(folder.resolve("gone.png"), png);
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      org.apache.spark.sql.Dataset<Row> images = NetcClassifier.readImages(spark, folder.toString(), MAX_BYTES); // listed now, read by the tasks
      Files.delete(gone);
      Map<String, String> errors = new HashMap<>();
      for (Row r : NetcClassifier.classify(images, jar.toString(), NetcClassifier.Options.defaults()).collectAsList()) {
        errors.put(Path.of(URI.create(r.getString(0))).getFileName().toString(), r.getString(r.fieldIndex(NetcClassifier.ERROR)));
      }
      assertEquals(java.util.Set.of("kept.png", "gone.png"), errors.keySet());
      assertNull(errors.get("kept.png"));
      String error = errors.get("gone.png");
      assertTrue(error.contains("gone.png: cannot read (") && error.lines().count() == 1, error);
    } finally {
      spark.stop();
    }
  }

  /**
   * A file that is no PNG or JPEG (a video beside the photos) is read no further than its first 12
   * bytes, which give the decoder's own refusal; a file too large for the heap is its row's error,
   * not a lost executor.
   */
  @Test
  void aNonImageIsReadOnlyToItsSignatureAndOneTooLargeForTheHeapIsAnErrorRow() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("large"));
    byte[] movie = new byte[1 << 20];
    new Random(5).nextBytes(movie);
    System.arraycopy("\0\0\0\u0014ftypqt  ".getBytes(StandardCharsets.ISO_8859_1), 0, movie, 0, 12); // a QuickTime file's start
    Files.write(folder.resolve("clip.mov"), movie);
    // a PNG's signature, then a hole: a sparse file of 2^31 - 1 bytes, more than a Java array holds, so that reading
    // it runs out of memory at once whatever the heap, and nothing is written to the disk
    Path huge = folder.resolve("huge.png");
    try (var f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      f.setLength(Integer.MAX_VALUE);
    }
    Map<String, Row> rows = new HashMap<>();
    try {
      org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
      new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), Integer.MAX_VALUE).call(NetcClassifier.list(folder.toString(), conf).iterator())
          .forEachRemaining(r -> rows.put(Path.of(URI.create(r.getString(0))).getFileName().toString(), r));
    } finally {
      Files.delete(huge);
    }
    Row clip = rows.get("clip.mov");
    assertArrayEquals(Arrays.copyOf(movie, 12), (byte[]) clip.get(2));
    assertNull(clip.get(3));
    BadInputException refused = assertThrows(BadInputException.class, () -> Preprocess.decode((byte[]) clip.get(2), clip.getString(0)));
    assertEquals(clip.getString(0) + ": not a PNG or JPEG image (unknown format)", refused.getMessage());
    Row big = rows.get("huge.png");
    assertNull(big.get(2));
    assertEquals(big.getString(0) + ": out of memory reading its 2147483647 bytes (" + Runtime.getRuntime().maxMemory() / (1 << 20)
        + " MB heap; raise the executor's memory or lower --max-bytes)", big.getString(3));
  }

  /**
   * A folder whose name holds glob characters is listed as named: as a glob, "photos [2024]" matched
   * nothing (reported as not existing) or, beside it, "photos 2". A glob still matches as one.
   */
  @Test
  void aFolderNamedWithGlobCharactersIsThatFolder() throws IOException {
    Path parent = Files.createDirectories(dir.resolve("albums"));
    Path named = Files.createDirectories(parent.resolve("photos [2024]")), other = Files.createDirectories(parent.resolve("photos 2"));
    for (String f : List.of("a.png", "b.png")) Files.write(named.resolve(f), new byte[] {1});
    Files.write(other.resolve("c.png"), new byte[] {1, 2});
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    java.util.function.Function<String, List<String>> names = input -> NetcClassifier.list(input, conf).stream()
        .map(r -> new org.apache.hadoop.fs.Path(r.getString(0)).getName() + " " + r.getLong(1)).sorted().toList();
    assertEquals(List.of("a.png 1", "b.png 1"), names.apply(named.toString()));
    // and read by the path listed (a file of one byte is no PNG: its first bytes are its content)
    new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), MAX_BYTES).call(NetcClassifier.list(named.toString(), conf).iterator())
        .forEachRemaining(r -> assertArrayEquals(new byte[] {1}, (byte[]) r.get(2), r.getString(0)));
    assertEquals(List.of("a.png 1"), names.apply(named.resolve("a.png").toString()), "a file of such a folder");
    assertEquals(List.of("a.png 1", "b.png 1", "c.png 2"), names.apply(parent.resolve("photos *").toString()), "a glob");
    Files.delete(other.resolve("c.png"));
    Files.delete(other);
    assertEquals(List.of("a.png 1", "b.png 1"), names.apply(named.toString()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> names.apply(parent.resolve("photos [2025]").toString()));
    assertEquals("Path does not exist: file:" + parent.resolve("photos [2025]"), e.getMessage());
  }

  /** The local file system, but a folder named "locked" cannot be listed, as a root-only lost+found on a mounted disk for a user. */
  public static final class LockedFolders extends org.apache.hadoop.fs.RawLocalFileSystem {
    @Override
    public org.apache.hadoop.fs.FileStatus[] listStatus(org.apache.hadoop.fs.Path f) throws IOException {
      if (f.getName().equals("locked")) throw new java.nio.file.AccessDeniedException(f.toString(), null, "Permission denied");
      return super.listStatus(f);
    }
  }

  /** Opens of a file named flaky*.png fail with the storage's error that many times first; down*.png always; locked*.png are denied. */
  public static final class FlakyFiles extends org.apache.hadoop.fs.RawLocalFileSystem {
    static final java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
    static volatile int failuresLeft;

    @Override
    public org.apache.hadoop.fs.FSDataInputStream open(org.apache.hadoop.fs.Path f, int bufferSize) throws IOException {
      opens.incrementAndGet();
      String name = f.getName();
      if (name.startsWith("down") || name.startsWith("flaky") && failuresLeft-- > 0) {
        throw new IOException("503 Slow Down (throttled)");
      }
      if (name.startsWith("locked")) throw new java.nio.file.AccessDeniedException(f.toString(), null, "Permission denied");
      if (name.startsWith("lost")) throw new org.apache.hadoop.hdfs.BlockMissingException(f.toString(), "Could not obtain block: no live node", 0);
      return super.open(f, bufferSize);
    }

    @Override
    public org.apache.hadoop.fs.FileStatus[] listStatus(org.apache.hadoop.fs.Path f) throws IOException {
      if (f.getName().startsWith("down")) throw new IOException("connection reset");
      return super.listStatus(f);
    }
  }

  /**
   * A read that fails as storage does for a moment (throttled, a timeout) is tried again, and answers; one that keeps
   * failing fails the task, naming the file (Spark runs the task again, and ends the job if it keeps failing), where a
   * "cannot read" row would have been a permanent answer to a momentary problem in a job that exits 0. A file whose
   * own problem it is (permission denied) is its row's error at once, not retried; so is a folder under the input that
   * is denied, while one whose listing keeps failing ends the listing.
   */
  @Test
  void storageFailuresAreRetriedThenFailTheTaskWhileTheFilesOwnAreRows() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("flaky"));
    byte[] png = encode(picture(new Random(4), 20, 20), "png");
    Files.write(folder.resolve("flaky.png"), png);
    Files.write(folder.resolve("locked.png"), png);
    Files.write(folder.resolve("lost.png"), png);
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    conf.setClass("fs.file.impl", FlakyFiles.class, org.apache.hadoop.fs.FileSystem.class);
    conf.setBoolean("fs.file.impl.disable.cache", true);
    long[] retries = NetcClassifier.retryMillis;
    NetcClassifier.retryMillis = new long[] {1, 1};
    try {
      FlakyFiles.failuresLeft = 2; // the third try reads it
      FlakyFiles.opens.set(0);
      Map<String, Row> read = new HashMap<>();
      new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), MAX_BYTES).call(NetcClassifier.list(folder.toString(), conf).iterator())
          .forEachRemaining(r -> read.put(new org.apache.hadoop.fs.Path(r.getString(0)).getName(), r));
      assertArrayEquals(png, (byte[]) read.get("flaky.png").get(2));
      assertNull(read.get("flaky.png").get(3));
      assertNull(read.get("locked.png").get(2));
      assertTrue(read.get("locked.png").getString(3).endsWith("locked.png: cannot read (permission denied)"), read.get("locked.png").getString(3));
      assertTrue(read.get("lost.png").getString(3).endsWith("lost.png: cannot read (Could not obtain block: no live node)"), read.get("lost.png").getString(3));
      assertEquals(3 + 1 + 1, FlakyFiles.opens.get(), "flaky.png three times, locked.png and lost.png once");

      // a file that changed since the listing: grown (still being written), or shrunk; its row says so, not "truncated"
      Path grown = Files.write(folder.resolve("grown.png"), png), shrunk = Files.write(folder.resolve("shrunk.png"), png);
      List<Row> changed = List.of(org.apache.spark.sql.RowFactory.create(grown.toUri().toString(), (long) png.length - 10, null),
          org.apache.spark.sql.RowFactory.create(shrunk.toUri().toString(), (long) png.length + 10, null));
      Map<String, Row> after = new HashMap<>();
      new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), MAX_BYTES).call(changed.iterator())
          .forEachRemaining(r -> after.put(new org.apache.hadoop.fs.Path(r.getString(0)).getName(), r));
      assertEquals(grown.toUri() + ": changed since it was listed: longer than the " + (png.length - 10) + " bytes listed (a file still being"
          + " written?); classify it again once it is whole", after.get("grown.png").getString(3));
      assertEquals(shrunk.toUri() + ": cannot read (changed since it was listed: shorter than the " + (png.length + 10) + " bytes listed)",
          after.get("shrunk.png").getString(3));

      Path down = Files.write(folder.resolve("down.png"), png);
      java.util.Iterator<Row> rows = new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), MAX_BYTES)
          .call(List.of(org.apache.spark.sql.RowFactory.create(down.toUri().toString(), (long) png.length, null)).iterator());
      BadInputException failed = assertThrows(BadInputException.class, rows::next);
      assertEquals(down.toUri() + ": 3 tries failed (503 Slow Down (throttled)): the storage's failure, not the file's", failed.getMessage());
      assertEquals(failed.getMessage(), ClassifyImages.message(sparkFailure(failed)), "what the driver prints");

      Files.createDirectories(folder.resolve("down-folder"));
      BadInputException listing = assertThrows(BadInputException.class, () -> NetcClassifier.list(folder.toString(), conf));
      assertTrue(listing.getMessage().endsWith("down-folder: 3 tries failed (connection reset): the storage's failure, not the file's"),
          listing.getMessage());
    } finally {
      NetcClassifier.retryMillis = retries;
    }
  }

  /**
   * A folder under the input that cannot be listed is a row with its error, not the end of the job (every other
   * file listed and read); a link back to a folder above is listed once, not followed until the path is too long.
   */
  @Test
  void aFolderThatCannotBeListedIsARowAndALinkUpIsListedOnce() throws IOException {
    Path top = Files.createDirectories(dir.resolve("mounted"));
    Files.write(top.resolve("a.png"), new byte[] {1});
    Files.write(Files.createDirectories(top.resolve("locked")).resolve("hidden.png"), new byte[] {1});
    Path sub = Files.createDirectories(top.resolve("sub"));
    Files.write(sub.resolve("b.png"), new byte[] {1, 2});
    Files.createSymbolicLink(sub.resolve("up"), top);
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    conf.setClass("fs.file.impl", LockedFolders.class, org.apache.hadoop.fs.FileSystem.class);
    conf.setBoolean("fs.file.impl.disable.cache", true);
    List<Row> listed = NetcClassifier.list(top.toString(), conf);
    List<String> names = listed.stream().map(r -> new org.apache.hadoop.fs.Path(r.getString(0)).getName() + " " + r.getLong(1)).sorted().toList();
    assertEquals(List.of("a.png 1", "b.png 2", "locked 0"), names);
    Map<String, Row> read = new HashMap<>();
    new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(conf), MAX_BYTES).call(listed.iterator())
        .forEachRemaining(r -> read.put(new org.apache.hadoop.fs.Path(r.getString(0)).getName(), r));
    Row locked = read.get("locked");
    assertNull(locked.get(2));
    assertEquals(locked.getString(0) + ": cannot list this folder (permission denied): the files in it, if any, are not classified",
        locked.getString(3));
    assertArrayEquals(new byte[] {1, 2}, (byte[]) read.get("b.png").get(2));
    assertNull(read.get("b.png").get(3));
    // a glob matching a folder and a link to it (pics/2024, pics/latest -> 2024): its files once
    Path pics = Files.createDirectories(dir.resolve("pics"));
    Files.write(Files.createDirectories(pics.resolve("2024")).resolve("c.png"), new byte[] {3});
    Files.createSymbolicLink(pics.resolve("latest"), pics.resolve("2024"));
    List<String> globbed = NetcClassifier.list(pics.resolve("*").toString(), conf).stream()
        .map(r -> new org.apache.hadoop.fs.Path(r.getString(0)).getName()).sorted().toList();
    assertEquals(List.of("c.png"), globbed);
  }

  /**
   * No name of a local folder goes without a row: Hadoop's local listing dropped a link to a file that is gone, and its
   * checksum layer hid every .NAME.crc file (taken for a checksum), failed a good image beside a stray one, and one whose
   * name has a colon (".a:b.png.crc" is no URI). The folder is read without that layer, and a name the listing leaves out
   * is a row with its error.
   */
  @Test
  void everyNameOfALocalFolderIsARow() throws IOException {
    Path top = Files.createDirectories(dir.resolve("názvy")); // a name Path.of(uri) refused, as a file's below
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    Files.write(top.resolve("good.png"), png);
    Files.write(top.resolve("héllo.png"), png);
    Files.createSymbolicLink(top.resolve("self.png"), top.resolve("self.png"));
    Files.write(top.resolve(".good.png.crc"), new byte[] {'c', 'r', 'c', 0, 0, 2, 0, 1, 2, 3, 4}); // a stray checksum of good.png
    Files.write(top.resolve(".d.png.crc"), png); // an image of that name
    Files.write(top.resolve("colon:name.png"), png);
    Path gone = Files.createSymbolicLink(top.resolve("gone.jpg"), dir.resolve("no-such.jpg"));
    List<Row> listed = NetcClassifier.list(top.toString(), new org.apache.hadoop.conf.Configuration());
    Map<String, Row> read = new HashMap<>();
    new NetcClassifier.ReadFiles(new NetcClassifier.HadoopConf(new org.apache.hadoop.conf.Configuration()), MAX_BYTES).call(listed.iterator())
        .forEachRemaining(r -> read.put(java.nio.file.Path.of(new org.apache.hadoop.fs.Path(r.getString(0)).toUri()).getFileName().toString(), r));
    assertEquals(java.util.Set.of("good.png", "héllo.png", ".good.png.crc", ".d.png.crc", "colon:name.png", "gone.jpg", "self.png"), read.keySet());
    assertEquals(7, listed.size(), "each name once");
    for (String image : List.of("good.png", "héllo.png", ".d.png.crc", "colon:name.png")) {
      assertArrayEquals(png, (byte[]) read.get(image).get(2), image);
      assertNull(read.get(image).get(3), image);
    }
    Row link = read.get("gone.jpg");
    assertNull(link.get(2));
    assertEquals(link.getString(0) + ": a link to " + dir.resolve("no-such.jpg") + ", which cannot be read (no such file): not classified",
        link.getString(3));
    assertTrue(Files.isSymbolicLink(gone));
    Row loop = read.get("self.png");
    assertNull(loop.get(2));
    assertTrue(loop.getString(3).startsWith(loop.getString(0) + ": a link to " + top.resolve("self.png") + ", which cannot be read (")
        && !loop.getString(3).contains("no such file") && loop.getString(3).endsWith("): not classified"), loop.getString(3));
  }

  /**
   * An object store (S3A, OSS) is listed with one recursive listing (pages of a thousand keys), not a call per folder:
   * the same files and lengths as the walk of a local folder; a folder, and a file, matched twice are listed once.
   */
  @Test
  void anObjectStoreIsListedInOneRecursiveListingWithTheWalksFiles() throws IOException {
    assertTrue(NetcClassifier.flatListing("s3a") && NetcClassifier.flatListing("oss"));
    // gs and abfs list recursively folder by folder anyway (Hadoop's default listFiles), and hierarchical stores name an
    // unlistable folder as a row: walked, as local and HDFS trees are
    assertFalse(NetcClassifier.flatListing("file") || NetcClassifier.flatListing("hdfs") || NetcClassifier.flatListing("abfs")
        || NetcClassifier.flatListing("gs") || NetcClassifier.flatListing("ofs") || NetcClassifier.flatListing(null));
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    java.util.function.Function<List<Row>, List<String>> rows = l -> l.stream().map(r -> r.getString(0) + " " + r.getLong(1)).sorted().toList();
    List<String> walked = rows.apply(NetcClassifier.list(images.toString(), conf));
    NetcClassifier.forceFlatListing = true;
    try {
      assertEquals(walked, rows.apply(NetcClassifier.list(images.toString(), conf)));
      assertTrue(walked.size() > 10 && walked.stream().anyMatch(r -> r.contains("/more/")), "nested folders too: " + walked);
      List<Row> twice = NetcClassifier.list(images + "{,/more}", conf); // the folder and one inside it
      assertEquals(walked, rows.apply(twice));
    } finally {
      NetcClassifier.forceFlatListing = false;
    }
    // walked too: a folder and a file inside it matched by one glob give the file one row
    String inside = walked.get(0).substring(0, walked.get(0).lastIndexOf(' '));
    Path file = Path.of(URI.create(inside));
    List<Row> both = NetcClassifier.list(images + "{," + images.relativize(file).toString().replace("\\", "/").replace(",", "\\,") + "}"
        .replace("{,", "{,/"), conf);
    assertEquals(walked, rows.apply(both));
  }

  /** The listing is split by its number of files too, not only by Spark's default parallelism (1 in local[1]). */
  @Test
  void aLargeListingIsSplitIntoTasksOfAtMost500Files() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("many"));
    for (int i = 0; i < 2 * NetcClassifier.FILES_PER_SLICE + 1; i++) Files.createFile(folder.resolve("f" + i + ".png"));
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      assertEquals(1, spark.sparkContext().defaultParallelism());
      org.apache.spark.sql.Dataset<Row> files = NetcClassifier.readImages(spark, folder.toString(), MAX_BYTES);
      assertEquals(3, files.rdd().getNumPartitions(), "1001 files: 3 tasks (of 333 or 334), none over 500");
      assertEquals(2 * NetcClassifier.FILES_PER_SLICE + 1, files.count());
    } finally {
      spark.stop();
    }
  }

  /** Spark's own refusals (no such input, an output that exists) are one line and status 1, not a stack trace. */
  @Test
  void aMissingInputOrAnExistingOutputIsOneLine() throws IOException {
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Path missing = dir.resolve("no-such-folder");
    assertEquals(1, ClassifyImages.run(new String[] {missing.toString(), jar.toString(), dir.resolve("x.parquet").toString()}, System.out, e));
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.startsWith("error: ") && msg.contains("Path does not exist: file:" + missing) && msg.lines().count() == 1, msg);
    err.reset();
    // an existing output is refused before the input is listed (a missing one is not named) and the job run
    Path existing = Files.createDirectories(dir.resolve("exists.parquet"));
    assertEquals(1, ClassifyImages.run(new String[] {missing.toString(), jar.toString(), existing.toString()}, System.out, e));
    msg = err.toString(StandardCharsets.UTF_8);
    assertEquals("error: " + existing + " already exists: the job writes a new folder (remove it, or name another)\n", msg.replace("\r", ""));
    assertTrue(Files.isDirectory(existing), "left as it was");
  }

  /**
   * Spark's refusal of an existing output (another job's, made since the check) is told by its error
   * condition through any wrapping, not by its message's words, which a path may hold too.
   */
  @Test
  void theAlreadyExistsRefusalIsKnownByItsCondition() {
    class Refusal extends RuntimeException implements org.apache.spark.SparkThrowable {
      Refusal() {
        super("[PATH_ALREADY_EXISTS] Path file:/data/out.parquet already exists.");
      }

      @Override
      public String getCondition() {
        return "PATH_ALREADY_EXISTS";
      }
    }
    assertTrue(ClassifyImages.condition(new IllegalStateException("job aborted", new Refusal()), "PATH_ALREADY_EXISTS"));
    assertFalse(ClassifyImages.condition(new java.io.IOException("write to /data/PATH_ALREADY_EXISTS/out failed"), "PATH_ALREADY_EXISTS"));
  }

  /** A job that fails while writing leaves no output folder behind, which would refuse the run that follows. */
  @Test
  void aFailedJobLeavesNoOutputFolder() throws IOException {
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Path out = dir.resolve("failed-job.parquet");
    NetcClassifier.predictOnExecutor = (model, input, batch, output) -> {
      throw new IllegalStateException("a model that fails");
    };
    try {
      assertEquals(1, ClassifyImages.run(new String[] {images.toString(), jar.toString(), out.toString()}, System.out, e));
    } finally {
      NetcClassifier.predictOnExecutor = CompiledModel::predict;
    }
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.startsWith("error: ") && msg.contains("a model that fails"), msg);
    assertFalse(Files.exists(out), "the unfinished output is removed");
  }

  /**
   * Two files on four cores are two slices, not four, and a partition with no rows loads no model (here a jar
   * that is not there, which a load would refuse): 50 images on a 400-core cluster loaded the weights in
   * every executor and allocated a batch in every task.
   */
  @Test
  void noTaskForNothingAndNoModelForAnEmptyPartition() throws IOException {
    Path two = Files.createDirectories(dir.resolve("two"));
    Files.write(two.resolve("a.png"), new byte[] {1});
    Files.write(two.resolve("b.png"), new byte[] {2});
    SparkSession spark = SparkSession.builder().master("local[4]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      assertEquals(2, NetcClassifier.readImages(spark, two.toString(), 1000).rdd().getNumPartitions());
    } finally {
      spark.stop();
    }
    NetcClassifier.Classify task = new NetcClassifier.Classify(dir.resolve("no-such.jar").toString(), new NetcClassifier.Options(1, 4, false, 1), false);
    assertFalse(task.call(java.util.Collections.emptyIterator()).hasNext());
  }

  /**
   * A job whose every row is an error (here every file is no image; on a cluster, executors that cannot see a
   * folder only the driver has) writes its rows and exits 1, naming an error, so a pipeline does not record it
   * as done; a model path no path can be is a usage error in one line.
   */
  @Test
  void aJobOfErrorsOnlyExitsOne() throws IOException {
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    Path bad = Files.createDirectories(dir.resolve("only-bad"));
    Files.write(bad.resolve("a.png"), new byte[] {1, 2, 3});
    Files.write(bad.resolve("b.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8});
    ByteArrayOutputStream err = new ByteArrayOutputStream(), out = new ByteArrayOutputStream();
    Path output = dir.resolve("only-bad.parquet");
    assertEquals(1, ClassifyImages.run(new String[] {bad.toString(), jar.toString(), output.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.startsWith("error: every row is an error, as ") && msg.contains(bad.toString())
        && msg.endsWith(" (each row's in the error column of " + output + ")\n") && msg.lines().count() == 1, msg);
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("wrote " + output + ": 2 rows, 2 of them errors"), out.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, ClassifyImages.run(new String[] {bad.toString(), "m\0.jar", "x.parquet"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: MODEL.jar m\0.jar: not a path ("), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * An input with nothing in it (an empty folder) is no job done: it wrote 0 rows and exited 0; now exit 1, and the empty
   * output is removed. A model jar whose name has a '#' was shipped as a URI cut at it ("File .../hash does not exist").
   */
  @Test
  void anEmptyInputExitsOneAndAJarNamedWithAHashShips() throws IOException {
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    Path empty = Files.createDirectories(dir.resolve("empty"));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path output = dir.resolve("empty.parquet");
    assertEquals(1, ClassifyImages.run(new String[] {empty.toString(), jar.toString(), output.toString()}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertEquals("error: " + empty + " holds no files: nothing was classified (" + output + " is removed)\n", err.toString(StandardCharsets.UTF_8));
    assertFalse(Files.exists(output));
    Path hashed = Files.copy(jar, dir.resolve("hash#x.jar"));
    Path shipped = ClassifyImages.stamped(hashed);
    assertTrue(shipped.getFileName().toString().startsWith("hash_x-"), shipped.toString());
    Path images = Files.createDirectories(dir.resolve("hashed"));
    Path good;
    try (java.util.stream.Stream<Path> files = Files.list(ClassifyImagesTest.images)) {
      good = files.filter(f -> f.getFileName().toString().startsWith("img")).sorted().findFirst().orElseThrow();
    }
    Files.copy(good, images.resolve(good.getFileName()));
    err.reset();
    Path out = dir.resolve("hashed.parquet");
    assertEquals(0, ClassifyImages.run(new String[] {images.toString(), hashed.toString(), out.toString()}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * A maxBytes past what one Java array holds is refused: a file's length was cast to an int, so a 3 GB
   * file was "cannot read (-1294967296)" and one of 4 GiB + 100 bytes was read as 100 and called
   * truncated. The job's --max-bytes takes no more either.
   */
  @Test
  void aMaxBytesPastTheArrayLimitIsRefused() {
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      for (long max : new long[] {3_000_000_000L, (4L << 30) + 100, 2_147_483_640L, 0}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetcClassifier.readImages(spark, images.toString(), max));
        assertEquals("maxBytes: must be 1 to 2147483639 (a file's bytes are read into one Java array), got " + max, e.getMessage());
      }
      assertEquals(GOOD + 2 + corrupt.size(), NetcClassifier.readImages(spark, images.toString(), NetcClassifier.MAX_ARRAY).count());
    } finally {
      spark.stop();
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(2, ClassifyImages.run(new String[] {"--max-bytes", "2147483640", "in", "m.jar", "out"}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --max-bytes 2147483640: expected a whole number from 1 to 2147483639\n"),
        err.toString(StandardCharsets.UTF_8));
  }

  static Float[] boxed(float[] v) {
    Float[] out = new Float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i];
    return out;
  }

  static float[] floats(List<Float> list) {
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = list.get(i);
    return out;
  }

  /** An executor loads a jar once per thread count, however many tasks ask; a missing jar is one line naming it. */
  @Test
  void theModelIsLoadedOncePerJvm() {
    CompiledModel first = NetcClassifier.model(jar.toString(), 1);
    assertTrue(first == NetcClassifier.model(jar.toString(), 1), "the same model");
    assertEquals(2, NetcClassifier.model(jar.toString(), 2).threads());
    BadInputException e = assertThrows(BadInputException.class, () -> NetcClassifier.model(dir.resolve("gone.jar").toString(), 1));
    assertEquals(dir.resolve("gone.jar") + ": no such model jar on this executor (ship it with --files, or give a path every executor reads)", e.getMessage());
    e = assertThrows(BadInputException.class, () -> NetcClassifier.model(dir.toString(), 1));
    assertEquals(dir + ": a folder, not a model jar", e.getMessage());
  }

  /** A jar the executor cannot look at (here a link to itself) is said so, with the reason, not called missing. */
  @Test
  void aJarThatCannotBeLookedAtIsNotCalledMissing() throws IOException {
    Path loop = dir.resolve("loop.jar");
    try {
      Files.createSymbolicLink(loop, loop.getFileName());
    } catch (UnsupportedOperationException | IOException noLinks) {
      org.junit.jupiter.api.Assumptions.abort("no symbolic links here");
    }
    BadInputException e = assertThrows(BadInputException.class, () -> NetcClassifier.model(loop.toString(), 1));
    assertTrue(e.getMessage().startsWith(loop + ": cannot look at the model jar on this executor ("), e.getMessage());
  }

  /** A model whose jar is gone (an earlier session's shipped copy) is closed and dropped when a new jar is loaded. */
  @Test
  void aModelWhoseJarIsGoneIsDroppedWhenAnotherLoads() throws IOException {
    Path copyA = Files.copy(jar, dir.resolve("session-a.jar")), copyB = Files.copy(jar, dir.resolve("session-b.jar"));
    CompiledModel a = NetcClassifier.model(copyA.toString(), 1);
    int before = NetcClassifier.loadedModels();
    Files.delete(copyA);
    CompiledModel b = NetcClassifier.model(copyB.toString(), 1);
    assertEquals(before, NetcClassifier.loadedModels(), "session a's model replaced by session b's, not kept beside it");
    assertThrows(IllegalStateException.class, () -> a.predict(new float[a.inputShape()[0] * a.inputShape()[1] * a.inputShape()[2]], 1,
        new float[a.outputSize()]), "closed");
    assertEquals(b, NetcClassifier.model(copyB.toString(), 1));
  }

  /**
   * An executor keeps at most MAX_MODELS models: a long-lived session loading jar after jar (versioned paths,
   * each recompile shipped under a new name) lets go of the least recently used, closed at once when no task
   * holds it, and one used since stays.
   */
  @Test
  void anExecutorKeepsTheMostRecentlyUsedModelsOnly() throws IOException {
    NetcClassifier.releaseModels();
    List<CompiledModel> models = new ArrayList<>();
    for (int v = 0; v < NetcClassifier.MAX_MODELS; v++) {
      models.add(NetcClassifier.model(Files.copy(jar, dir.resolve("versioned-" + v + ".jar")).toString(), 1));
    }
    assertEquals(NetcClassifier.MAX_MODELS, NetcClassifier.loadedModels());
    assertTrue(models.get(0) == NetcClassifier.model(dir.resolve("versioned-0.jar").toString(), 1), "used again: now the most recent");
    CompiledModel next = NetcClassifier.model(Files.copy(jar, dir.resolve("versioned-next.jar")).toString(), 1);
    assertEquals(NetcClassifier.MAX_MODELS, NetcClassifier.loadedModels(), "one let go for the new one");
    float[] in = new float[next.inputShape()[0] * next.inputShape()[1] * next.inputShape()[2]], out = new float[next.outputSize()];
    assertThrows(IllegalStateException.class, () -> models.get(1).predict(in, 1, out), "the least recently used, closed");
    for (CompiledModel kept : List.of(models.get(0), models.get(2), models.get(3), next)) kept.predict(in, 1, out);
    assertTrue(models.get(0) == NetcClassifier.model(dir.resolve("versioned-0.jar").toString(), 1), "kept, not loaded again");
    NetcClassifier.releaseModels();
  }

  /**
   * Past MAX_MODELS, the least recently used model that no task holds is let go: while tasks hold them all, the
   * executor holds more (letting a held one go had its next task load a second copy beside it, a load per task);
   * once they let go, the next new model brings the count back.
   */
  @Test
  void heldModelsAreNotLetGoPastTheLimit() throws IOException {
    NetcClassifier.releaseModels();
    List<NetcClassifier.Loaded> held = new ArrayList<>();
    for (int v = 0; v <= NetcClassifier.MAX_MODELS; v++) {
      held.add(NetcClassifier.acquire(Files.copy(jar, dir.resolve("held-" + v + ".jar")).toString(), 1));
    }
    assertEquals(NetcClassifier.MAX_MODELS + 1, NetcClassifier.loadedModels(), "all held: one over the limit");
    CompiledModel first = held.get(0).model;
    float[] in = new float[first.inputShape()[0] * first.inputShape()[1] * first.inputShape()[2]], out = new float[first.outputSize()];
    for (NetcClassifier.Loaded l : held) l.model.predict(in, 1, out); // none closed
    NetcClassifier.Loaded again = NetcClassifier.acquire(dir.resolve("held-0.jar").toString(), 1);
    assertTrue(again.model == first, "the held model, not a second copy");
    NetcClassifier.release(again);
    held.forEach(NetcClassifier::release);
    NetcClassifier.model(Files.copy(jar, dir.resolve("held-next.jar")).toString(), 1);
    assertEquals(NetcClassifier.MAX_MODELS, NetcClassifier.loadedModels(), "two unheld let go for the new one");
    NetcClassifier.releaseModels();
  }

  /**
   * A model loads outside the cache's lock: a task of another model goes on while a slow one loads, and tasks of
   * the loading jar wait for that one load. A load that fails fails the tasks that waited for it with its error,
   * and a later task loads afresh.
   */
  @Test
  void aSlowLoadHoldsUpOnlyTheTasksOfItsJar() throws Exception {
    NetcClassifier.releaseModels();
    Path slow = Files.copy(jar, dir.resolve("slow.jar")), other = Files.copy(jar, dir.resolve("other.jar"));
    java.util.concurrent.CountDownLatch loading = new java.util.concurrent.CountDownLatch(1), finish = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService tasks = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      NetcClassifier.loadOnExecutor = (path, threads) -> {
        if (path.getFileName().toString().equals("slow.jar")) {
          loads.incrementAndGet();
          loading.countDown();
          try {
            finish.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          throw new BadInputException(path + ": not a model jar (for this test)");
        }
        return CompiledModel.load(path, threads);
      };
      var first = tasks.submit(() -> NetcClassifier.acquire(slow.toString(), 1));
      assertTrue(loading.await(30, java.util.concurrent.TimeUnit.SECONDS));
      Thread[] waiter = new Thread[1];
      var waiting = tasks.submit(() -> {
        waiter[0] = Thread.currentThread();
        return NetcClassifier.acquire(slow.toString(), 1);
      });
      // another jar loads while slow.jar's load is under way (it used to wait for it, under the cache's lock)
      NetcClassifier.Loaded o = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> NetcClassifier.acquire(other.toString(), 1));
      assertEquals(10, o.model.outputSize());
      NetcClassifier.release(o);
      long until = System.nanoTime() + 30_000_000_000L; // the second task waits for the first's load (blocked on it) before it fails
      while ((waiter[0] == null || waiter[0].getState() != Thread.State.BLOCKED) && System.nanoTime() < until) Thread.sleep(1);
      assertEquals(Thread.State.BLOCKED, waiter[0].getState());
      finish.countDown();
      for (var f : List.of(first, waiting)) {
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(slow + ": not a model jar (for this test)", e.getCause().getMessage());
      }
      assertEquals(1, loads.get(), "one load, the waiting task given its error");
      assertEquals(1, NetcClassifier.loadedModels(), "the failed load not kept");
    } finally {
      NetcClassifier.loadOnExecutor = CompiledModel::load;
      tasks.shutdownNow();
    }
    assertEquals(10, NetcClassifier.model(slow.toString(), 1).outputSize(), "loaded afresh by a later task");
    NetcClassifier.releaseModels();
  }

  /** releaseModels closes every model held (a later call loads afresh); one a task still holds is closed when it lets go. */
  @Test
  void releasedModelsAreClosedOnceNoTaskHoldsThem() {
    CompiledModel free = NetcClassifier.model(jar.toString(), 1);
    NetcClassifier.Loaded held = NetcClassifier.acquire(jar.toString(), 2);
    NetcClassifier.releaseModels();
    assertEquals(0, NetcClassifier.loadedModels());
    float[] in = new float[free.inputShape()[0] * free.inputShape()[1] * free.inputShape()[2]], out = new float[free.outputSize()];
    assertThrows(IllegalStateException.class, () -> free.predict(in, 1, out), "closed at once");
    held.model.predict(in, 1, out); // still open for the task that holds it
    NetcClassifier.release(held);
    assertThrows(IllegalStateException.class, () -> held.model.predict(in, 1, out), "closed by the last to let go");
    assertTrue(NetcClassifier.model(jar.toString(), 1) != free, "loaded afresh");
  }

  /**
   * A jar is taken from the files shipped with the job only when named by its bare name: a path to
   * another jar of the same name is that jar. A jar rewritten at the same path is loaded afresh, and
   * the old model is closed once no task holds it: a task running on it keeps it to its last row.
   */
  @Test
  void aShippedJarIsUsedOnlyByItsNameAndAChangedJarIsReloaded() throws IOException {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    Path spec = Files.writeString(dir.resolve("seven.net"), SPEC.replace("fc(10)", "fc(7)"));
    Path seven = dir.resolve("seven.jar");
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", seven.toString(), "--thin"}, p, p), log.toString(StandardCharsets.UTF_8));
    Path v1 = Files.copy(jar, Files.createDirectories(dir.resolve("v1")).resolve("model.jar"));
    Path v2 = Files.copy(seven, Files.createDirectories(dir.resolve("v2")).resolve("model.jar"));
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      spark.sparkContext().addFile(v1.toString());
      assertEquals(7, NetcClassifier.model(v2.toString(), 1).outputSize(), "the path given, not the shipped jar of the same name");
      assertEquals(10, NetcClassifier.model("model.jar", 1).outputSize(), "the shipped jar, by its name");
    } finally {
      spark.stop();
    }
    Path inPlace = Files.copy(jar, dir.resolve("in-place.jar"));
    CompiledModel old = NetcClassifier.model(inPlace.toString(), 1);
    assertEquals(10, old.outputSize());
    int loaded = NetcClassifier.loadedModels();
    Files.copy(seven, inPlace, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    // a later time, whatever the file system's clock resolution
    Files.setLastModifiedTime(inPlace, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(inPlace).toMillis() + 10_000));
    assertEquals(7, NetcClassifier.model(inPlace.toString(), 1).outputSize(), "the jar as it is now");
    assertEquals(loaded, NetcClassifier.loadedModels(), "the old model dropped, not kept beside the new");
    assertThrows(IllegalStateException.class, () -> old.predict(new float[3 * 32 * 32], 1, new float[10]), "closed");

    // a jar written anew (a new file renamed over the old) with the same size and time is still a new jar
    CompiledModel current = NetcClassifier.model(inPlace.toString(), 1);
    java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(inPlace);
    Path fresh = Files.copy(inPlace, dir.resolve("in-place.jar.new"));
    Files.move(fresh, inPlace, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(inPlace, time);
    assertTrue(current != NetcClassifier.model(inPlace.toString(), 1), "loaded afresh: another file at the path");

    // a task holding the model when its jar changes keeps it until it lets go
    Files.copy(jar, inPlace, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(inPlace, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(inPlace).toMillis() + 20_000));
    NetcClassifier.Loaded held = NetcClassifier.acquire(inPlace.toString(), 1);
    assertEquals(10, held.model.outputSize());
    Files.copy(seven, inPlace, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(inPlace, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(inPlace).toMillis() + 30_000));
    assertEquals(7, NetcClassifier.model(inPlace.toString(), 1).outputSize(), "a new task gets the new jar's model");
    float[] out = new float[10];
    held.model.predict(new float[3 * 32 * 32], 1, out); // still open for the task that holds it
    NetcClassifier.release(held);
    assertThrows(IllegalStateException.class, () -> held.model.predict(new float[3 * 32 * 32], 1, out), "closed by the last to let go");
  }

  @Test
  void badCommandLinesAndModelsAreOneLineBeforeSparkStarts() throws IOException {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(2, ClassifyImages.run(new String[] {"in", "m.jar"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: expected INPUT MODEL.jar OUTPUT.parquet, got 2 arguments\nusage: "));
    err.reset();
    assertEquals(2, ClassifyImages.run(new String[] {"--batch", "0", "in", "m.jar", "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --batch 0: expected a whole number from 1 to 1024\n"));
    err.reset();
    // positive, only too large: said against the range
    assertEquals(2, ClassifyImages.run(new String[] {"--batch", "99999999999", "in", "m.jar", "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --batch 99999999999: expected a whole number from 1 to 1024\n"),
        err.toString(StandardCharsets.UTF_8));
    err.reset();
    // a model of tensors given images: which jar, and how to give it what it takes
    Path gray = Files.writeString(dir.resolve("gray.net"), "input(1, 8, 8)\nconv(4, 3)\nglobal_avgpool()\nflatten()\nfc(3)\n");
    Path grayJar = dir.resolve("gray.jar");
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", gray.toString(), "-o", grayJar.toString(), "--thin"},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
    assertEquals(1, ClassifyImages.run(new String[] {"in", grayJar.toString(), "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).matches("error: " + java.util.regex.Pattern.quote(grayJar.toString()) + ": the model \\w+ takes"
        + " \\[1, 8, 8\\] tensors, not RGB images \\(3 x S x S\\): prepare its inputs yourself: give it tensors, --tensors IN.parquet\n"),
        err.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, ClassifyImages.run(new String[] {"--threads", "2000000000", "in", "m.jar", "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --threads 2000000000: expected a whole number from 1 to 1024\n"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, ClassifyImages.run(new String[] {"--top", "3", "--top", "5", "in", "m.jar", "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --top is given twice: give it once\n"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    // refused, not ignored
    assertEquals(2, ClassifyImages.run(new String[] {"--tensors", "--max-bytes", "1000", "in", "m.jar", "out"}, System.out, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --max-bytes bounds image files; --tensors reads none\n"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    Path missing = dir.resolve("missing.jar");
    assertEquals(1, ClassifyImages.run(new String[] {"in", missing.toString(), "out"}, System.out, e));
    assertEquals("error: " + missing + ": no such file\n", err.toString(StandardCharsets.UTF_8));
    err.reset();
    // a folder is named as one (it was "no such file"), as every reader of netc names it
    assertEquals(1, ClassifyImages.run(new String[] {"in", dir.toString(), "out"}, System.out, e));
    assertEquals("error: " + dir + ": not a regular file (a directory)\n", err.toString(StandardCharsets.UTF_8));
    err.reset();
    Path notAJar = Files.writeString(dir.resolve("plain.jar"), "hello");
    assertEquals(1, ClassifyImages.run(new String[] {"in", notAJar.toString(), "out"}, System.out, e));
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.startsWith("error: " + notAJar + ": ") && msg.lines().count() == 1, msg);
  }

  /** A Spark setting that is no count, or a master Spark cannot parse: one line and exit 1, not Spark's stack trace. */
  @Test
  void badSparkSettingsAreOneLine() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    String[] args = {images.toString(), jar.toString(), dir.resolve("settings.parquet").toString()};
    String master = System.getProperty("spark.master");
    try {
      System.setProperty("spark.task.cpus", "two");
      assertEquals(1, ClassifyImages.run(args, System.out, e));
      assertEquals("error: spark.task.cpus two: expected a positive whole number\n", err.toString(StandardCharsets.UTF_8));
      System.clearProperty("spark.task.cpus");
      err.reset();
      System.setProperty("spark.master", "nowhere");
      assertEquals(1, ClassifyImages.run(args, System.out, e));
      String msg = err.toString(StandardCharsets.UTF_8);
      assertTrue(msg.startsWith("error: Spark did not start (master nowhere): ") && msg.contains("nowhere") && msg.lines().count() == 1, msg);
      assertFalse(Files.exists(dir.resolve("settings.parquet")));
    } finally {
      System.clearProperty("spark.task.cpus");
      if (master == null) System.clearProperty("spark.master");
      else System.setProperty("spark.master", master);
    }
  }

  /**
   * Run inside a session of the caller's (a test, a notebook), the job uses it and leaves it running. Run
   * again in it after its jar was recompiled at the same path, it classifies with the new model: Spark ships
   * a path once per session, and the old copy was used without a word.
   */
  @Test
  void aCallersSessionIsUsedAndLeftRunningAndAJarRecompiledInPlaceIsShippedAgain() throws IOException {
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      Path model = Files.copy(jar, Files.createDirectories(dir.resolve("in-place")).resolve("model.jar"));
      Path first = dir.resolve("in-session.parquet"), second = dir.resolve("in-session-again.parquet");
      PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
      assertEquals(0, ClassifyImages.run(new String[] {"--logits", images.toString(), model.toString(), first.toString()}, quiet, System.err));
      assertEquals(3, spark.range(3).count(), "the caller's session still runs");
      assertEquals(GOOD + 2 + corrupt.size(), spark.read().parquet(first.toString()).count(), "a row for every file");
      // a network of the same input and classes, wider, compiled over the shipped jar's path
      Path spec = Files.writeString(dir.resolve("tiny2.net"), SPEC.replace("conv1: conv(8, 3", "conv1: conv(12, 3"));
      assertEquals(0, netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", model.toString(), "--thin", "--name", "tiny"}, quiet, quiet));
      Files.setLastModifiedTime(model, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
      assertEquals(0, ClassifyImages.run(new String[] {"--logits", images.toString(), model.toString(), second.toString()}, quiet, System.err));
      // shipped under its contents' name: the same jar is the same file at the same path (a cluster's file server
      // refuses one name at two paths), another jar another name
      Path shipped = ClassifyImages.stamped(model);
      assertEquals(shipped, ClassifyImages.stamped(model));
      assertTrue(shipped.getFileName().toString().matches("model-[0-9a-f]{16}\\.jar"), shipped.toString());
      Path firstJar = Files.copy(jar, Files.createDirectories(dir.resolve("first")).resolve("model.jar"));
      assertFalse(shipped.equals(ClassifyImages.stamped(firstJar)), "the first jar, of the same file name: another name");
      Map<String, Row> before = new HashMap<>();
      for (Row r : spark.read().parquet(first.toString()).collectAsList()) before.put(r.getString(r.fieldIndex(NetcClassifier.PATH)), r);
      int compared = 0;
      for (Row r : spark.read().parquet(second.toString()).collectAsList()) {
        if (r.isNullAt(r.fieldIndex(NetcClassifier.LOGITS))) continue;
        Row old = before.get(r.getString(r.fieldIndex(NetcClassifier.PATH)));
        assertFalse(r.getList(r.fieldIndex(NetcClassifier.LOGITS)).equals(old.getList(old.fieldIndex(NetcClassifier.LOGITS))),
            "the recompiled model's logits: " + r);
        compared++;
      }
      assertEquals(before.values().stream().filter(r -> !r.isNullAt(r.fieldIndex(NetcClassifier.LOGITS))).count(), compared,
          "every image the first run classified");
      assertTrue(compared > GOOD, compared + " images compared");
    } finally {
      spark.stop();
    }
  }

  /** Wraps {@code cause} as Spark hands a failed task's exception to the driver (the shape of a failed write in Spark 4). */
  static Exception sparkFailure(Throwable cause) {
    String write = "[TASK_WRITE_FAILED] Task failed while writing rows to file:/data/out.parquet.";
    return new org.apache.spark.SparkException("Job aborted due to stage failure: Task 0 in stage 1.0 failed 1 times, most recent failure: Lost"
        + " task 0.0 in stage 1.0 (TID 1) (localhost executor driver): org.apache.spark.SparkException: " + write + "\n\tat org.apache.spark.sql"
        + ".errors.QueryExecutionErrors$.taskFailedWhileWritingRowsError(QueryExecutionErrors.scala:774)", new org.apache.spark.SparkException(write, cause));
  }

  /**
   * A failed job prints netc's message from under Spark's wrappers: a BadInputException's, netc's
   * explanation of an out-of-memory rather than the JVM's it wraps; without either, the root cause's
   * first line (its class when it has no message).
   */
  @Test
  void aFailedJobPrintsNetcsMessageFromUnderSparksWrappers() {
    String netc = "/m/r50.jar: no such model jar on this executor (ship it with --files, or give a path every executor reads)";
    assertEquals(netc, ClassifyImages.message(sparkFailure(new BadInputException(netc, new IOException("detail")))));
    OutOfMemoryError explained = new OutOfMemoryError("loading the compiled model r50 needs 97.5 MiB of heap for its weights (and 3.1 MiB per"
        + " concurrent call); this JVM's maximum heap is 64.0 MiB: raise it with -Xmx");
    explained.initCause(new OutOfMemoryError("Java heap space"));
    assertEquals(explained.getMessage(), ClassifyImages.message(sparkFailure(explained)));
    assertEquals("java.lang.OutOfMemoryError: Java heap space", ClassifyImages.message(sparkFailure(new OutOfMemoryError("Java heap space"))));
    // a file system's error, whose message is the path alone (the jar deleted after the driver's check): its reason too
    Path gone = dir.resolve("deleted-since.jar");
    assertEquals(gone + ": no such file or directory", ClassifyImages.message(new java.nio.file.NoSuchFileException(gone.toString())));
    assertEquals("No space left on device", ClassifyImages.message(sparkFailure(new IOException("No space left on device\nsecond line"))));
    assertEquals("java.lang.NullPointerException", ClassifyImages.message(sparkFailure(new NullPointerException())));
    assertEquals("[PATH_ALREADY_EXISTS] Path file:/data/out.parquet already exists.", ClassifyImages.message(
        new Exception("[PATH_ALREADY_EXISTS] Path file:/data/out.parquet already exists.\nSet mode as \"overwrite\" to overwrite the existing path.")));
  }

  /**
   * In a real job: a task's BadInputException (here the model jar missing on the executor) reaches
   * message() through Spark's wrappers; and an image row whose path is null is classified, its path
   * written as "(no path)", not a failed task (the output's path is not nullable).
   */
  @Test
  void aTaskFailureIsNetcsMessageAndANullPathIsNamed() throws IOException {
    byte[] png = encode(picture(new Random(9), 40, 40), "png");
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType().add("path", "string").add("content", "binary");
    List<Row> in = List.of(org.apache.spark.sql.RowFactory.create(null, png), org.apache.spark.sql.RowFactory.create("named.png", png));
    Path missing = dir.resolve("missing-on-executor.jar");
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    List<Row> out;
    Exception failed;
    try {
      org.apache.spark.sql.Dataset<Row> images = spark.createDataFrame(in, schema);
      out = NetcClassifier.classify(images, jar.toString(), NetcClassifier.Options.defaults()).collectAsList();
      failed = assertThrows(Exception.class, () -> NetcClassifier.classify(images, missing.toString(), NetcClassifier.Options.defaults()).write()
          .parquet(dir.resolve("failed.parquet").toString()));
    } finally {
      spark.stop();
    }
    assertEquals(missing + ": no such model jar on this executor (ship it with --files, or give a path every executor reads)", ClassifyImages.message(failed));
    assertEquals(2, out.size());
    Row unnamed = out.get(0), named = out.get(1);
    assertEquals(NetcClassifier.NO_PATH, unnamed.getString(0));
    assertNull(unnamed.getString(unnamed.fieldIndex(NetcClassifier.ERROR)));
    assertEquals(named.getList(named.fieldIndex(NetcClassifier.LABELS)), unnamed.getList(unnamed.fieldIndex(NetcClassifier.LABELS)), "the same image");
    assertEquals(named.getList(named.fieldIndex(NetcClassifier.PROBABILITIES)), unnamed.getList(unnamed.fieldIndex(NetcClassifier.PROBABILITIES)));
  }

  /**
   * classify() takes what Spark's functions give: a {@code length} of functions.length (an int) and an
   * {@code error} of another type are cast, and answered as the long and string columns are; a
   * {@code content} that is not binary is refused on the driver, naming the column, not a
   * ClassCastException in every task.
   */
  @Test
  void classifyCastsLengthAndErrorAndRefusesContentThatIsNotBinary() throws IOException {
    byte[] png = encode(picture(new Random(13), 40, 40), "png");
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType().add("path", "string").add("content", "binary");
    List<Row> in = List.of(org.apache.spark.sql.RowFactory.create("a.png", png), org.apache.spark.sql.RowFactory.create("gone.png", null));
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      org.apache.spark.sql.Dataset<Row> images = spark.createDataFrame(in, schema);
      NetcClassifier.Options options = NetcClassifier.Options.defaults();
      List<Row> plain = NetcClassifier.classify(images, jar.toString(), options).collectAsList();
      assertNull(plain.get(0).getString(plain.get(0).fieldIndex(NetcClassifier.ERROR)));
      assertEquals("gone.png: no content (the file could not be read)", plain.get(1).getString(plain.get(1).fieldIndex(NetcClassifier.ERROR)));

      org.apache.spark.sql.Dataset<Row> lengths = images.withColumn("length", org.apache.spark.sql.functions.coalesce(
          org.apache.spark.sql.functions.length(org.apache.spark.sql.functions.col("content")), org.apache.spark.sql.functions.lit(7)));
      assertEquals("int", lengths.schema().apply("length").dataType().simpleString());
      List<Row> withLength = NetcClassifier.classify(lengths, jar.toString(), options).collectAsList();
      assertEquals(plain.get(0), withLength.get(0));
      assertEquals("gone.png: not read: 7 bytes, more than the size limit (--max-bytes, readImages' maxBytes)", withLength.get(1).getString(withLength.get(1).fieldIndex(NetcClassifier.ERROR)));

      org.apache.spark.sql.Dataset<Row> errors = images.withColumn("error", org.apache.spark.sql.functions
          .when(org.apache.spark.sql.functions.col("content").isNull(), org.apache.spark.sql.functions.lit(13)));
      assertEquals("int", errors.schema().apply("error").dataType().simpleString());
      List<Row> withError = NetcClassifier.classify(errors, jar.toString(), options).collectAsList();
      assertEquals(plain.get(0), withError.get(0));
      assertEquals("13", withError.get(1).getString(withError.get(1).fieldIndex(NetcClassifier.ERROR)));
      // the optional columns are found as Spark resolves names: case-insensitively by default
      org.apache.spark.sql.Dataset<Row> upper = images.withColumn("ERROR", org.apache.spark.sql.functions
          .when(org.apache.spark.sql.functions.col("content").isNull(), org.apache.spark.sql.functions.lit("gone.png: permission denied")));
      List<Row> withUpper = NetcClassifier.classify(upper, jar.toString(), options).collectAsList();
      assertEquals("gone.png: permission denied", withUpper.get(1).getString(withUpper.get(1).fieldIndex(NetcClassifier.ERROR)));

      org.apache.spark.sql.Dataset<Row> text = images.withColumn("content", org.apache.spark.sql.functions.lit("not bytes"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetcClassifier.classify(text, jar.toString(), options));
      assertEquals("content: string, expected binary (an encoded image's bytes, as spark.read().format(\"binaryFile\") gives)", e.getMessage());
    } finally {
      spark.stop();
    }
  }

  /**
   * A model whose output is a map ([4, 8, 8]) has no classes to rank: refused on the driver unless --logits asks for
   * its outputs (every row was an error after the whole job's inference), and with --logits its rows carry them,
   * labels and probabilities null.
   */
  @Test
  void aModelThatGivesAMapIsRefusedUnlessItsOutputsAreAsked() throws IOException {
    Path spec = Files.writeString(dir.resolve("map.net"), "input(3, 8, 8)\nc: conv(4, 1)\n");
    Path map = dir.resolve("map.jar"), output = dir.resolve("map.parquet");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", map.toString(), "--thin"}, p, p), log.toString(StandardCharsets.UTF_8));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClassifyImages.run(new String[] {images.toString(), map.toString(), output.toString()}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, status);
    assertEquals("error: " + map + ": the model gives [4, 8, 8] an image, not one score per class: --logits gives its outputs (labels and"
        + " probabilities null)\n", err.toString(StandardCharsets.UTF_8));
    assertFalse(Files.exists(output));
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    err.reset();
    status = ClassifyImages.run(new String[] {"--logits", images.toString(), map.toString(), output.toString()}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    int answered = 0;
    try {
      for (Row r : spark.read().parquet(output.toString()).collectAsList()) {
        if (!r.isNullAt(r.fieldIndex(NetcClassifier.ERROR))) continue; // the corrupt images of the folder
        answered++;
        assertTrue(r.isNullAt(r.fieldIndex(NetcClassifier.LABELS)), r.toString());
        assertTrue(r.isNullAt(r.fieldIndex(NetcClassifier.PROBABILITIES)), r.toString());
        assertEquals(4 * 8 * 8, r.getList(r.fieldIndex(NetcClassifier.LOGITS)).size(), r.toString());
      }
    } finally {
      spark.stop();
    }
    assertTrue(answered > 0, "the good images are answered");
    // the API, which has no driver-side check: each task refuses before any inference
    try (CompiledModel m = CompiledModel.load(map, 1)) {
      BadInputException e = assertThrows(BadInputException.class, () -> new NetcClassifier.Batches(m, new NetcClassifier.Options(1, 4, false, 1),
          true, java.util.Collections.emptyIterator(), () -> {}));
      assertEquals("the model gives [4, 8, 8] an image, not one score per class: Options.logits gives its outputs (labels and probabilities"
          + " null)", e.getMessage());
    }
    // a task names the model it refuses (several may run in one job)
    BadInputException inTask = assertThrows(BadInputException.class, () -> new NetcClassifier.Classify(map.toString(),
        new NetcClassifier.Options(1, 4, false, 1), true).call(List.of(org.apache.spark.sql.RowFactory.create("x")).iterator()));
    assertEquals(map + ": the model gives [4, 8, 8] an image, not one score per class: Options.logits gives its outputs (labels and probabilities"
        + " null)", inTask.getMessage());
  }

  /**
   * A --batch whose inputs would pass a Java array's length (1,024 of 3 x 1024 x 1024 floats, an int
   * overflow that was a NegativeArraySizeException in every task) is refused on the driver, naming
   * --batch and the largest batch that fits, before Spark starts.
   */
  @Test
  void aBatchPastTheArrayLimitIsRefusedNamingBatch() throws IOException {
    Path big = bigJar();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClassifyImages.run(new String[] {"--batch", "1024", images.toString(), big.toString(), dir.resolve("big.parquet").toString()}, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("error: --batch 1024: a batch of 1024 inputs of 3x1024x1024 takes 3,221,225,472 floats, more than the 2,147,483,639 one Java"
        + " array holds; the model big takes batches of 682 at most\n", err.toString(StandardCharsets.UTF_8));
    assertEquals(1, status);
    try (CompiledModel m = CompiledModel.load(big, 1)) {
      assertNull(m.batchTooLarge(682), "682 x 3,145,728 = 2,145,386,496 floats fit");
      assertTrue(m.batchTooLarge(683) != null);
    }
  }

  private static Path big;

  /** A model of large inputs (3 x 1024 x 1024, 12 MiB each) and few weights, compiled on first use. */
  static synchronized Path bigJar() throws IOException {
    if (big != null) return big;
    Path spec = Files.writeString(dir.resolve("big.net"), "input(3, 1024, 1024)\nhead: global_avgpool()\nflatten()\nfc: fc(10)\n");
    Path jar = dir.resolve("big.jar");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", jar.toString(), "--thin"}, p, p), log.toString(StandardCharsets.UTF_8));
    return big = jar;
  }

  /** The bytes a batch of {@code batch} of {@link #bigJar}'s model holds: its inputs and its 10 outputs each. */
  static long bigBatchBytes(int batch) {
    return 4L * batch * (3 * 1024 * 1024 + 10);
  }

  /**
   * What {@code code} throws, as a BadInputException: any other Throwable fails the test, an
   * OutOfMemoryError too (assertThrows rethrows one as it is, and the test JVM would end on it).
   */
  static BadInputException refusal(org.junit.jupiter.api.function.Executable code) {
    try {
      code.execute();
    } catch (BadInputException e) {
      return e;
    } catch (Throwable t) {
      throw new AssertionError("expected a BadInputException, got " + t, t);
    }
    throw new AssertionError("expected a BadInputException, got none");
  }

  /** Whether Spark's executor would end itself over {@code t}, a task's failure (it looks down the causes). */
  static boolean killsTheExecutor(Throwable t) {
    return org.apache.spark.executor.Executor$.MODULE$.isFatalError(t, Integer.MAX_VALUE);
  }

  /**
   * A task whose batch does not fit its executor's heap (682 inputs of 3 x 1024 x 1024, 8.6 GB: one
   * allocation past the heap, which fails at once) fails alone with one line naming --batch and the
   * bytes: not with the OutOfMemoryError, on which Spark ends the executor (in local mode the whole JVM).
   */
  @Test
  void aTaskOutOfMemoryForItsBatchFailsTheTaskNotTheExecutor() throws IOException {
    long heap = Runtime.getRuntime().maxMemory();
    org.junit.jupiter.api.Assumptions.assumeTrue(bigBatchBytes(682) > heap, "a heap of " + heap + " bytes holds the batch");
    assertTrue(killsTheExecutor(new IllegalStateException(new OutOfMemoryError("Java heap space"))), "Spark's rule, as this test reads it");
    try (CompiledModel m = CompiledModel.load(bigJar(), 1)) {
      NetcClassifier.Options options = new NetcClassifier.Options(1, 682, false, 1);
      BadInputException e = refusal(() -> new NetcClassifier.Batches(m, options, true, java.util.Collections.emptyIterator(), () -> {}));
      assertEquals(String.format(java.util.Locale.ROOT, "--batch 682: out of memory for a batch's inputs and outputs, 2,145,393,316 floats"
          + " (8,581,573,264 bytes), with this executor's heap of %,d MB: lower --batch or raise spark.executor.memory (spark-submit's --executor-memory; in local mode the driver's, --driver-memory)", heap >> 20), e.getMessage());
      assertTrue(!killsTheExecutor(e), "the task fails, not the executor");
      assertEquals(e.getMessage(), ClassifyImages.message(sparkFailure(e)), "the driver's line");
    }
  }

  /**
   * A task out of memory in the model's call (its per-call workspace, allocated on a first call or after
   * the model let its workspaces go) fails alone with one line naming --batch and the heap, not with the
   * OutOfMemoryError, on which Spark ends the executor: the error is neither thrown nor kept as the cause.
   */
  @Test
  void aTaskOutOfMemoryInThePredictCallFailsTheTaskNotTheExecutor() throws IOException {
    try (CompiledModel m = CompiledModel.load(jar, 1)) {
      int[] shape = m.inputShape();
      List<Float> tensor = java.util.Collections.nCopies(shape[0] * shape[1] * shape[2], 0.5f);
      // a row as Spark gives it: the tensor column a Scala Seq
      java.util.Iterator<Row> rows = List.of(org.apache.spark.sql.RowFactory.create("t0", scala.jdk.javaapi.CollectionConverters.asScala(tensor))).iterator();
      NetcClassifier.predictOnExecutor = (model, input, batch, output) -> {
        throw new OutOfMemoryError("Java heap space");
      };
      NetcClassifier.Batches batches = new NetcClassifier.Batches(m, new NetcClassifier.Options(1, 4, false, 1), true, rows, () -> {});
      BadInputException e = refusal(batches::hasNext);
      assertEquals(String.format(java.util.Locale.ROOT, "--batch 4: out of memory running the model on a batch of 1 (Java heap space), with this"
          + " executor's heap of %,d MB: lower --batch or raise spark.executor.memory (spark-submit's --executor-memory; in local mode the driver's, --driver-memory)", Runtime.getRuntime().maxMemory() >> 20), e.getMessage());
      assertNull(e.getCause(), "the OutOfMemoryError is not kept, where Spark would find it");
      assertTrue(!killsTheExecutor(e), "the task fails, not the executor");
      assertEquals(e.getMessage(), ClassifyImages.message(sparkFailure(e)), "the driver's line");
      // a workspace larger than the heap says how large, and that a smaller batch would not help
      long heap = Runtime.getRuntime().maxMemory();
      for (long bytes : new long[] {heap + 1, heap / 2}) {
        NetcClassifier.predictOnExecutor = (model, input, batch, output) -> {
          throw new netc.runtime.Workspace.TooLarge(bytes, new OutOfMemoryError("Java heap space"));
        };
        rows = List.of(org.apache.spark.sql.RowFactory.create("t0", scala.jdk.javaapi.CollectionConverters.asScala(tensor))).iterator();
        batches = new NetcClassifier.Batches(m, new NetcClassifier.Options(1, 4, false, 1), true, rows, () -> {});
        e = refusal(batches::hasNext);
        assertEquals(String.format(java.util.Locale.ROOT, "--batch 4: out of memory running the model: a workspace of %,.1f MiB (the model's"
            + " activations for one image on one thread; a batch takes one for each image a thread runs at once, up to 4 a thread) does not fit in this JVM's heap of %,.1f MiB beside what it holds already (this"
            + " executor's): %sraise spark.executor.memory (spark-submit's --executor-memory; in local mode the driver's, --driver-memory)",
            bytes / 1048576.0, heap / 1048576.0, bytes > heap ? "" : "lower --batch or "), e.getMessage());
        assertNull(e.getCause());
        assertTrue(!killsTheExecutor(e));
      }
    } finally {
      NetcClassifier.predictOnExecutor = CompiledModel::predict;
    }
  }

  /**
   * An executor out of memory loading the model (its weights larger than the heap) fails the task with
   * CompiledModel.load's explanation and the executor's setting, not the executor: the error is not
   * kept as the cause, where Spark would find it.
   */
  @Test
  void anExecutorOutOfMemoryLoadingTheModelFailsTheTaskNotTheExecutor() throws IOException {
    String why = "loading the compiled model tiny needs 7629.4 MiB of heap for its weights (and 0.1 MiB per concurrent call); this JVM's maximum"
        + " heap is 1024.0 MiB: raise it with -Xmx";
    String setting = "; an executor's heap is spark.executor.memory (spark-submit's --executor-memory; in local mode the driver's, --driver-memory)";
    Path copy = Files.copy(jar, dir.resolve("oom-on-executor.jar")); // not loaded yet by another test
    try {
      NetcClassifier.loadOnExecutor = (path, threads) -> {
        OutOfMemoryError e = new OutOfMemoryError(why);
        e.initCause(new OutOfMemoryError("Java heap space"));
        throw e;
      };
      BadInputException e = refusal(() -> NetcClassifier.acquire(copy.toString(), 1));
      assertEquals(why + setting, e.getMessage());
      assertTrue(!killsTheExecutor(e));
      assertEquals(e.getMessage(), ClassifyImages.message(sparkFailure(e)));
      NetcClassifier.loadOnExecutor = (path, threads) -> {
        throw new OutOfMemoryError("Java heap space"); // the JVM's own, from reading the jar
      };
      e = refusal(() -> NetcClassifier.acquire(copy.toString(), 1));
      assertEquals("loading the compiled model " + copy.toAbsolutePath() + ": out of memory (Java heap space)" + setting, e.getMessage());
      assertTrue(!killsTheExecutor(e));
    } finally {
      NetcClassifier.loadOnExecutor = CompiledModel::load;
    }
    assertEquals(10, NetcClassifier.model(copy.toString(), 1).outputSize(), "nothing cached by the failed loads");
  }

  /**
   * A --batch whose inputs and outputs together pass an executor's heap (spark.executor.memory on a
   * cluster, this JVM's in local mode) is refused on the driver before Spark starts: every task would
   * run out of memory.
   */
  @Test
  void aBatchOverTheExecutorsHeapIsRefusedBeforeSparkStarts() throws IOException {
    String master = System.getProperty("spark.master");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    String[] args = {"--batch", "100", images.toString(), bigJar().toString(), dir.resolve("over-heap.parquet").toString()};
    try {
      // refused before the driver would connect to this master (there is none)
      System.setProperty("spark.master", "spark://nowhere.invalid:7077");
      System.setProperty("spark.executor.memory", "1g");
      assertEquals(1, ClassifyImages.run(args, System.out, e));
      assertEquals("error: --batch 100: a batch's inputs and outputs take 1,258,295,200 bytes, more than an executor's heap of 1,024 MB: lower"
          + " --batch or raise spark.executor.memory (--executor-memory)\n", err.toString(StandardCharsets.UTF_8));
      assertEquals(1_258_295_200L, bigBatchBytes(100));
      // an executor of 8 cores runs 8 tasks at once, each with its batch: 11 images fit one task's share no more
      err.reset();
      System.setProperty("spark.executor.cores", "8");
      args[1] = "11";
      assertEquals(1, ClassifyImages.run(args, System.out, e));
      assertEquals(String.format(java.util.Locale.ROOT, "error: --batch 11: a batch's inputs and outputs take %,d bytes, %,d bytes for the 8 tasks"
          + " an executor runs at once, more than an executor's heap of 1,024 MB: lower --batch or raise spark.executor.memory (--executor-memory)"
          + " or lower spark.executor.cores%n", bigBatchBytes(11), 8 * bigBatchBytes(11)), err.toString(StandardCharsets.UTF_8));
      assertTrue(bigBatchBytes(11) < 1L << 30 && 8 * bigBatchBytes(11) > 1L << 30, "one batch fits, eight do not");
      System.clearProperty("spark.executor.cores");
      args[1] = "100";
      long heap = Runtime.getRuntime().maxMemory();
      if (bigBatchBytes(682) > heap) { // a heap of more than 8 GB holds any batch of this model
        err.reset();
        System.setProperty("spark.master", "local[1]");
        args[1] = "682";
        assertEquals(1, ClassifyImages.run(args, System.out, e));
        assertEquals(String.format(java.util.Locale.ROOT, "error: --batch 682: a batch's inputs and outputs take 8,581,573,264 bytes, more than"
            + " this JVM's heap of %,d MB (local mode runs the tasks in it): lower --batch or raise --driver-memory (-Xmx)%n", heap >> 20),
            err.toString(StandardCharsets.UTF_8));
      }
    } finally {
      System.clearProperty("spark.executor.memory");
      System.clearProperty("spark.executor.cores");
      if (master == null) System.clearProperty("spark.master");
      else System.setProperty("spark.master", master);
    }
  }

  /** The driver's check of the model runs out of memory (weights larger than its heap): one line with the driver's setting, exit 1. */
  @Test
  void theDriversCheckOutOfMemoryIsOneLine() {
    String why = "loading the compiled model tiny needs 7629.4 MiB of heap for its weights (and 0.1 MiB per concurrent call); this JVM's maximum"
        + " heap is 1024.0 MiB: raise it with -Xmx";
    ClassifyImages.loadForCheck = (path, threads) -> {
      OutOfMemoryError e = new OutOfMemoryError(why);
      e.initCause(new OutOfMemoryError("Java heap space"));
      throw e;
    };
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      assertEquals(1, ClassifyImages.run(new String[] {images.toString(), jar.toString(), dir.resolve("oom.parquet").toString()}, System.out,
          new PrintStream(err, true, StandardCharsets.UTF_8)));
    } finally {
      ClassifyImages.loadForCheck = CompiledModel::load;
    }
    assertEquals("error: " + why + " (the driver loads the model to check it before the job: spark-submit sets its heap with --driver-memory)\n",
        err.toString(StandardCharsets.UTF_8));
  }

  /**
   * The jar replaced after the driver checked it and before it is shipped (recompiled at its path: netc writes a new
   * file and renames it over) is refused, not shipped unchecked; what is shipped is always a copy, of the jar checked,
   * since Spark reads a shipped path when each executor first asks for it.
   */
  @Test
  void aJarReplacedAfterItsCheckIsNotShipped() throws IOException {
    Path model = Files.copy(jar, dir.resolve("replaced.jar"));
    ClassifyImages.loadForCheck = (path, threads) -> {
      CompiledModel m = CompiledModel.load(path, threads);
      try {
        Path next = Files.copy(jar, dir.resolve("replaced.jar.new"));
        Files.move(next, model, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return m;
    };
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path output = dir.resolve("replaced.parquet");
    try {
      assertEquals(1, ClassifyImages.run(new String[] {images.toString(), model.toString(), output.toString()}, System.out,
          new PrintStream(err, true, StandardCharsets.UTF_8)));
    } finally {
      ClassifyImages.loadForCheck = CompiledModel::load;
    }
    assertEquals("error: " + model + ": changed while being read (another file now has its name)\n", err.toString(StandardCharsets.UTF_8));
    assertFalse(Files.exists(output), "no job ran");
  }

  /** A thread count past the runtime's cap is refused where the options are made, on the driver, not at each executor's load. */
  @Test
  void optionsRefuseMoreThreadsThanAModelTakes() {
    assertEquals("threads: must be 1 to 1024, got 1025",
        assertThrows(IllegalArgumentException.class, () -> new NetcClassifier.Options(5, 16, false, 1025)).getMessage());
    assertEquals(1024, new NetcClassifier.Options(5, 16, false, 1024).threads());
  }
}
