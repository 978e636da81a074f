package netc.onnx;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.runtime.io.TensorSource;

/**
 * What a command's SPEC argument names: a netc spec, or an ONNX model, imported in memory into a spec
 * and its weights. Every command that takes a spec loads it here, so each accepts both. An imported
 * model's weights are the importer's tensors, bound as they are (null for a spec). {@code files} are
 * every file read for it (a spec and its imports, or a model and its external data files), which a
 * command must not write over.
 */
public record ModelSource(Graph graph, TensorSource weights, OnnxImporter.Result imported, List<Path> files) {
  public ModelSource {
    files = List.copyOf(files);
  }

  /** The first byte of every ONNX file that torch or onnx.save writes: the tag of ir_version (field 1, a varint). */
  private static final int IR_VERSION_TAG = 0x08;

  /**
   * An ONNX model: named .onnx, or starting as ModelProto does. A backspace cannot start spec text,
   * so a spec is never taken for a model.
   */
  public static boolean isOnnx(String path) {
    if (path.toLowerCase(Locale.ROOT).endsWith(".onnx")) return true;
    byte[] head = head(path, 1);
    return head.length == 1 && head[0] == IR_VERSION_TAG;
  }

  /**
   * An ONNX model where a safetensors file of weights is expected ({@code --weights model.onnx}): a regular
   * file named .onnx, or starting with the tag of ir_version where a safetensors file's first eight bytes,
   * its header's length, could not fit the file (a safetensors file whose header length starts with the
   * byte 8 and fits the file is weights). A missing file is not one: reading it says it is missing.
   */
  public static boolean isOnnxNotWeights(Path weights) {
    if (!java.nio.file.Files.isRegularFile(weights)) return false;
    if (weights.toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) return true;
    byte[] head = head(weights.toString(), 8);
    if (head.length < 8 || head[0] != IR_VERSION_TAG) return false;
    long headerLength = java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    try {
      return headerLength < 0 || headerLength > java.nio.file.Files.size(weights) - 8;
    } catch (java.io.IOException e) {
      return false; // reading it as weights reports what is wrong
    }
  }

  /**
   * A compiled model's jar: named .jar (in any case), or a zip file by its first bytes (netc compile -o writes any
   * name): "give --reference to evaluate a spec" was the answer to a jar named otherwise. A spec cannot start so.
   */
  public static boolean isJar(String path) {
    if (path.toLowerCase(Locale.ROOT).endsWith(".jar")) return true;
    try {
      return netc.runtime.io.Zips.beginsAsZip(Path.of(path));
    } catch (java.nio.file.InvalidPathException e) {
      return false; // loading it reports what is wrong
    }
  }

  /** The first {@code n} bytes of a regular file (fewer where it is shorter); none for anything else or a file that cannot be read. */
  private static byte[] head(String path, int n) {
    try {
      // a pipe or a device would block the read, or never end: only a regular file is looked into
      if (!java.nio.file.Files.isRegularFile(Path.of(path))) return new byte[0];
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(Path.of(path))) {
        return in.readNBytes(n);
      }
    } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
      return new byte[0]; // loading it reports what is wrong
    }
  }

  /**
   * Why the preparation options ({@code prepared}: --mean, --std, --resize, --imagenet, --bicubic) or import
   * directories do not apply to what {@code path} names (a spec gives its own preparation; an ONNX
   * model imports nothing), or null when they do. {@link #load} refuses such a request as bad input;
   * the command line checks it first and refuses it as a usage error.
   */
  public static String optionProblem(String path, boolean prepared, boolean importPaths) {
    if (!isOnnx(path)) {
      return !prepared ? null : path + ": --mean, --std, --resize, --imagenet and --bicubic are for an ONNX model; a spec gives its"
          + " normalization and resize in its input(...)";
    }
    // refused, not ignored, as the preparation options are for a spec
    return importPaths ? path + ": --import-path is for a spec's imports; an ONNX model imports nothing" : null;
  }

  /** The spec or model at {@code path}, with the command line's -D overrides and --import-path directories. */
  public static ModelSource load(String path, Map<String, String> overrides, List<Path> importPath) {
    return load(path, overrides, importPath, InputPreparation.NONE);
  }

  /**
   * As {@link #load(String, Map, List)}, an ONNX model's input prepared as {@code preparation} says;
   * a spec says that in its own input(...), so for a spec it must be {@link InputPreparation#NONE}.
   */
  public static ModelSource load(String path, Map<String, String> overrides, List<Path> importPath, InputPreparation preparation) {
    String problem = optionProblem(path, !preparation.isNone(), !importPath.isEmpty());
    if (problem != null) throw new netc.runtime.BadInputException(problem);
    if (!isOnnx(path)) {
      SpecLoader.Program program = SpecLoader.load(Path.of(path), importPath);
      return new ModelSource(GraphBuilder.build(program, overrides), null, null, program.files());
    }
    OnnxModel model = OnnxReader.read(Path.of(path));
    OnnxImporter.Result r = OnnxImporter.translate(model, preparation);
    String name = path + " (imported)";
    Graph graph = GraphBuilder.build(SpecLoader.fromText(name, r.spec()), overrides);
    // not through a safetensors file's bytes: past 2 GiB no byte array holds them, and below it the copies took four times their memory
    return new ModelSource(graph, TensorSource.of(name, r.weights()), r, model.files());
  }
}
