package netc.testing;

import java.util.HashMap;
import java.util.Map;
import netc.ir.ParamSource;
import netc.ir.Shape;

/** Parameters given by hand for tests; a missing or wrong-sized tensor fails loudly. */
public final class MapParams implements ParamSource {
  private final Map<String, float[]> tensors = new HashMap<>();

  public MapParams put(String name, float... values) {
    tensors.put(name, values);
    return this;
  }

  @Override
  public float[] tensor(String name, Shape expected) {
    float[] t = tensors.get(name);
    if (t == null) throw new AssertionError("test gave no tensor " + name);
    if (t.length != expected.size()) throw new AssertionError(name + " has " + t.length + " values, expected " + expected);
    return t;
  }
}
