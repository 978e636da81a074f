package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every name a spec can produce is valid in generated Java: layer names that are Java keywords or
 * restricted words, names that collide once made identifiers, names of 70,000 characters, and
 * networks named like java.lang or runtime classes the generated code uses. Each network is
 * compiled (at -O0, so every named layer is a step of its own) and run against the interpreter.
 */
class JavaNamesTest {
  static final PassContext O0 = new PassContext(0, java.util.Set.of(), 16, List.of());

  /** Compiles {@code spec} as file {@code file}, checks it against the interpreter, and returns the model's step names. */
  static List<String> compileAndCheck(String file, String spec) throws Exception {
    return compileAndCheck(file, spec, O0);
  }

  static List<String> compileAndCheck(String file, String spec, PassContext context) throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.fromText(file, spec), Map.of());
    ParamSource params = SyntheticWeights.source(g, 3);
    CompiledModel model = CompiledModels.compile(g, params, 1, context);
    Tensor x = GeneratedModelTest.random(g, 2, 9);
    Tensor expected = Interpreter.run(g, params, x);
    GeneratedModelTest.assertClose(expected, model.predict(x).reshape(RandomNetworkTest.shape(g, 2)), 1e-4, file);
    List<String> steps = model.stepNames();
    assertEquals(steps.size(), new HashSet<>(steps).size(), "step names are unique: " + steps);
    return steps;
  }

  @Test
  void layersNamedLikeJavaKeywordsAndRestrictedWords() throws Exception {
    List<String> steps = compileAndCheck("test.net", """
        input(3, 6, 6)
        "class": conv(4, 3, padding = 1)
        int: relu()
        enum: batchnorm()
        "yield": sigmoid()
        var: tanh()
        record: maxpool(2)
        "_": leaky_relu()
        "null": relu()
        "K": relu()
        "steps": relu()
        "ITEMS": conv(3, 1)
        "runStep": relu()
        """);
    for (String s : steps) assertTrue(javax.lang.model.SourceVersion.isName(s) && !s.equals("yield"), s);
    assertTrue(steps.containsAll(List.of("class_", "int_", "enum_", "yield_", "null_", "K_", "steps_2", "runStep_2")), steps.toString());
  }

  @Test
  void namesThatCollideOnceSanitized() throws Exception {
    List<String> steps = compileAndCheck("test.net", """
        block unit() {
            0: conv(4, 1)
        }
        input(3, 5, 5)
        layer1: unit()
        "layer1_0": conv(4, 1)
        "a-b": relu()
        "a_b": relu()
        "a b": relu()
        """);
    assertTrue(steps.containsAll(List.of("layer1_0", "layer1_0_2", "a_b", "a_b_2", "a_b_3")), steps.toString());
  }

  @Test
  void namesOfAThousandCharacters() throws Exception {
    String longName = "x".repeat(997); // the front end's limit is 1,000 characters a name (SpecLimitsTest)
    List<String> steps = compileAndCheck("test.net", "input(3, 5, 5)\n\"" + longName + "a\": conv(4, 1)\n\"" + longName + "b\": relu()\n"
        + "\"" + longName + "a_\": relu()\n");
    for (String s : steps) assertTrue(s.length() <= JavaNames.MAX_IDENTIFIER + 4, s.length() + " characters");
    assertNotEquals(JavaNames.identifier(longName + "a", false), JavaNames.identifier(longName + "b", false), "the hash tells the two apart");
    String huge = "x".repeat(70_000);
    assertNotEquals(JavaNames.identifier(huge + "a", false), JavaNames.identifier(huge + "b", false), "past any length");
    assertEquals(JavaNames.identifier(longName + "a", false), JavaNames.identifier(longName + "a", false));
    String type = JavaNames.type(longName, ModelGenerator.REFERENCED_TYPES);
    assertTrue(type.length() <= JavaNames.MAX_IDENTIFIER && type.startsWith("Xxx"), type);
  }

  /** A network named like a class the generated code names unqualified: its class takes another name. */
  @ParameterizedTest
  @ValueSource(strings = {"Math", "String", "Object", "List", "Override", "Integer", "CompiledModel", "Kernels", "Workspace", "Properties"})
  void networksNamedLikeClassesTheCodeUses(String network) throws Exception {
    assertEquals(network + "Model", JavaNames.type(network, ModelGenerator.REFERENCED_TYPES));
    if (network.chars().filter(Character::isUpperCase).count() == 1) { // math.net is a class Math too
      assertEquals(network + "Model", JavaNames.type(network.toLowerCase(java.util.Locale.ROOT), ModelGenerator.REFERENCED_TYPES));
    }
    // the residual's Winograd output transform writes Math.min (a class Math made it not compile);
    // softmax and fc cover the other kernels
    compileAndCheck(network + ".net", """
        input(16, 8, 8)
        conv(16, 1)
        residual { conv(16, 3, padding = 1) }
        global_avgpool()
        flatten()
        fc(5)
        softmax()
        """, PassContext.defaults());
  }

  /**
   * Javadoc text from names: no line starts a tag (javac marks a class deprecated by "@deprecated" at a line's
   * start), no markup or inline tag; netc's own text unchanged.
   */
  @Test
  void javadocTextStartsNoTagAndHoldsNoMarkup() {
    String doc = JavaNames.javadoc("@deprecated resnet18, compiled by netc\nfrom a at dir/x\n@hidden b.net:1:1\n<a href=x>{@link y} & -> z");
    for (String line : doc.split("\n")) assertTrue(!line.strip().startsWith("@"), "a line javac or javadoc reads as a tag: " + line);
    assertEquals("&#64;deprecated resnet18, compiled by netc\nfrom a at dir/x\n&#64;hidden b.net:1:1\n&lt;a href=x>{&#64;link y} &amp; -> z", doc);
    assertEquals("conv 3x3, 64 -> 64 channels", JavaNames.javadoc("conv 3x3, 64 -> 64 channels"), "netc's own text is kept");
  }

  /**
   * A bidirectional override in a layer name (as an ONNX node name may carry) would display the rest of
   * a generated comment's line reordered; format characters, line and paragraph separators are written
   * as [U+XXXX], control characters as spaces, and no backslash or comment delimiter survives as such.
   */
  @Test
  void commentsShowFormatCharactersAsCodePoints() throws Exception {
    assertEquals("a[U+202E]b[U+2066]c[U+200B]d[U+2028]e[U+E0001]f g\\\\u002a/h* /i\n[U+2029]",
        JavaNames.comment("a\u202Eb\u2066c\u200Bd\u2028e\uDB40\uDC01f\u0007g\\u002a/h*/i\n\u2029"));
    assertEquals("conv, 3x3 -> 4 channels: é ü 日本", JavaNames.comment("conv, 3x3 -> 4 channels: é ü 日本"), "printable text is kept");
    Graph g = GraphBuilder.build(SpecLoader.fromText("test.net", "input(3, 5, 5)\n\"\u202Eevil\u2066\": conv(4, 1)\nrelu()\n"), Map.of());
    String[] source = new String[1];
    CompiledModels.compile(g, SyntheticWeights.source(g, 3), 1, O0, s -> source[0] = s);
    assertTrue(source[0].contains("[U+202E]evil[U+2066]: conv 1x1"), source[0]);
    assertTrue(source[0].codePoints().noneMatch(c -> Character.getType(c) == Character.FORMAT), "no format character in the source");
  }

  @Test
  void ordinaryNamesAreKept() {
    assertEquals("Resnet50", JavaNames.type("resnet50", ModelGenerator.REFERENCED_TYPES));
    assertEquals("Smallnet", JavaNames.type("smallnet", ModelGenerator.REFERENCED_TYPES));
    assertEquals("layer1_0_conv2", new JavaNames().method("layer1.0.conv2"));
  }

  /**
   * Model names were cut to 64 characters, dropping the hash identifier appends to long names: two
   * networks whose names share their first 64 characters got one package netc.models.NAME.
   */
  @Test
  void longNetworkNamesStayApartAsModelNames() {
    String a = "n".repeat(64) + "a", b = "n".repeat(64) + "b"; // 65 characters: no identifier hash of their own
    String huge = "Net-".repeat(300);
    List<String> names = List.of(JavaNames.modelName(a), JavaNames.modelName(b), JavaNames.modelName(huge + "A"), JavaNames.modelName(huge + "B"));
    assertEquals(4, new HashSet<>(names).size(), names.toString());
    for (String n : names) {
      assertEquals(JavaNames.MAX_MODEL_NAME, n.length(), n);
      assertEquals(null, JavaNames.modelNameProblem(n), n);
    }
    assertTrue(names.get(0).matches("n{47}_[0-9a-f]{16}"), names.get(0));
    assertTrue(names.get(2).matches("(net_){11}net_[0-9a-f]{16}"), names.get(2));
    assertEquals(names.get(0), JavaNames.modelName(a), "the same name, the same model name");
    assertEquals(names.get(0), JavaNames.modelName("N".repeat(64) + "A"), "made lower-case first, as shorter names are");
    assertEquals("n".repeat(64), JavaNames.modelName("n".repeat(64)), "64 characters are kept as they are");
    assertEquals("resnet_50", JavaNames.modelName("ResNet-50"));
  }

  /**
   * Names a class must not take whatever the JDK: CompiledModel's member types (its Sizes record, which inside the
   * generated class hides a class named Sizes) and java.lang types some supported JDK has and another has not
   * (Compiler until 21, IO from 25), so the class name is the same on JDK 17 and 25.
   */
  @Test
  void membersOfCompiledModelAndJavaLangOfAnySupportedJdkAreAvoided() {
    assertEquals("SizesModel", JavaNames.type("sizes", ModelGenerator.REFERENCED_TYPES));
    assertEquals("CompilerModel", JavaNames.type("Compiler", ModelGenerator.REFERENCED_TYPES));
    assertEquals("IOModel", JavaNames.type("IO", ModelGenerator.REFERENCED_TYPES));
    assertEquals("Resnet50", JavaNames.type("resnet50", ModelGenerator.REFERENCED_TYPES));
  }

  /** An ONNX model of another extension (or none) is named as one named .onnx: ResNet50.ONNX is ResNet50, not ResNet50_ONNX_imported_. */
  @ParameterizedTest
  @ValueSource(strings = {"ResNet50.onnx", "ResNet50.ONNX", "ResNet50.pb", "ResNet50"})
  void anImportedModelIsNamedWithoutItsExtension(String file) {
    Graph g = GraphBuilder.build(SpecLoader.fromText("/models/" + file + " (imported)", "input(1, 4, 4)\nc: conv(2, 1)\n"), Map.of());
    assertEquals("ResNet50", g.name());
  }

  /**
   * The generated source does not depend on the JVM's locale: in Persian (or Arabic) Formatter writes %d with other
   * digits, which javac refused in every model's tables; in German %.3f writes 0,123.
   */
  @Test
  void theGeneratedSourceIsTheSameInEveryLocale() {
    Graph g = GraphBuilder.build(SpecLoader.fromText("locale.net", """
        input(3, 16, 16)
        c1: conv(16, 3, padding = 1)
        relu()
        c2: conv(16, 3, padding = 1)
        p: maxpool(2)
        global_avgpool()
        flatten()
        fc(10)
        """), Map.of());
    ParamSource params = SyntheticWeights.source(g, 3);
    java.util.Locale before = java.util.Locale.getDefault();
    List<String> sources = new java.util.ArrayList<>();
    try {
      for (java.util.Locale locale : new java.util.Locale[] {java.util.Locale.ROOT, java.util.Locale.forLanguageTag("fa-IR"),
          java.util.Locale.forLanguageTag("ar-EG"), java.util.Locale.GERMANY}) {
        java.util.Locale.setDefault(locale);
        Graph optimized = netc.passes.PassManager.run(g, PassContext.defaults());
        sources.add(ModelGenerator.generate(optimized, netc.passes.MemoryPlanner.plan(optimized, 16), PackedWeights.pack(optimized, params),
            "// test", ModelGenerator.PACKAGE_PREFIX + "locale").file().toString());
      }
    } finally {
      java.util.Locale.setDefault(before);
    }
    assertTrue(sources.get(0).contains("Tables.pixels(") || sources.get(0).contains("Tables.kOffsets("), sources.get(0));
    for (int i = 1; i < sources.size(); i++) assertEquals(sources.get(0), sources.get(i), "locale " + i);
  }
}
