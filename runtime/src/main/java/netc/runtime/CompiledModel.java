package netc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.zip.CRC32;
import netc.runtime.io.Labels;
import netc.runtime.kernels.Kernels;

/**
 * A network compiled by netc. The generated subclass holds the layer steps with every shape and
 * offset as a constant; this class holds the weights, runs the steps, and is the public API.
 *
 * <p><b>Thread safety.</b> A model is immutable once constructed and safe to call from any number of
 * threads at once. Each call to {@code predict} takes a private workspace (activation arena) from a
 * pool, allocating one only when more callers run at once than since the pool was last emptied
 * ({@link #releaseWorkspaces()}). The
 * process-wide intra-op thread pool (shared by all models with the same thread count) serves one
 * call at a time; a call that finds it busy runs on its own thread alone. Results do not depend on which path ran: every output value is computed by one thread with
 * the same operations in the same order, so concurrent and serial calls give bit-identical results.
 *
 * <p><b>Cancelling.</b> A call whose thread is interrupted ({@code Future.cancel(true)}, a request's
 * timeout) stops at the next step of its network, a few milliseconds at most in a ResNet-50, and throws
 * {@link java.util.concurrent.CancellationException}, the thread's interrupt status left set; its outputs
 * are then not all written. A call on an interrupted thread throws before its first step (and before it wakes
 * the pool or transposes an NHWC batch). The pool's threads running images of the cancelled batch stop at their
 * own next step.
 */
public abstract class CompiledModel implements AutoCloseable {
  /** The kernels for this JVM, in a static final field so calls through it are monomorphic. */
  protected static final Kernels K = Kernels.INSTANCE;

  /**
   * The contract between generated code and this runtime (what a step's items are, the kernels'
   * signatures and layouts), recorded in every compiled model and checked on load: a model
   * generated for another contract would run, and compute garbage. Raised with any such change.
   * 2: the input reorder's items became rows. 3: Winograd products may call convLinearSmall.
   * 4: stride-2 convs may call convLinearStrided. 5: the linear kernels take the weights to touch ahead.
   * 6: each model has its own package and resource folder (netc.models.NAME), declared in META-INF/netc/model.
   * 7: activation codes SILU, HARDSIGMOID and HARDSWISH; channel gates call scaleRow.
   * 8: channels() and channel_shuffle() call Reorder.gatherChannels. 9: activation code GELU.
   * 10: channel moves and the gathers of compose-gathers call Reorder.gather with a Tables.gatherLanes table
   * (Reorder.gatherChannels is gone). 11: a softmax over channels calls the two-stride Softmax.run, and the
   * steps that write a flat value zero its last block's tail (models of ABI 10 carry both bugs those fix).
   * 12: the generated constructor passes the sizes its offsets were generated for ({@link Sizes}), which load
   * checks against model.properties. 13: Winograd F(2x2,3x3) convs of at most 16 tiles run in the lanes
   * layout (Tables.zeroLanes, winogradInputLanes, winogradProductLanes, winogradOutputLanes), their
   * weights packed in panels of 6 output channels, padded to 12. 14: model.properties may ask for the bicubic
   * resize (preprocess.interpolation), which a runtime before it ignored, preparing images bilinearly unasked.
   * 15: Winograd F(4x4,3x3) at the points 0, +-1/2, +-2: the compiler's transformed weights (G g G^T) and the
   * runtime's input and output transforms (B^T, A^T) must be of the same points, or every such conv is wrong.
   */
  public static final int ABI = 15;

  protected final float[] w;
  private final Properties properties;
  private final int[] inputShape;
  private final int outputSize;
  private final int arenaFloats;
  private final ThreadPool pool;
  /** Workspaces of finished calls, {@code idleCount} of them, for the next ones; guarded by {@code idleLock}. */
  private Workspace[][] idle = new Workspace[4][];

  private int idleCount;
  private final Object idleLock = new Object();
  private final List<String> labels;
  private final ModelInfo info;
  /** Whether the model checks that inputs are [0, 1] pixels (it normalizes them itself); see {@link #checkInput}. */
  private final boolean pixelInputs;
  /** The input normalization the model computes itself (empty where none), for the pixel check's warning. */
  private final List<Double> inputMean, inputStd;
  /** The class loader made for this model by {@link #load(Path, int)}, closed with it; null otherwise. */
  private volatile java.net.URLClassLoader ownLoader;
  private volatile boolean closed;

  /**
   * The sizes a generated class was generated for, which its steps' fixed offsets assume: one image's
   * [channels, height, width], its outputs, its workspace's floats and the packed weights' floats. The
   * generated constructor passes them as constants; load refuses a model.properties that gives others.
   */
  protected record Sizes(int channels, int height, int width, int outputSize, int arenaFloats, int weightsFloats) {
    /** Public: a generated class, in a package of its own, constructs them (a protected record's would be protected). */
    public Sizes {}
  }

  /**
   * Loads the packed weights and labels named in the properties, once they are checked against the
   * sizes the class was {@code generated} for; {@code threads} sizes the pool.
   */
  protected CompiledModel(Properties properties, int threads, Sizes generated) {
    this.properties = properties;
    this.inputShape = ints(properties.getProperty("input.shape"));
    this.outputSize = Integer.parseInt(properties.getProperty("output.size"));
    this.arenaFloats = Integer.parseInt(properties.getProperty("arena.floats"));
    int weightsFloats = Integer.parseInt(properties.getProperty("weights.floats"));
    checkRanges(properties, inputShape, outputSize, arenaFloats, weightsFloats);
    checkGenerated(properties, generated, weightsFloats);
    this.w = loadWeights(getClass(), properties.getProperty("weights.resource"), weightsFloats);
    this.labels = loadLabels(getClass(), properties.getProperty("labels.resource"), outputSize);
    this.info = info(properties, inputShape, labels);
    // from the properties, not info's preprocessing, which a model of non-square or non-RGB images has none of
    this.inputMean = doubles(properties.getProperty("input.mean"));
    this.inputStd = doubles(properties.getProperty("input.std"));
    this.pixelInputs = !inputMean.isEmpty() && !"false".equals(System.getProperty(PIXEL_CHECK));
    this.stepNanos = new java.util.concurrent.atomic.AtomicLongArray(PROFILE ? steps() : 0);
    // last: a load that fails above (damaged properties) must not leave a pool's threads running
    this.pool = ThreadPool.shared(threads);
  }

  /** The most elements a Java array holds on every JVM. */
  private static final int MAX_ARRAY = LargeArrays.MAX_ARRAY;

  /**
   * Refuses, at load, the numbers of a damaged model.properties that parse but cannot be the compiler's:
   * loaded, {@code input.shape=0,0,0} failed every call with a division by zero, {@code arena.floats=-1}
   * with a negative array size (on a worker, maybe), an input shape of four sizes read the first three.
   * Checked before the weights are read. The message names the model, the property and the value.
   */
  private void checkRanges(Properties p, int[] inputShape, int outputSize, int arenaFloats, int weightsFloats) {
    if (inputShape.length != 3 || Arrays.stream(inputShape).anyMatch(d -> d < 1)
        || (long) inputShape[0] * inputShape[1] * inputShape[2] > MAX_ARRAY) {
      throw damaged(p, "input.shape", "an image's channels, height and width: three sizes of at least 1, whose product a Java array holds");
    }
    if (arenaFloats < 1 || arenaFloats > MAX_ARRAY) throw damaged(p, "arena.floats", "a workspace's floats: 1 to " + MAX_ARRAY);
    if (outputSize < 1 || outputSize > arenaFloats) {
      throw damaged(p, "output.size", "an image's outputs, which its workspace holds: 1 to arena.floats (" + arenaFloats + ")");
    }
    if (weightsFloats < 0 || weightsFloats > MAX_ARRAY) throw damaged(p, "weights.floats", "0 to " + MAX_ARRAY);
    String shape = p.getProperty("output.shape");
    if (shape != null) {
      long size = 1;
      for (int d : ints(shape)) {
        if (d < 1 || size > outputSize) size = -1; // then stops: no product overflows
        if (size < 0) break;
        size *= d;
      }
      if (size != outputSize) throw damaged(p, "output.shape", "an image's output: sizes of at least 1 whose product is output.size (" + outputSize + ")");
    }
    String resize = p.getProperty("preprocess.resize");
    if (resize != null && Integer.parseInt(resize) < Math.max(inputShape[1], inputShape[2])) {
      throw damaged(p, "preprocess.resize", "at least the input's height and width (" + inputShape[1] + ", " + inputShape[2] + ")");
    }
    String interpolation = p.getProperty("preprocess.interpolation");
    if (interpolation != null && Preprocess.Interpolation.named(interpolation) == null) {
      throw damaged(p, "preprocess.interpolation", "bilinear or bicubic");
    }
    List<Double> mean = doubles(p.getProperty("input.mean")), std = doubles(p.getProperty("input.std"));
    if (!mean.isEmpty() && mean.size() != inputShape[0]) throw damaged(p, "input.mean", "one value per channel (" + inputShape[0] + ")");
    if (std.size() != mean.size()) throw damaged(p, "input.std", "one value per channel, as input.mean (" + mean.size() + " values)");
    if (mean.stream().anyMatch(m -> !Double.isFinite(m))) throw damaged(p, "input.mean", "finite values");
    if (std.stream().anyMatch(v -> !(v > 0 && Double.isFinite(v)))) throw damaged(p, "input.std", "positive finite values");
  }

  /**
   * Refuses, at load, a model.properties whose sizes are not those the class was generated for: the steps
   * read the input, the workspace and the weights at fixed offsets, so an edited {@code arena.floats=10}
   * loaded and failed the first call with an ArrayIndexOutOfBoundsException (a smaller input shape, with
   * a wrong answer). Named with both values, before the weights are read.
   */
  private void checkGenerated(Properties p, Sizes g, int weightsFloats) {
    int[] shape = {g.channels(), g.height(), g.width()};
    String generatedFor = ", what its class was generated for";
    if (!Arrays.equals(inputShape, shape)) {
      throw damaged(p, "input.shape", g.channels() + "," + g.height() + "," + g.width() + generatedFor);
    }
    if (outputSize != g.outputSize()) throw damaged(p, "output.size", g.outputSize() + generatedFor);
    if (arenaFloats != g.arenaFloats()) throw damaged(p, "arena.floats", g.arenaFloats() + generatedFor);
    if (weightsFloats != g.weightsFloats()) throw damaged(p, "weights.floats", g.weightsFloats() + generatedFor);
  }

  /** The refusal of {@link #checkRanges} and {@link #checkGenerated}: the model by its name, the property and its value (cut short), what it must be. */
  private BadInputException damaged(Properties p, String key, String expected) {
    String value = p.getProperty(key);
    if (value != null && value.length() > 64) value = value.substring(0, 64) + "...";
    return new BadInputException("the compiled model " + p.getProperty("name", getClass().getName()) + " is damaged: its model.properties gives "
        + (value == null ? "no " + key : key + "=" + value) + ", and it must be " + expected);
  }

  /**
   * Set to false to silence the warning a model that normalizes its input gives once for values far
   * outside [0, 1]: a tensor normalized already, or pixels of 0 to 255 (see {@link #checkInput}).
   */
  public static final String PIXEL_CHECK = "netc.input.pixelCheck";

  private static ModelInfo info(Properties p, int[] inputShape, List<String> labels) {
    ModelInfo.Preprocessing pre = null;
    if (inputShape[0] == 3 && inputShape[1] == inputShape[2]) {
      List<Double> mean = doubles(p.getProperty("input.mean")), std = doubles(p.getProperty("input.std"));
      int resize = Integer.parseInt(p.getProperty("preprocess.resize", Integer.toString(inputShape[1])));
      Preprocess.Interpolation filter = Preprocess.Interpolation.named(p.getProperty("preprocess.interpolation", "bilinear"));
      pre = new ModelInfo.Preprocessing(resize, inputShape[1], mean, std, filter);
    }
    String out = p.getProperty("output.shape", p.getProperty("output.size"));
    return new ModelInfo(p.getProperty("name"), p.getProperty("network"), p.getProperty("spec"), p.getProperty("input.name", "input"),
        ModelInfo.list(inputShape), ModelInfo.list(ints(out)), labels, pre, p.getProperty("netc.version"), K.variant(),
        "true".equals(p.getProperty("weights.synthetic")), "true".equals(p.getProperty("output.probabilities")));
  }

  private static List<Double> doubles(String s) {
    if (s == null || s.isBlank()) return List.of();
    return Arrays.stream(s.split(",")).map(x -> Double.valueOf(x.trim())).toList();
  }

  /** What the model takes and gives, how to prepare its images, and what runs it. */
  public final ModelInfo info() {
    return info;
  }

  /** The model's name: its package is netc.models.NAME and its resources are under netc/models/NAME/. */
  public final String name() {
    return info.name();
  }

  /**
   * Ends netc's intra-op worker threads (every pool, after the calls running on them), for a container
   * that unloads the application that loaded netc: the workers would otherwise keep its class loader, as would
   * the shutdown hook that deletes the temporary files of {@code Npy.write} and {@code Safetensors.write}
   * (taken off the JVM's list too, when no such file is being written).
   * Models keep working, each call on its calling thread alone; models loaded afterwards get new threads.
   *
   * @return how many workers had not ended within a second each (0 normally); interrupted while waiting for
   *     them (every pool stopped then), it still waits (a second a worker at most) and returns, the thread's
   *     interrupt flag set
   * @throws InterruptedException when interrupted waiting for a running call, or called interrupted: the pool
   *     it reached is stopped all the same and its workers end (once idle), the pools not reached yet keep
   *     theirs (call it again)
   */
  public static int shutdownThreads() throws InterruptedException {
    netc.runtime.io.FileOutput.removeHookIfIdle();
    return ThreadPool.shutdownAll();
  }

  /** Calls in progress ({@link #predict(float[], int, float[])}, {@link #predictNhwc}), which {@link #close()} waits for. */
  private final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

  /** What {@link #close()} waits on until {@link #calls} is 0. */
  private final Object drained = new Object();

  /**
   * Counts a call in, or refuses it when the model was closed. The count is raised before {@code closed} is
   * read and close() sets {@code closed} before reading the count, so either the call sees the model closed or
   * close() sees the call.
   */
  private void enter() {
    calls.incrementAndGet();
    if (closed) {
      leave();
      throw new IllegalStateException("the model " + info.name() + " was closed");
    }
  }

  private void leave() {
    if (calls.decrementAndGet() == 0 && closed) {
      // the last call of a closed model releases it: after a closeWithin that timed out nothing else would (its
      // caller may have dropped the model, trusting the close), and the pool's workers and the jar stayed; a
      // close() waiting for this call releases it again, at no cost
      release();
      synchronized (drained) {
        drained.notifyAll();
      }
    }
  }

  /** How many calls are in progress now, on any thread: a service's measure of load; {@link #close()} waits for them. */
  public final int callsInProgress() {
    return calls.get();
  }

  /** The intra-op pool this model uses (what a test of its workers reads). */
  final ThreadPool pool() {
    return pool;
  }

  final void ownLoader(java.net.URLClassLoader loader) {
    this.ownLoader = loader;
  }

  /** Whether {@link #close()} has given up this model's use of the shared pool: once, however often it is called. */
  private final java.util.concurrent.atomic.AtomicBoolean leftPool = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Releases the model: calls made from now on are refused, calls in progress run to their end (this
   * waits for them, as a service swapping models needs: the old model's last requests are answered), then
   * its idle workspaces ({@link #releaseWorkspaces()}) are dropped and the class loader {@link #load(Path,
   * int)} made for it is closed (its jar file with it). An interrupt does not cut the wait short; it stays
   * set (a call in progress stops early only when its own thread is interrupted). The intra-op thread pool
   * is shared by the models of one thread count; the last of them to close ends its worker threads. A
   * request thread that read the old model from a service's reference just before the swap, and calls it
   * after this began, gets the IllegalStateException of a closed model: such a service retries that
   * request once on the reference's new model.
   */
  @Override
  public void close() {
    closed = true;
    boolean interrupted = false;
    synchronized (drained) {
      while (calls.get() > 0) {
        try {
          drained.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    release();
  }

  /**
   * {@link #close()} that waits at most {@code timeout} for the calls in progress (a name of its own: an overload
   * of close would make {@code model::close} ambiguous where a Runnable or a Callable would do): true when they ended and the
   * model was released; false when calls still run (a batch of thousands of images, say), the model then refusing
   * new calls and holding its memory until the last of them ends, which releases it. For a service that swaps models
   * and must not hang on the old one's longest request. An interrupt ends the wait (false) and stays set.
   *
   * @throws IllegalArgumentException when {@code timeout} is negative or null
   */
  public boolean closeWithin(java.time.Duration timeout) {
    Arguments.notNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("timeout: negative, " + timeout);
    closed = true;
    long nanos;
    try {
      nanos = Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
    } catch (ArithmeticException e) { // past 292 years: as long as a long holds
      nanos = Long.MAX_VALUE / 4;
    }
    long deadline = System.nanoTime() + nanos;
    synchronized (drained) {
      while (calls.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        try {
          java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(drained, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    release();
    return true;
  }

  /** What close does once no call runs: the pool, the idle workspaces, the class loader of a model loaded by path. */
  private void release() {
    if (!leftPool.getAndSet(true)) pool.leave();
    releaseWorkspaces();
    java.net.URLClassLoader loader = ownLoader;
    ownLoader = null;
    if (loader != null) ModelLoader.closeQuietly(loader);
  }

  /**
   * Loads the model compiled into {@code jar} (a jar written by {@code netc compile}, thin or
   * self-contained) in a class loader of its own, over the runtime already loaded: any number of
   * models load side by side, and closing the model releases its classes.
   *
   * @throws BadInputException when the file is missing, is no readable jar (cut short, damaged), or holds no
   *     model, or not exactly one, or the model is damaged (weights of another size than its model.properties
   *     gives, labels not one a class), naming the jar
   * @throws IllegalArgumentException when {@code threads} is below 1
   * @throws OutOfMemoryError saying how much heap the weights need, when they do not fit; or, when the JVM
   *     cannot start the pool's worker threads, saying so
   */
  public static CompiledModel load(Path jar, int threads) {
    Arguments.notNull(jar, "jar");
    return ModelLoader.load(jar, null, threads);
  }

  /** {@link #load(Path, int)} of the model called {@code name} in a jar holding several. */
  public static CompiledModel load(Path jar, String name, int threads) {
    Arguments.notNull(jar, "jar");
    Arguments.notNull(name, "name");
    return ModelLoader.load(jar, name, threads);
  }

  /**
   * Loads the model called {@code name} (its {@code netc compile --name}, or the spec's network name)
   * from {@code loader}'s class path. Refused when the name is there twice.
   */
  public static CompiledModel load(ClassLoader loader, String name, int threads) {
    Arguments.notNull(loader, "loader");
    return ModelLoader.load(loader, name, threads);
  }

  /**
   * Loads the only compiled model on {@code loader}'s class path (a model jar, or the classes of a
   * project built with netc-maven-plugin). With several there, refused with their names: load one
   * by name.
   */
  public static CompiledModel load(ClassLoader loader, int threads) {
    Arguments.notNull(loader, "loader");
    return ModelLoader.load(loader, threads);
  }

  /**
   * Reads the packed weights straight into their array, a chunk at a time: the heap holds the
   * weights once, not also their bytes (a model whose weights do not fit fails here, and load says
   * how much heap they need). The resource is looked up beside the model's class, so it comes from the
   * jar the class came from, and opened without the JDK's cache of jar files ({@link ModelLoader#connect}).
   * Its length (a jar entry's size, from the jar's directory) is compared with the floats model.properties
   * gives before the array is allocated: a damaged jar claiming 2e9 floats is refused by name, not
   * answered with an 8 GB allocation (or an out-of-memory asking for that heap).
   *
   * <p>The bytes are checked in the same pass. From a jar, against the CRC-32 its directory records for the
   * entry: the JDK reads an entry without checking it (netc stores weights.bin uncompressed, so no inflater
   * notices either), and bytes changed in place would load as other weights. CRC32 is an intrinsic: about
   * 2 ms more on a 100 MB load of 20 ms. Where no CRC is recorded (a classes directory), every weight must
   * be finite instead, as netc packs them: a scan of each chunk while it is in cache, which costs more (about
   * 10 ms per 100 MB), so a jar's weights, whose CRC already vouches for them, are not scanned.
   */
  private static float[] loadWeights(Class<?> owner, String resource, int floats) {
    URL url = owner.getResource(resource);
    if (url == null) throw new BadInputException(location(owner) + ": damaged model: it has no weights resource " + resource);
    try {
      URLConnection c = ModelLoader.connect(url);
      long recorded = recordedCrc(c);
      boolean scan = recorded < 0; // a checked CRC vouches for every byte
      try (InputStream in = c.getInputStream()) {
        long length = c.getContentLengthLong(); // -1 where the protocol does not tell: the reads below still count
        if (length >= 0 && length != 4L * floats) {
          throw new BadInputException(url + ": damaged model: " + length + " bytes of weights, and its model.properties gives " + floats
              + " floats (" + 4L * floats + " bytes)");
        }
        float[] out = LargeArrays.floats(floats); // 64-byte aligned sections (LargeArrays)
        byte[] chunk = new byte[1 << 16];
        ByteBuffer bytes = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        long total = 0;
        int have = 0; // bytes in chunk not yet converted (fewer than 4)
        int nonFinite = -1; // the first weight that is not finite, when scanned
        for (int n; (n = in.read(chunk, have, chunk.length - have)) >= 0; ) {
          if (recorded >= 0) crc.update(chunk, have, n);
          have += n;
          int whole = have / 4, at = (int) (total / 4); // at + whole in long below: near the array limit it passes an int
          if ((long) at + whole > floats) throw new BadInputException(url + ": damaged model: more than the " + 4L * floats + " bytes of weights expected");
          bytes.clear();
          bytes.asFloatBuffer().get(out, at, whole);
          if (scan && nonFinite < 0) nonFinite = firstNonFinite(out, at, at + whole);
          total += 4L * whole;
          int rest = have - 4 * whole;
          System.arraycopy(chunk, 4 * whole, chunk, 0, rest);
          have = rest;
        }
        if (total + have != 4L * floats) {
          throw new BadInputException(url + ": damaged model: expected " + 4L * floats + " bytes of weights, found " + (total + have));
        }
        if (recorded >= 0 && crc.getValue() != recorded) {
          throw new BadInputException(url + ": damaged model: its bytes have CRC-32 " + String.format("%08x", crc.getValue()) + ", and the jar"
              + " records " + String.format("%08x", recorded) + " for them: the jar was changed or damaged after netc wrote it (copy it again,"
              + " or recompile)");
        }
        if (nonFinite >= 0) {
          throw new BadInputException(url + ": damaged model: weight " + nonFinite + " is " + out[nonFinite] + ", and netc packs finite weights only");
        }
        return out;
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read " + url + ": " + e.getMessage(), e);
    }
  }

  /** The CRC-32 the jar's directory records for the entry {@code c} opens, or -1: none recorded, or no jar's entry (a classes directory). */
  private static long recordedCrc(URLConnection c) throws IOException {
    java.util.jar.JarEntry entry = c instanceof JarURLConnection jar ? jar.getJarEntry() : null;
    return entry == null ? -1 : entry.getCrc();
  }

  /** The index of the first value of {@code a[from, to)} that is NaN or infinite, or -1. */
  private static int firstNonFinite(float[] a, int from, int to) {
    for (int i = from; i < to; i++) if (!Float.isFinite(a[i])) return i;
    return -1;
  }

  /**
   * The class names, one a line of the labels resource. A model compiled without labels (none named, or
   * none in its jar) gets "class i"; labels that break {@link Labels}' rules (not one per class, more bytes than
   * a label may take, counted as they are read, since a jar entry's recorded size may lie) are a damaged jar:
   * refused, rather than answered with names that are off by some, or none.
   */
  private static List<String> loadLabels(Class<?> owner, String resource, int classes) {
    URL url = resource == null ? null : owner.getResource(resource);
    if (url == null) return new ClassNames(classes); // "class i", made when asked: a map's millions of outputs would be as many strings
    try (InputStream in = ModelLoader.connect(url).getInputStream()) {
      return new Labelled(Labels.read(in, classes));
    } catch (Labels.Problem e) {
      throw new BadInputException(url + ": damaged model: " + e.getMessage());
    } catch (IOException e) {
      throw new BadInputException(url + ": damaged model: cannot read its labels (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Class names shown whole up to 100, beyond that as the first two, the last and the count: a ModelInfo in a log line
   * or a message would otherwise print all of ImageNet's thousand labels (11,896 characters).
   */
  abstract static class Names extends java.util.AbstractList<String> implements java.util.RandomAccess {
    @Override
    public String toString() {
      int n = size();
      return n <= 100 ? super.toString() : "[" + get(0) + ", " + get(1) + ", ..., " + get(n - 1) + "] (" + n + " names)";
    }
  }

  /** The labels a jar carries, read whole, shown as {@link Names}. */
  static final class Labelled extends Names {
    private final List<String> labels;

    Labelled(List<String> labels) {
      this.labels = labels;
    }

    @Override
    public String get(int i) {
      return labels.get(i);
    }

    @Override
    public int size() {
      return labels.size();
    }
  }

  /**
   * "class 0", "class 1", ...: the names of a model without labels, each made when read, so a model of a map's
   * millions of outputs (a segmentation's [21, 520, 520]) holds none of them.
   */
  static final class ClassNames extends Names {
    private final int size;

    ClassNames(int size) {
      this.size = size;
    }

    @Override
    public String get(int i) {
      java.util.Objects.checkIndex(i, size);
      return "class " + i;
    }

    @Override
    public int size() {
      return size;
    }
  }

  /** Where a model's class came from (its jar: file:/models/r50.jar), for a message about a resource it lacks. */
  private static String location(Class<?> owner) {
    java.security.CodeSource source = owner.getProtectionDomain().getCodeSource();
    if (source != null && source.getLocation() != null) return source.getLocation().toString();
    URL own = owner.getResource(owner.getSimpleName() + ".class");
    return own != null ? own.toString() : owner.getName();
  }

  private static int[] ints(String s) {
    return Arrays.stream(s.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
  }

  // ---- what generated code provides ----------------------------------------------------------

  /** The number of steps (layers after fusion) of one forward pass. */
  protected abstract int steps();

  /** Work items of a step; a step whose items are split across threads must have independent items. */
  protected abstract int items(int step);

  /**
   * Consecutive items that share their data (a conv's weight group over all its tiles, or, run tile
   * by tile, one tile over all groups): threads take whole multiples of it when there are enough, so
   * each reads its own weights, or its own pixels, rather than both reading the same. 1 when a
   * step's items share nothing.
   */
  protected int grain(int step) {
    return 1;
  }

  /** Whether a step is worth splitting across threads. */
  protected abstract boolean parallel(int step);

  /**
   * The first step from which a bunch of images runs layer by layer (every image through one step,
   * then the next step) rather than image by image: the steps whose weights outweigh their
   * activations, so a layer's weights are fetched from memory once per bunch rather than once per
   * image. {@link #steps()} (the default) runs every image whole.
   */
  protected int bunchedFrom() {
    return steps();
  }

  /**
   * Items of a bunched step that every image of the bunch runs before the next items: one weight
   * group where the bunch's inputs fit in cache (the group's weights are then fetched once), else
   * the whole step (each image's input then stays in cache across the groups).
   */
  protected int bunchChunk(int step) {
    return items(step);
  }

  /** Runs items [from, to) of a step. */
  protected abstract void runStep(int step, Workspace ws, int from, int to);

  /** Arena offset of the output value (flat, {@link #outputSize()} floats). */
  protected abstract int outputOffset();

  /** The name of each step: its generated method, after the spec layer (layer3_5_conv2). */
  public abstract java.util.List<String> stepNames();

  /**
   * The multiply-adds of one image each step computes, in {@link #stepNames()}'s order, as the
   * network counts them (real channels, no padding): a conv's (or its share, for a conv whose k steps
   * are split), a Winograd product step's own products (fewer than the direct conv's), a fully
   * connected layer's; 0 for steps that only move or transform values.
   */
  public long[] stepMultiplyAdds() {
    return new long[steps()];
  }

  // ---- the API --------------------------------------------------------------------------------

  /**
   * The shape of a batch of {@code batch} images' outputs: [batch] and one image's output shape ([N, 1000],
   * [N, C, H, W]), what {@link #predict(Tensor)}'s [N, outputSize] holds, for a file written from it.
   */
  public final int[] outputShape(int batch) {
    if (batch < 1) throw new IllegalArgumentException("batch: must be at least 1, got " + batch);
    List<Integer> one = info.outputShape();
    int[] shape = new int[one.size() + 1];
    shape[0] = batch;
    for (int i = 0; i < one.size(); i++) shape[i + 1] = one.get(i);
    return shape;
  }

  /** [C, H, W] of one input image. */
  public final int[] inputShape() {
    return inputShape.clone();
  }

  public final int outputSize() {
    return outputSize;
  }

  public final List<String> labels() {
    return labels;
  }

  /**
   * The {@code k} most probable classes of image {@code image} of a batch's outputs (its
   * {@link #outputSize} values at {@code outputs[image * outputSize ..]}), most probable first, with this
   * model's labels: logits through a softmax, a network's own softmax output as it is
   * ({@link ModelInfo#probabilities()}). The exceptions of {@link Prediction#topK}.
   */
  public final List<Prediction> topK(float[] outputs, int image, int k) {
    Arguments.notNull(outputs, "outputs");
    long offset = (long) image * outputSize; // in int, image 4,294,968 of 1,000 outputs wrapped to image 0's 704th value
    if (image < 0 || offset + outputSize > outputs.length) {
      throw new IllegalArgumentException("image " + image + ": the outputs hold " + outputs.length / outputSize
          + (outputs.length / outputSize == 1 ? " image" : " images") + " of " + outputSize + " values");
    }
    if (!info.classScores()) { // a softmax over a map's positions, answered as "class 4567"
      throw new IllegalArgumentException("the model " + info.notClassScores() + ": it has no top-k");
    }
    return Prediction.topK(outputs, (int) offset, outputSize, k, labels, info.probabilities());
  }

  /** What the compiler recorded: spec, netc version, whether the weights are synthetic. */
  public final String property(String key) {
    return properties.getProperty(key);
  }

  public final int threads() {
    return pool.threads();
  }

  /**
   * Whether a call of {@code batch} images gives each of the pool's threads whole images (a batch of at
   * least the threads, more than one), rather than sharing each step of one image among them; then
   * each thread times its own steps under -Dnetc.profile, so the steps' times are thread time.
   */
  public final boolean imagesPerThread(int batch) {
    return pool.threads() > 1 && batch >= pool.threads();
  }

  /**
   * Why a batch of {@code batch} images is too large for this model, or null when it is not: a caller that
   * holds a batch's inputs in one Java array and its outputs in another (the Spark job's tasks, netc
   * profile) cannot hold more floats than one array does (a batch of 1,024 inputs of 3 x 1024 x 1024 would
   * take 3,221,225,472 floats; 682 at most fit). Computed in longs: batch x outputs may overflow an int.
   */
  public final String batchTooLarge(int batch) {
    if (batch < 1) throw new IllegalArgumentException("batch: must be at least 1, got " + batch);
    long perImage = (long) inputShape[0] * inputShape[1] * inputShape[2], outputs = Math.max(1, outputSize);
    long largest = Math.min(MAX_ARRAY / perImage, MAX_ARRAY / outputs);
    if (batch <= largest) return null;
    boolean inputs = batch * perImage > MAX_ARRAY;
    return String.format(java.util.Locale.ROOT, "a batch of %d %s takes %,d floats, more than the %,d one Java array holds; the model %s"
        + " takes batches of %d at most", batch, inputs ? "inputs of " + inputShape[0] + "x" + inputShape[1] + "x" + inputShape[2]
            : "outputs of " + outputs + " floats", batch * (inputs ? perImage : outputs), MAX_ARRAY, name(), largest);
  }

  /**
   * Runs a batch [N, C, H, W] and returns the outputs [N, outputSize]. Safe to call concurrently.
   *
   * @throws IllegalArgumentException when the tensor's shape is not [N, C, H, W] of this model, and as
   *     {@link #predict(float[], int, float[])} (NaN or infinite inputs, outputs the network overflowed)
   * @throws IllegalStateException when the model was closed
   * @throws java.util.concurrent.CancellationException when the calling thread was interrupted (see the class's "Cancelling")
   */
  public final Tensor predict(Tensor batch) {
    Arguments.notNull(batch, "batch");
    int[] s = batch.shape();
    boolean ok = s.length == 4 && s[0] >= 1 && s[1] == inputShape[0] && s[2] == inputShape[1] && s[3] == inputShape[2];
    if (!ok) {
      throw new IllegalArgumentException("input has shape " + Arrays.toString(s) + ", the model expects [N, "
          + inputShape[0] + ", " + inputShape[1] + ", " + inputShape[2] + "]");
    }
    if ((long) s[0] * outputSize > MAX_ARRAY) {
      throw new IllegalArgumentException("a batch of " + s[0] + " has " + (long) s[0] * outputSize + " outputs, more than a Java array holds:"
          + " give the batch in parts");
    }
    float[] out = new float[s[0] * outputSize];
    predict(batch.data(), s[0], out);
    return new Tensor(new int[] {s[0], outputSize}, out);
  }

  /**
   * Runs {@code batch} images from {@code input} (NCHW) into {@code output}; allocates nothing in
   * steady state. When it throws, {@code output} holds no result: some images' outputs may have been
   * written before the failure (on the pool's threads, any of them), the others are as they were.
   *
   * @throws IllegalArgumentException when the buffers are too small for the batch, or the input is not a
   *     whole number of this model's images (an image of another size: a 256x256 crop for a 224x224
   *     model would otherwise be read with the wrong rows); a buffer sized for a larger batch is fine, and so,
   *     the array carrying no shape, is an image whose size is a whole number of the model's (a 224x224
   *     image for a 32x32 model is read as its first 32x32 floats: {@link #predict(Tensor)} checks the shape,
   *     and {@link Preprocess#forModel} prepares images at the model's size). Also when an output is NaN or
   *     infinite (finite inputs too large for float32 on their way through the network), naming it and its image:
   *     that check comes once every image's outputs are written, so the batch's other images are in {@code output}.
   *     A model that normalizes its input warns once when given values far outside [0, 1]: see
   *     {@link #PIXEL_CHECK}. Also when {@code output} is {@code input}, the same array: an image's outputs
   *     are written while the images after it, on this thread or on the pool's, are still to be read, so
   *     they would be read overwritten (for {@link #predictNhwc}, which copies its input first, they may be). Also when
   *     an input value is NaN or infinite, naming its place (the outputs it reaches would be NaN or infinite)
   * @throws IllegalStateException when the model was closed
   * @throws java.util.concurrent.CancellationException when the calling thread was interrupted (see the class's "Cancelling")
   */
  public final void predict(float[] input, int batch, float[] output) {
    enter();
    try {
      run(input, batch, output);
    } finally {
      leave();
    }
  }

  private void run(float[] input, int batch, float[] output) {
    int per = inputShape[0] * inputShape[1] * inputShape[2];
    Arguments.notNull(input, "input");
    Arguments.notNull(output, "output");
    if (batch < 1) throw new IllegalArgumentException("batch: must be at least 1, got " + batch);
    if (input == output) {
      throw new IllegalArgumentException("output is the input array: each image's outputs would overwrite inputs not read yet (of the next"
          + " images, or of those other threads run); give the outputs an array of their own");
    }
    if (input.length < (long) batch * per || output.length < (long) batch * outputSize) {
      throw new IllegalArgumentException("buffers too small for a batch of " + batch + ": input holds " + input.length + " floats (needs "
          + (long) batch * per + "), output " + output.length + " (needs " + (long) batch * outputSize + ")");
    }
    if (input.length % per != 0) throw new IllegalArgumentException(notWholeImages(input.length, "NCHW"));
    Workspace[] spaces = takeWorkspace();
    try {
      runIn(spaces, input, batch, output);
    } finally {
      giveBack(spaces);
    }
  }

  /** Whether some step splits its items across the pool's threads: computed at the first call (not in the constructor, before a subclass is set up). */
  private boolean anyParallelStep() {
    int known = anyParallel;
    if (known < 0) {
      known = 0;
      for (int s = 0; s < steps(); s++) if (parallel(s)) known = 1;
      anyParallel = known; // racing callers compute the same value
    }
    return known == 1;
  }

  /** {@link #anyParallelStep}'s answer once known: 1 or 0; -1 before. */
  private int anyParallel = -1;

  /** Runs a checked batch with a caller's workspace set. */
  private void runIn(Workspace[] spaces, float[] input, int batch, float[] output) {
    // an interrupted caller runs nothing: taking the pool would let the workers start images before the first step's check
    cancelIfInterrupted();
    checkInput(input, batch * inputShape[0] * inputShape[1] * inputShape[2]);
    // a model whose steps are all too small to split runs a batch smaller than the pool on its caller: taking the
    // pool would wake the workers to spin 200 ms (netc.spinMicros) for nothing
    if (pool.threads() > 1 && (imagesPerThread(batch) || anyParallelStep()) && pool.tryAcquire()) {
      try {
        pool.wake(); // parked workers come up while this thread starts on the first step
        if (imagesPerThread(batch)) {
          runImages(spaces, input, batch, output);
        } else {
          for (int i = 0; i < batch; i++) forwardImage(space(spaces, 0), input, i, output, i, true);
        }
      } finally {
        pool.release();
      }
    } else {
      for (int i = 0; i < batch; i += BUNCH) forwardImages(spaces, 0, input, i, Math.min(batch, i + BUNCH), output);
    }
    checkOutput(output, batch, input);
  }

  /**
   * Refuses a call whose outputs hold a NaN or an infinity, once every image's outputs are written: finite inputs can
   * overflow float32 on their way through the network (1e37 and more; a conv's sums pass Float.MAX_VALUE), as can a
   * layer norm of eps 0 over a constant image divide by zero, and every output they reach is then NaN or infinite, an
   * answer no caller should take (topK refuses it; embeddings and maps would not). One pass over the outputs: a
   * classifier's 1,000 an image against the input check's 150,528; a map's as many as it has.
   */
  private void checkOutput(float[] output, int batch, float[] input) {
    int n = batch * outputSize;
    for (int i = 0; i < n; i++) {
      if (Float.isFinite(output[i])) continue;
      int image = i / outputSize, per = inputShape[0] * inputShape[1] * inputShape[2];
      float largest = 0;
      for (int j = image * per; j < (image + 1) * per; j++) largest = Math.max(largest, Math.abs(input[j]));
      throw new IllegalArgumentException("output " + outputPlace(i - image * outputSize) + (batch == 1 ? "" : " of image " + image) + " is "
          + output[i] + ": the network's float32 arithmetic overflowed, or divided by zero, on " + (batch == 1 ? "this input" : "that image")
          + " (its largest |value| is " + largest + ")");
    }
  }

  /** Output {@code i} of an image: its index, or for a map its place {@code [channel, row, column]}. */
  private String outputPlace(int i) {
    List<Integer> shape = info.outputShape();
    if (shape.size() != 3) return String.valueOf(i);
    int h = shape.get(1), w = shape.get(2);
    return "[" + i / (h * w) + ", " + i % (h * w) / w + ", " + i % w + "] (channel, row, column)";
  }

  /**
   * One pass over the input, two compares a value (about 0.1% of a resnet18 forward pass): a NaN or an infinity is
   * refused by its place, as it would reach every output it touches (through a conv, most of them) where the command line
   * refuses such an input; and a model whose spec normalizes its input ({@code input(..., mean, std)}) computes
   * {@code (x - mean) / std} itself and expects pixels in [0, 1]: a tensor that was already normalized (what torchvision's
   * transforms and most ONNX pipelines produce, about -2 to 2.6) gives a confident wrong answer, so the first value far
   * outside [0, 1] is reported once per model, with the likely cause, on standard error.
   */
  private void checkInput(float[] input, int n) {
    boolean pixels = pixelInputs && !warnedPixels.get();
    // within [lo, hi] a value is finite, and a pixel where pixels are checked: the one test most values take
    float lo = pixels ? -PIXEL_SLACK : -Float.MAX_VALUE, hi = pixels ? 1 + PIXEL_SLACK : Float.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      float v = input[i];
      if (v >= lo && v <= hi) continue;
      int per = inputShape[1] * inputShape[2], c = i / per % inputShape[0], image = i / (per * inputShape[0]);
      int y = i % per / inputShape[2], x = i % inputShape[2];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("input value " + v + " at [" + image + ", " + c + ", " + y + ", " + x + "] (image, channel, row,"
            + " column): the outputs it reaches would be NaN or infinite; give finite values");
      }
      if (pixels && !warnedPixels.getAndSet(true)) System.err.println(pixelWarning(v, image, c, y, x, range(input, image)));
      lo = -Float.MAX_VALUE; // warned: finiteness is all that is left to look for
      hi = Float.MAX_VALUE;
    }
  }

  /** The smallest and largest values of image {@code image} of {@code input}: what {@link #pixelWarning} judges the image by. */
  private float[] range(float[] input, int image) {
    int per = inputShape[0] * inputShape[1] * inputShape[2];
    float[] range = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    for (int j = image * per; j < (image + 1) * per; j++) {
      range[0] = Math.min(range[0], input[j]);
      range[1] = Math.max(range[1], input[j]);
    }
    return range;
  }

  /**
   * The one-line warning of {@link #checkInput} for the value {@code v} at its place, with the likelier cause, judged
   * by the image's smallest and largest values {@code range}: within what the model's own normalization makes of pixels
   * in [0, 1] (-2.1 to 2.6 for ImageNet's), most likely a tensor normalized already; none below 0 and some above that
   * range, up to 255, pixels not divided by 255 (whose first value past [0, 1] may be a dark 2 or 3).
   */
  final String pixelWarning(float v, int image, int c, int y, int x, float[] range) {
    double lowest = 0, highest = 0;
    for (int k = 0; k < inputMean.size(); k++) {
      lowest = Math.min(lowest, -inputMean.get(k) / inputStd.get(k));
      highest = Math.max(highest, (1 - inputMean.get(k)) / inputStd.get(k));
    }
    String cause = range[0] >= lowest - PIXEL_SLACK && range[1] <= highest + PIXEL_SLACK ? "is the input normalized twice? "
        : range[0] >= -PIXEL_SLACK && range[1] <= 255 + PIXEL_SLACK ? "are they pixels of 0 to 255, not divided by 255? " : "";
    return "warning: input value " + v + " at [" + image + ", " + c + ", " + y + ", " + x + "] is far outside [0, 1]: the model "
        + info.name() + " normalizes its input itself (mean " + inputMean + ", std " + inputStd
        + "); " + cause + "Pass pixels scaled to [0, 1]" + (info.preprocess() != null ? " (Preprocess.forModel(model))" : "")
        + ". Said once per model; -D" + PIXEL_CHECK + "=false silences it";
  }

  /** Whether {@link #checkInput} has warned of a pixel: once per model. */
  private final java.util.concurrent.atomic.AtomicBoolean warnedPixels = new java.util.concurrent.atomic.AtomicBoolean();

  /** Whether calls look for inputs far outside [0, 1] (a model that normalizes its input; what a test reads). */
  final boolean checksPixels() {
    return pixelInputs;
  }

  /**
   * How far outside [0, 1] a value may be before it counts as "far": pixels resampled or scaled by a
   * caller land within rounding of [0, 1]; a normalized tensor reaches -2 and 2.6.
   */
  private static final float PIXEL_SLACK = 0.5f;

  /**
   * {@link #predict(float[], int, float[])} of images laid out NHWC ([N, H, W, C], what camera
   * libraries and TensorFlow hand over): transposed into a buffer kept with the caller's workspaces for
   * the next call, so steady streams of calls, concurrent ones too, allocate nothing. The whole input is
   * transposed before any output is written, so {@code output} may be {@code input}.
   */
  public final void predictNhwc(float[] input, int batch, float[] output) {
    enter();
    try {
      runNhwc(input, batch, output);
    } finally {
      leave();
    }
  }

  private void runNhwc(float[] input, int batch, float[] output) {
    int c = inputShape[0], h = inputShape[1], w = inputShape[2], per = c * h * w;
    Arguments.notNull(input, "input");
    Arguments.notNull(output, "output");
    if (batch < 1) throw new IllegalArgumentException("batch: must be at least 1, got " + batch);
    if (input.length < (long) batch * per) {
      throw new IllegalArgumentException("input holds " + input.length + " floats, a batch of " + batch + " NHWC images of " + h + "x" + w
          + "x" + c + " needs " + (long) batch * per);
    }
    if (input.length % per != 0) throw new IllegalArgumentException(notWholeImages(input.length, "NHWC"));
    if (output.length < (long) batch * outputSize) {
      throw new IllegalArgumentException("output holds " + output.length + " floats, a batch of " + batch + " needs " + (long) batch * outputSize);
    }
    cancelIfInterrupted(); // before a transpose of the whole batch, maybe into a buffer allocated for it
    // the transpose's buffer goes with the caller's workspace set: concurrent callers each keep their own
    Workspace[] spaces = takeWorkspace();
    try {
      Workspace first = space(spaces, 0);
      float[] nchw = first.nchw;
      if (nchw == null || nchw.length < batch * per) first.nchw = nchw = new float[batch * per];
      for (int n = 0; n < batch; n++) {
        int base = n * per;
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int from = base + (y * w + x) * c;
            for (int ch = 0; ch < c; ch++) nchw[base + (ch * h + y) * w + x] = input[from + ch];
          }
        }
      }
      runIn(spaces, nchw, batch, output);
    } finally {
      giveBack(spaces);
    }
  }

  /** The message for an input buffer that is no whole number of images (see {@link #predict(float[], int, float[])}). */
  private String notWholeImages(int floats, String layout) {
    int c = inputShape[0], h = inputShape[1], w = inputShape[2], per = c * h * w;
    return "input holds " + floats + " floats, not a whole number of " + layout + " images of " + (layout.equals("NCHW") ? c + "x" + h + "x" + w
        : h + "x" + w + "x" + c) + " (" + per + " floats each): an image of another size? The model " + info.name() + " takes " + h + "x" + w
        + " (Preprocess.forModel(model) resizes and crops to it)";
  }

  /**
   * A batch on the pool's threads, thread t running its images with slots {@code t * BUNCH ..} of one
   * array: slots 0 to BUNCH - 1 are the calling thread's own set, lent for the call and taken back, the
   * others the pool threads' arenas the model keeps apart ({@link #poolSpaces}). Kept in the caller's set
   * instead, every set that once won the pool would hold threads x BUNCH arenas for good, though a call that
   * runs alone uses BUNCH (8 threads, 8 callers: 256 arenas kept where 60 are ever in use at once).
   */
  private void runImages(Workspace[] own, float[] input, int batch, float[] output) {
    Workspace[] all = poolSpaces.getAndSet(null);
    if (all == null) all = new Workspace[pool.threads() * BUNCH];
    System.arraycopy(own, 0, all, 0, BUNCH);
    int bunch = Math.min(BUNCH, (batch + pool.threads() - 1) / pool.threads());
    try {
      // every arena a thread may take in this call, now rather than when first taken: how many images a thread takes at
      // once depends on which thread comes first (8 images on 2 threads run as 4, 2, 1, 1: the first take is the largest),
      // so a worker's third and fourth arenas were allocated in whichever call first handed it the 4, late in a run
      // (17.9 MB in one of resnet50's timed calls of 8 images, on a worker), and a heap that held the usual split ran out then
      int perThread = Math.min(bunchedFrom(), steps()) < steps() ? ThreadPool.take(batch, bunch, pool.threads()) : 1;
      for (int t = 0; t < pool.threads(); t++) {
        for (int j = 0; j < perThread; j++) space(all, t * BUNCH + j);
      }
      pool.runImages(this, all, input, output, batch, bunch);
    } finally {
      System.arraycopy(all, 0, own, 0, BUNCH); // the arenas the caller allocated in the call stay with its set
      Arrays.fill(all, 0, BUNCH, null);
      forgetInputs(all); // a failed call's input, as giveBack
      // as the NHWC buffer: close() drops it, a call racing close() must not put it back
      if (!closed && poolSpaces.compareAndSet(null, all) && closed) poolSpaces.set(null);
    }
  }

  /**
   * The pool's worker threads' arenas for a batch ({@link #runImages}), kept between calls: one array for the
   * model, since only the call holding the pool uses them; slots 0 to BUNCH - 1, the caller's, are null here.
   */
  private final java.util.concurrent.atomic.AtomicReference<Workspace[]> poolSpaces = new java.util.concurrent.atomic.AtomicReference<>();

  /**
   * Images a thread runs together, layer by layer from {@link #bunchedFrom()}: each needs its own
   * workspace, so this bounds the memory of a batch (threads x BUNCH arenas) and of a caller's set.
   * A model with no bunched step runs image by image in one workspace per thread.
   */
  public static final int BUNCH = 4;

  /** Workspace i of a call, allocated the first time a call needs it (a batch of 1 needs one). */
  private Workspace space(Workspace[] spaces, int i) {
    if (spaces[i] == null) spaces[i] = new Workspace(arenaFloats);
    return spaces[i];
  }

  /**
   * Drops the workspaces kept for the next calls (with the NHWC transposes' buffers), so the garbage
   * collector can take them: the pool keeps one set per caller that ran at once (an arena of the
   * model's workspace size per image the caller's thread ran at once: up to {@link #BUNCH} where the
   * model bunches its last steps, else one) and, for a model of several threads, the arenas its pool's
   * other threads used in a batch (as many each), so after a
   * burst of many concurrent callers a service can give that memory back. Calls running now keep theirs
   * and return them as usual; the next calls allocate afresh.
   *
   * @return how many callers' workspaces were dropped
   */
  public final int releaseWorkspaces() {
    poolSpaces.set(null);
    synchronized (idleLock) {
      int n = idleCount;
      Arrays.fill(idle, 0, n, null);
      idleCount = 0;
      return n;
    }
  }

  /** The arenas kept for the next calls: every idle caller's set's and the pool threads' (what a test of their bound counts). */
  final int idleArenas() {
    int n = 0;
    synchronized (idleLock) {
      for (int i = 0; i < idleCount; i++) n += arenas(idle[i]);
    }
    return n + arenas(poolSpaces.get());
  }

  private static int arenas(Workspace[] spaces) {
    int n = 0;
    for (int i = 0; spaces != null && i < spaces.length; i++) if (spaces[i] != null) n++;
    return n;
  }

  /** A caller's workspace set: one kept from an earlier call, or a new one, its arenas allocated as the call needs them. */
  private Workspace[] takeWorkspace() {
    synchronized (idleLock) {
      if (idleCount == 0) return new Workspace[BUNCH];
      Workspace[] w = idle[--idleCount];
      idle[idleCount] = null;
      return w;
    }
  }

  /** Drops the caller's input from workspaces kept for later calls: a call that failed mid-image left it there, and a kept workspace must not keep it alive. */
  private static void forgetInputs(Workspace[] spaces) {
    for (Workspace ws : spaces) {
      if (ws != null) ws.input = null;
    }
  }

  /**
   * Keeps a caller's workspace set for the next call. The pool grows to the most callers that ran at once
   * since it was last emptied (its array doubles then), so a steady number of callers, however many,
   * allocates nothing. Not after {@link #close()}: a call still running then drops its workspace. Forgets the
   * call's input either way.
   */
  private void giveBack(Workspace[] spaces) {
    forgetInputs(spaces);
    synchronized (idleLock) {
      if (closed) return; // a call that was running when the model closed: its memory goes with it
      if (idleCount == idle.length) idle = Arrays.copyOf(idle, 2 * idle.length);
      idle[idleCount++] = spaces;
    }
  }

  /**
   * Runs images [from, to) (at most {@link #BUNCH}) on the calling thread, with workspaces
   * {@code spaces[first ..]}: each image whole up to {@link #bunchedFrom()}, then every remaining
   * step over all of them before the next step. A model with no bunched step runs the images one
   * after another in {@code spaces[first]}, each output copied out as it ends: a bunch's arenas,
   * allocated and then kept for the next calls, would hold BUNCH times the memory a call of one
   * image does (a batch that fits image by image ran out of memory) for no weights shared.
   */
  final void forwardImages(Workspace[] spaces, int first, float[] input, int from, int to, float[] output) {
    int per = inputShape[0] * inputShape[1] * inputShape[2], split = Math.min(bunchedFrom(), steps());
    if (split == steps()) {
      Workspace ws = space(spaces, first);
      for (int i = from; i < to; i++) forwardImage(ws, input, i, output, i, false);
      return;
    }
    for (int i = from; i < to; i++) {
      Workspace ws = space(spaces, first + i - from);
      ws.input = input;
      ws.inputBase = i * per;
      for (int s = 0; s < split; s++) {
        if (abandoned()) {
          letGoOfInput(spaces, first, from, i + 1);
          return;
        }
        timedStep(s, ws, false);
      }
    }
    for (int s = split; s < steps(); s++) {
      if (abandoned()) {
        letGoOfInput(spaces, first, from, to);
        return;
      }
      long t0 = PROFILE ? System.nanoTime() : 0;
      int items = items(s), chunk = bunchChunk(s);
      for (int c = 0; c < items; c += chunk) {
        for (int i = from; i < to; i++) runStep(s, spaces[first + i - from], c, Math.min(items, c + chunk));
      }
      if (PROFILE) stepNanos.addAndGet(s, System.nanoTime() - t0);
    }
    for (int i = from; i < to; i++) {
      Workspace ws = spaces[first + i - from];
      System.arraycopy(ws.arena, outputOffset(), output, i * outputSize, outputSize);
      ws.input = null;
    }
  }

  /**
   * Ends a call whose thread was interrupted ({@code Future.cancel(true)}, a request's timeout), between two
   * steps: the pool is idle there (each step is joined), so nothing runs on after the call has thrown. A
   * worker thread running images of a batch is never interrupted; the caller's thread stops the batch
   * ({@link ThreadPool}'s failure). The interrupt status stays set, as {@link Preprocess} leaves it.
   */
  static void cancelIfInterrupted() {
    Thread t = Thread.currentThread();
    if (t.isInterrupted() && !ThreadPool.isWorker(t)) throw cancelled();
  }

  /** What a call its caller's interrupt stopped throws. */
  static java.util.concurrent.CancellationException cancelled() {
    return new java.util.concurrent.CancellationException("the call was interrupted: stopped between two steps, its outputs not all written");
  }

  /** -Dnetc.profile=true accumulates wall time per step; see {@link #profile()}. */
  private static final boolean PROFILE = Boolean.getBoolean("netc.profile");

  /** Atomic: with a batch, every thread adds the time of the images it runs. One per step when profiling, else none. */
  private final java.util.concurrent.atomic.AtomicLongArray stepNanos;

  /** Accumulated nanoseconds per step since the last call (with -Dnetc.profile=true), then reset. */
  public final long[] profile() {
    long[] out = new long[steps()];
    for (int s = 0; s < stepNanos.length(); s++) out[s] = stepNanos.getAndSet(s, 0);
    return out;
  }

  private void forwardImage(Workspace ws, float[] input, int image, float[] output, int outImage, boolean parallel) {
    ws.input = input;
    ws.inputBase = image * inputShape[0] * inputShape[1] * inputShape[2];
    int n = steps();
    for (int s = 0; s < n; s++) {
      if (abandoned()) {
        ws.input = null;
        return;
      }
      timedStep(s, ws, parallel);
    }
    System.arraycopy(ws.arena, outputOffset(), output, outImage * outputSize, outputSize);
    ws.input = null;
  }

  /**
   * Whether the images this thread runs are no longer wanted, checked between two steps: on the caller,
   * its interrupt ({@link #cancelIfInterrupted} throws); on a pool worker running images of a batch, and on
   * the caller that holds the pool for it, the batch's failure (the caller cancelled, another thread ran out of
   * memory), so that it stops within a step rather than after its bunch of whole images (a quarter of a second
   * of resnet50 on one thread).
   */
  private boolean abandoned() {
    cancelIfInterrupted();
    return pool.abandons(Thread.currentThread());
  }

  /** Clears the input reference of the workspaces of images [from, to): idle workspaces keep no caller's batch reachable. */
  private static void letGoOfInput(Workspace[] spaces, int first, int from, int to) {
    for (int i = from; i < to; i++) spaces[first + i - from].input = null;
  }


  private void timedStep(int s, Workspace ws, boolean parallel) {
    int items = items(s);
    long t0 = PROFILE ? System.nanoTime() : 0;
    if (parallel && parallel(s)) pool.runStep(this, s, ws, items);
    else runStep(s, ws, 0, items);
    if (PROFILE) stepNanos.addAndGet(s, System.nanoTime() - t0);
  }
}
