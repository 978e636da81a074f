package netc.runtime.io;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;

/**
 * Named tensors that weights are bound from: a safetensors file ({@link Safetensors}), or tensors
 * made in memory ({@link #of}), such as an imported ONNX model's. Tensors in memory are bound as
 * they are, not first written out as one file's bytes: past 2 GiB no byte array holds those, and
 * below it the copies took about four times the weights' memory.
 */
public interface TensorSource {
  /** What messages call the source: the file's path, or the name given to the tensors in memory. */
  String name();

  /** The tensors' names, in the source's order. */
  Set<String> tensors();

  /** The tensor's element type, or null when there is no such tensor. */
  Safetensors.Dtype dtype(String tensor);

  /** The tensor's shape; the tensor must exist. */
  int[] shape(String tensor);

  /** The tensor's values as float32; refused, naming the source, when it is missing or not a float type. */
  float[] floats(String tensor);

  /**
   * Float32 tensors held in memory, called {@code name} in messages. The values are not copied:
   * {@link #floats} returns each tensor's own array, which the caller must not change.
   */
  static TensorSource of(String name, Map<String, Tensor> tensors) {
    Map<String, Tensor> view = Collections.unmodifiableMap(tensors);
    return new TensorSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Set<String> tensors() {
        return view.keySet();
      }

      @Override
      public Safetensors.Dtype dtype(String tensor) {
        return view.containsKey(tensor) ? Safetensors.Dtype.F32 : null;
      }

      @Override
      public int[] shape(String tensor) {
        return view.get(tensor).shape();
      }

      @Override
      public float[] floats(String tensor) {
        Tensor t = view.get(tensor);
        if (t == null) throw new BadInputException(name + ": no tensor '" + tensor + "'"); // as Safetensors says it
        return t.data();
      }
    };
  }
}
