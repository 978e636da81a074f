package netc.onnx;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Layer names for an imported spec, made from ONNX node names: {@code /model/layer1/layer1.0/conv1/Conv}
 * becomes {@code model_layer1_0_conv1}. Every name is an identifier of the language (so nothing in a
 * model can inject spec text), not a keyword nor a name GraphBuilder gives a join, and unique in the spec.
 */
final class LayerNames {
  /** The language's keywords, which cannot name a layer: every word the grammar (grammar/Net.g4) spells out as a token. */
  static final Set<String> KEYWORDS = keywords();

  private static Set<String> keywords() {
    Set<String> out = new HashSet<>();
    org.antlr.v4.runtime.Vocabulary v = netc.grammar.NetLexer.VOCABULARY;
    for (int t = 0; t <= v.getMaxTokenType(); t++) {
      String literal = v.getLiteralName(t); // 'import', with its quotes; null for tokens that are not one word
      if (literal != null && literal.matches("'[a-z_]+'")) out.add(literal.substring(1, literal.length() - 1));
    }
    return Set.copyOf(out);
  }
  /**
   * The names GraphBuilder gives the layers a spec leaves unnamed, a residual's add, a concat and a gate
   * ({@code add}, {@code add_1}, {@code concat_2}, ...; each scope numbers its own): a layer of the spec
   * named so after one of them would be refused as a name used twice.
   */
  static final java.util.regex.Pattern GENERATED = java.util.regex.Pattern.compile("(add|concat|gate)(_[0-9]+)?");

  /** Longer names are cut: a name is for reading, and a hostile model may carry megabyte names. */
  static final int MAX_LENGTH = 64;

  private final Set<String> used = new HashSet<>();
  /** Per base name, the suffix to try next: a model of a million unnamed Relus tried relu, relu_2, ... from the start each time. */
  private final java.util.Map<String, Integer> nextSuffix = new java.util.HashMap<>();

  /** A fresh name for {@code node}, from its name, else from its weight's name, else from its op. */
  String forNode(OnnxNode node, String weightName) {
    String base = fromPath(node.name(), node.opType());
    if (base.isEmpty() && weightName != null && !weightName.startsWith("onnx::")) {
      base = sanitize(weightName.endsWith(".weight") ? weightName.substring(0, weightName.length() - ".weight".length()) : weightName);
    }
    if (base.isEmpty()) base = sanitize(node.opType().toLowerCase(java.util.Locale.ROOT));
    return fresh(base.isEmpty() ? "layer" : base);
  }

  /** A fresh name built from {@code text}. */
  String fresh(String text) {
    String base = sanitize(text);
    if (base.isEmpty()) base = "layer";
    if (used.add(base)) return base;
    int k = nextSuffix.getOrDefault(base, 2);
    String name = base + "_" + k;
    while (!used.add(name)) name = base + "_" + ++k; // a name taken as given (relu_2 itself): the next
    nextSuffix.put(base, k + 1);
    return name;
  }

  /**
   * The readable part of an exporter's scoped name: path segments without the trailing op type and
   * without a segment that the next one repeats ({@code layer1/layer1.0} says {@code layer1.0}).
   */
  static String fromPath(String name, String opType) {
    List<String> parts = new java.util.ArrayList<>(List.of(name.split("/")));
    parts.removeIf(String::isEmpty);
    if (!parts.isEmpty() && parts.get(parts.size() - 1).matches(java.util.regex.Pattern.quote(opType) + "(_\\d+)?")) {
      parts.remove(parts.size() - 1);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts.size(); i++) {
      if (i + 1 < parts.size() && parts.get(i + 1).startsWith(parts.get(i) + ".")) continue;
      b.append(b.length() == 0 ? "" : "_").append(parts.get(i));
    }
    return sanitize(b.toString());
  }

  /**
   * Letters, digits and underscores, not starting with a digit, at most {@link #MAX_LENGTH}; a keyword or
   * a {@link #GENERATED} name gets an underscore after it.
   */
  static String sanitize(String text) {
    String s = text.replaceAll("[^A-Za-z0-9_]+", "_").replaceAll("_+", "_").replaceAll("^_|_$", "");
    if (s.length() > MAX_LENGTH) s = s.substring(0, MAX_LENGTH);
    if (!s.isEmpty() && Character.isDigit(s.charAt(0))) s = "n" + s;
    if (KEYWORDS.contains(s) || GENERATED.matcher(s).matches()) s = s + "_";
    return s;
  }
}
