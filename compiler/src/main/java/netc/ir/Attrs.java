package netc.ir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's attributes: an immutable map from name to Integer, Double, Boolean, String or a List of
 * Integer/Double. Sorted, so the text form and equality are stable.
 */
public final class Attrs {
  public static final Attrs EMPTY = new Attrs(new TreeMap<>());

  private final Map<String, Object> values;

  private Attrs(TreeMap<String, Object> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  /**
   * This map with {@code key} set. A NaN or infinite number is refused: the spec refuses them where
   * they are written, so one here is a compiler bug, caught before it reaches generated source.
   */
  public Attrs with(String key, Object value) {
    checkFinite(key, value);
    TreeMap<String, Object> copy = new TreeMap<>(values);
    copy.put(key, value instanceof List<?> l ? List.copyOf(l) : value);
    return new Attrs(copy);
  }

  private static void checkFinite(String key, Object value) {
    if (value instanceof Double d && !Double.isFinite(d)) throw new IllegalArgumentException("attribute " + key + " is " + d);
    if (value instanceof List<?> l) for (Object o : l) checkFinite(key, o);
  }

  public Attrs without(String key) {
    TreeMap<String, Object> copy = new TreeMap<>(values);
    copy.remove(key);
    return new Attrs(copy);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public int getInt(String key) {
    return (Integer) require(key);
  }

  public double getDouble(String key) {
    return ((Number) require(key)).doubleValue();
  }

  public boolean getBool(String key) {
    return (Boolean) require(key);
  }

  public String getString(String key, String fallback) {
    Object v = values.get(key);
    return v == null ? fallback : (String) v;
  }

  @SuppressWarnings("unchecked")
  public List<Integer> getInts(String key) {
    return (List<Integer>) require(key);
  }

  @SuppressWarnings("unchecked")
  public List<Double> getDoubles(String key) {
    return (List<Double>) values.get(key);
  }

  /**
   * The [bottom, right] padding of a conv, pool or pad: "padding_end" when the padding is asymmetric,
   * else "padding" ([top, left]) itself. Symmetric padding keeps one attribute, so existing IR reads the same.
   */
  public List<Integer> paddingEnd() {
    return has("padding_end") ? getInts("padding_end") : getInts("padding");
  }

  public Activation activation() {
    return Activation.parse(getString("act", "none"));
  }

  public Map<String, Object> asMap() {
    return values;
  }

  private Object require(String key) {
    Object v = values.get(key);
    if (v == null) throw new IllegalStateException("missing attribute " + key);
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attrs a && values.equals(a.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    values.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(format(v)));
    return b.append('}').toString();
  }

  public static String format(Object v) {
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) b.append(i == 0 ? "" : ",").append(format(l.get(i)));
      return b.append(']').toString();
    }
    if (v instanceof Double d) return String.format(java.util.Locale.ROOT, "%.6g", d);
    return String.valueOf(v);
  }
}
