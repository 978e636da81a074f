package netc.ast;

import java.util.Locale;

/**
 * The front end's limits on what a spec may ask for, each a default with the reason for its value,
 * raised by a system property ({@code -Dnetc.spec.maxLayers=500000}) where a user may need more.
 * They keep a broken or hostile spec from exhausting the stack, the heap or the clock: past a limit
 * the spec gets one located message instead of a StackOverflowError, an OutOfMemoryError or a hang.
 */
public enum SpecLimit {
  /**
   * Brackets, lists, block bodies and minus signs nested inside one another. Real networks use under
   * ten; the parser and the elaborator spend stack frames per level, and 100 levels fit with room in
   * the JVM's smallest usual thread stack (512 KiB), which SpecLimitsTest checks.
   */
  NESTING("netc.spec.maxNesting", 100, "nesting"),

  /**
   * Numbers and names in one expression: its tree is as deep as it has terms, and converting and
   * evaluating it recurses that deep. A network's arithmetic has a handful of terms.
   */
  EXPRESSION_TERMS("netc.spec.maxExpressionTerms", 1_000, "terms in one expression"),

  /** Files importing files importing files: a library of blocks is one or two levels deep. */
  IMPORT_DEPTH("netc.spec.maxImportDepth", 64, "import depth"),

  /** {@code param} declarations over all files; every one is a -D knob, and a few dozen is a lot. */
  PARAMS("netc.spec.maxParams", 10_000, "params"),

  /** Layers after expanding blocks and loops; ResNet-152 has about 500, a compiled model holds one method per layer. */
  LAYERS("netc.spec.maxLayers", 200_000, "layers"),

  /** Iterations of one {@code for} loop; more than the layer limit can only be a mistake. */
  REPEAT("netc.spec.maxRepeat", 200_000, "loop iterations"),

  /**
   * Statements run and expression terms evaluated while expanding the spec: loops with empty bodies
   * and blocks calling blocks twice over can repeat without adding layers, so the layer limit alone
   * does not stop them. A spec at the layer limit takes a few million; 10 million is a few seconds.
   */
  STEPS("netc.spec.maxSteps", 10_000_000, "elaboration steps"),

  /**
   * Floats in one activation tensor of one image (C*H*W). 2^28 floats is 1 GiB per image: a 224x224
   * network's largest is 800 thousand, a 4K frame with 64 channels 530 million. The compiled model
   * also pads channels to its block of 16 and adds borders, which this leaves room for below the
   * JVM's array limit.
   */
  ACTIVATION("netc.spec.maxActivation", 1 << 28, "floats per activation");

  private final String property;
  private final long defaultValue;
  private final String what;

  SpecLimit(String property, long defaultValue, String what) {
    this.property = property;
    this.defaultValue = defaultValue;
    this.what = what;
  }

  /** The limit in effect: the system property when set, the default otherwise. */
  public long get() {
    String text = System.getProperty(property);
    if (text == null) return defaultValue;
    try {
      long v = Long.parseLong(text.trim().replace("_", ""));
      if (v > 0) return v;
    } catch (NumberFormatException e) {
      // reported below, as for a non-positive value
    }
    throw new NetcException("-D" + property + "=" + text + ": the " + what + " limit must be a positive integer");
  }

  /** The limit with thousands separators, as messages show it: "200,000". */
  public String shown() {
    return String.format(Locale.ROOT, "%,d", get());
  }

  /** How to raise the limit, for the end of a message. */
  public String raise() {
    return "the JVM property -D" + property + "=N raises the limit (for ./netc, in NETC_JAVA_OPTS)";
  }

  public String property() {
    return property;
  }

  public long defaultValue() {
    return defaultValue;
  }
}
