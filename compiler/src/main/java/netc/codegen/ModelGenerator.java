package netc.codegen;

import com.squareup.javapoet.ArrayTypeName;
import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.JavaFile;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterizedTypeName;
import com.squareup.javapoet.TypeName;
import com.squareup.javapoet.TypeSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;
import netc.ast.NetcException;
import netc.ir.Activation;
import netc.ir.Attrs;
import netc.ir.ChannelRuns;
import netc.ir.Cost;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;
import netc.ir.ShapeInference;
import netc.passes.Layouts;
import netc.passes.MemoryPlan;
import netc.runtime.CompiledModel;
import netc.runtime.kernels.KernelTiles;
import netc.runtime.kernels.Kernels;

/**
 * Generates the Java class of a compiled network: one private method per step, named after the spec
 * layer it computes, in which every shape, stride, offset, loop bound and epilogue is a literal; a
 * {@code runStep} switch the runtime calls with work-item ranges; and the offset tables the conv
 * micro-kernel reads, built in the static initializer from literal arguments and shared between
 * layers of the same geometry. Weights are never in the source: they are offsets into the packed
 * weight array.
 */
public final class ModelGenerator {
  /** Every model's package is netc.models.NAME: its own, so any number of models share a class path. */
  public static final String PACKAGE_PREFIX = "netc.models.";
  static final ClassName COMPILED_MODEL = ClassName.get("netc.runtime", "CompiledModel");
  static final ClassName SIZES = COMPILED_MODEL.nestedClass("Sizes");
  static final ClassName WORKSPACE = ClassName.get("netc.runtime", "Workspace");
  static final ClassName KERNELS = ClassName.get("netc.runtime.kernels", "Kernels");
  static final ClassName TABLES = ClassName.get("netc.runtime.kernels", "Tables");
  static final ClassName REORDER = ClassName.get("netc.runtime.kernels", "Reorder");
  static final ClassName SOFTMAX = ClassName.get("netc.runtime.kernels", "Softmax");
  static final ClassName PROPERTIES = ClassName.get("java.util", "Properties");
  static final ClassName ARRAYS = ClassName.get("java.util", "Arrays");
  static final ClassName METHOD_HANDLES = ClassName.get("java.lang.invoke", "MethodHandles");
  static final TypeName INTS = ArrayTypeName.of(TypeName.INT);
  static final TypeName FLOATS = ArrayTypeName.of(TypeName.FLOAT);

  /**
   * The simple names of the types the generated code names: the imports and the java.lang types it
   * writes unqualified. The generated class must not take one (JavaNames.type).
   */
  static final Set<String> REFERENCED_TYPES = java.util.stream.Stream.concat(java.util.stream.Stream.of(COMPILED_MODEL.simpleName(),
      WORKSPACE.simpleName(), KERNELS.simpleName(), TABLES.simpleName(), REORDER.simpleName(), SOFTMAX.simpleName(), PROPERTIES.simpleName(),
      METHOD_HANDLES.simpleName(), "List", "Arrays", "Math", "String", "Integer", "Long", "Float", "Override", "IllegalArgumentException",
      "System"), memberTypes()).collect(java.util.stream.Collectors.toUnmodifiableSet());

  /**
   * The member types the generated class inherits from CompiledModel (its Sizes record): inside the class
   * such a name means the member, so a network named "Sizes" would have its step classes' parameters of
   * its own type read as the record.
   */
  private static java.util.stream.Stream<String> memberTypes() {
    return java.util.Arrays.stream(netc.runtime.CompiledModel.class.getDeclaredClasses())
        .filter(c -> !java.lang.reflect.Modifier.isPrivate(c.getModifiers())).map(Class::getSimpleName);
  }

  /** The class comment's second paragraph: what the names every step method uses stand for. */
  static final String CLASS_NOTE = "Each step method, named after the layers it computes, reads and writes the workspace's"
      + " arena a, where every value lives at the offset the memory plan gave it (netc inspect --memory), reads the packed weights w"
      + " (each layer's at its offset, as netc packed them), and computes with the kernels K of netc-runtime. The run loop calls them"
      + " in order through runStep, each over a range of its items, on as many threads as the model was loaded with.";

  /** The static tables and helpers every generated class may declare besides its steps (see generate()). */
  static final Set<String> OWN_MEMBERS = Set.of("ITEMS", "PARALLEL", "GRAIN", "BUNCH_CHUNK", "MULTIPLY_ADDS", "decodeInts", "decodeLongs",
      "decodeBooleans", "decodeFloats");

  /** Every member name the generated class declares itself or inherits: no step method or table may take one. */
  static Set<String> memberNames() {
    Set<String> out = new java.util.HashSet<>(OWN_MEMBERS);
    for (Class<?> c = CompiledModel.class; c != null; c = c.getSuperclass()) {
      for (var m : c.getDeclaredMethods()) out.add(m.getName());
      for (var f : c.getDeclaredFields()) out.add(f.getName());
    }
    return out;
  }

  /**
   * Below this much work a step runs on the caller's thread: a barrier costs more. Work counts a
   * conv's or pool's multiply-accumulates, and {@link #MOVED_FLOAT_WORK} for each float of a step
   * that only moves values (see {@link #moved}).
   */
  static final long PARALLEL_THRESHOLD = 200_000;

  /**
   * The work of one float moved by a step that only moves and transforms values (a batch norm, an
   * add, a copy, a global pool, a Winograd transform): its loads and stores cost what about this
   * many of a conv's multiply-adds do. Measured on one thread: a batch norm of densenet121 writes
   * 197K floats in 66 us (0.33 ns each), a Winograd F(4x4,3x3) input transform of squeezenet1_1
   * 113K in 73 us, where a conv does 200K multiply-adds in 3-4 us; counted as multiply-adds, steps
   * of up to 70 us ran on one thread.
   */
  static final long MOVED_FLOAT_WORK = 16;

  /** The work of a step that moves {@code floats} values and multiplies none (see {@link #MOVED_FLOAT_WORK}). */
  static long moved(long floats) {
    return floats * MOVED_FLOAT_WORK;
  }

  /** What the generated class needs to know besides its source. */
  public record Result(JavaFile file, String className, int steps, long outputOffset, int outputSize, long workspaceFloats) {}

  private final Graph graph;
  private final MemoryPlan plan;
  private final PackedWeights weights;
  private final String header;
  private final String packageName;
  private final JavaNames names = new JavaNames(memberNames());
  private final Map<String, String> tables = new LinkedHashMap<>();
  private final List<FieldSpec> fields = new ArrayList<>();
  /** Each table's users, by the layers' names: a table two layers share is named after the first, and says so. */
  private final Map<String, java.util.Set<String>> tableUsers = new LinkedHashMap<>();
  private final List<MethodSpec> methods = new ArrayList<>();
  private final List<String> stepMethods = new ArrayList<>();
  private final List<Integer> items = new ArrayList<>();
  private final List<Boolean> parallel = new ArrayList<>();
  private final List<Integer> grains = new ArrayList<>();
  /** Per step: the items a bunch of images runs image after image before the next items (CompiledModel.bunchChunk). */
  private final List<Integer> bunchChunks = new ArrayList<>();
  /** Per step: whether its weights outweigh its activations (null for steps without weights). */
  private final List<Boolean> weightHeavy = new ArrayList<>();
  /** Per step: the multiply-adds of one image it computes (see {@link #countMultiplyAdds}); 0 for steps that only move values. */
  private final List<Long> multiplyAdds = new ArrayList<>();

  /** The maps a flatten reads: their buffer is a flat value's too (see {@link #zeroFlatTail}). */
  private final Set<Integer> flattened = new java.util.HashSet<>();

  private ModelGenerator(Graph graph, MemoryPlan plan, PackedWeights weights, String header, String packageName) {
    for (Node n : graph.nodes()) if (n.op() == Op.FLATTEN) flattened.add(n.input(0));
    this.packageName = packageName;
    this.graph = graph;
    this.plan = plan;
    this.weights = weights;
    this.header = header;
  }

  static Result generate(Graph graph, MemoryPlan plan, PackedWeights weights, String header, String packageName) {
    return new ModelGenerator(graph, plan, weights, header, packageName).generate();
  }

  private Geometry value(int id) {
    Node n = graph.node(id);
    if (n.op() == Op.INPUT) return Geometry.of(n, 0, true);
    return Geometry.of(n, plan.offsetOf(id), false);
  }

  private Result generate() {
    for (Node n : graph.nodes()) step(n);
    Node out = graph.output();
    Geometry og = value(out.id());
    if (og.external() || og.hh() > 0 || og.hw() > 0 || (og.blocked() && out.shape().rank() == 3)) {
      throw new NetcException("cannot compile " + graph.name() + ": its output " + out.name() + " is not a plain tensor");
    }
    String className = JavaNames.type(graph.name(), REFERENCED_TYPES);
    TypeSpec.Builder type = TypeSpec.classBuilder(className)
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .superclass(COMPILED_MODEL)
        .addJavadoc("$L", wrap(JavaNames.javadoc(graph.name() + ", compiled by netc: " + stepMethods.size() + " steps, "
            + String.format(java.util.Locale.ROOT, "%.3f", graph.macs() / 1e9) + " G multiply-accumulates per image, " + plan.arenaFloats() * 4 / 1024
            + " KiB of activations per image.") + "\n\n" + CLASS_NOTE, DOC_WIDTH));
    type.addField(FieldSpec.builder(INTS, "ITEMS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Per step (runStep's case): the items its work is cut into, which the threads share.\n")
        .initializer(perStep(items)).build());
    type.addField(FieldSpec.builder(ArrayTypeName.of(TypeName.BOOLEAN), "PARALLEL", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Per step: whether its items are shared among the threads (false: the calling thread runs them alone).\n")
        .initializer(perStep(parallel)).build());
    ClassName self = ClassName.get(packageName, className);
    List<ClassName> holders = tables(type, self);
    int[] in = graph.input().shape().dims();
    int outSize = (int) out.shape().size();
    long workspaceFloats = plan.arenaFloats() + scratch + SLACK_FLOATS;
    type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
        .addParameter(PROPERTIES, "properties").addParameter(TypeName.INT, "threads")
        .addComment("what the offsets below were generated for (input channels, height, width; outputs;")
        .addComment("workspace and weight floats): load refuses a model.properties that gives other sizes")
        .addStatement("super(properties, threads, new $T($L, $L, $L, $L, $L, $L))", SIZES, in[0], in[1], in[2], outSize, workspaceFloats,
            weights.floats())
        .build());
    type.addMethod(override("steps", TypeName.INT).addStatement("return $L", stepMethods.size()).build());
    type.addMethod(override("items", TypeName.INT).addParameter(TypeName.INT, "step").addStatement("return ITEMS[step]").build());
    if (grains.stream().anyMatch(g -> g > 1)) {
      type.addField(FieldSpec.builder(INTS, "GRAIN", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Per step: consecutive items that share their data (a weight group's tiles), which a thread takes together.\n")
          .initializer(perStep(grains)).build());
      type.addMethod(override("grain", TypeName.INT).addParameter(TypeName.INT, "step").addStatement("return GRAIN[step]").build());
    }
    if (bunchedFrom() < stepMethods.size()) {
      type.addMethod(override("bunchedFrom", TypeName.INT).addStatement("return $L", bunchedFrom()).build());
      type.addField(FieldSpec.builder(INTS, "BUNCH_CHUNK", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Per step from bunchedFrom(): the items every image of a bunch runs before the next ones.\n")
          .initializer(perStep(bunchChunks)).build());
      type.addMethod(override("bunchChunk", TypeName.INT).addParameter(TypeName.INT, "step").addStatement("return BUNCH_CHUNK[step]").build());
    }
    type.addMethod(override("parallel", TypeName.BOOLEAN).addParameter(TypeName.INT, "step").addStatement("return PARALLEL[step]").build());
    if (multiplyAdds.stream().anyMatch(m -> m > 0)) {
      type.addField(FieldSpec.builder(ArrayTypeName.of(TypeName.LONG), "MULTIPLY_ADDS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Per step: the multiply-adds it computes for one image (netc profile's GFLOP/s).\n")
          .initializer(perStep(multiplyAdds)).build());
      type.addMethod(MethodSpec.methodBuilder("stepMultiplyAdds").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
          .returns(ArrayTypeName.of(TypeName.LONG)).addStatement("return MULTIPLY_ADDS.clone()").build());
    }
    type.addMethod(override("outputOffset", TypeName.INT).addStatement("return $L", og.offset()).build());
    type.addMethod(MethodSpec.methodBuilder("stepNames").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(String.class)))
        .addStatement("return $T.of($L)", List.class, stepNamesList())
        .build());
    List<ClassName> nested = new ArrayList<>(holders);
    if (stepMethods.size() <= STEPS_PER_CLASS) {
      runStep(type);
      methods.forEach(type::addMethod);
    } else {
      nested.addAll(stepClasses(type, self));
    }
    if (usesDecoders || stepMethods.size() > PER_METHOD) decoders(type);
    if (!nested.isEmpty()) {
      // loaded with the model, not at their first use: a model is whole once loaded (its directory
      // may go, as CompiledModels' does), and a first inference pays no class loading. Initialized too: a
      // class literal loads a class without running its static initializer, so the holders' tables were built
      // in the first inference, and a failure there (out of memory) left the class erroneous, every later call
      // failing with NoClassDefFoundError "Could not initialize class"; now it fails the load, as itself
      type.addStaticBlock(CodeBlock.builder()
          .add("$T<?>[] nested = {$L};\n", Class.class,
              wrapped(nested.stream().map(c -> CodeBlock.of("$L.class", c.simpleName())).toList())) // $T would drop a statically imported holder's name
          .add("// initialized here: one that failed in a call (out of memory for its tables) would fail every later call\n")
          .beginControlFlow("try")
          .addStatement("for ($T<?> c : nested) $T.lookup().ensureInitialized(c)", Class.class, METHOD_HANDLES)
          .nextControlFlow("catch ($T e)", IllegalAccessException.class)
          .add("throw new $T(e); // the class's own nested classes are accessible to it\n", AssertionError.class)
          .endControlFlow()
          .build());
    }
    JavaFile.Builder javaFile = JavaFile.builder(packageName, type.build()).addFileComment("$L", header).skipJavaLangImports(true).indent("    ");
    for (ClassName h : holders) javaFile.addStaticImport(h, "*");
    JavaFile file = javaFile.build();
    return new Result(file, packageName + "." + className, stepMethods.size(), og.offset(), outSize, workspaceFloats);
  }

  /** Floats past the scratch: the linear kernel's last tile reads up to a tile's worth of pixels past its input (and stores none). */
  static final long SLACK_FLOATS = (long) Kernels.LINEAR_TILE * Kernels.BLOCK;

  /**
   * Steps above which the per-step tables and the step names are written in pieces: a method's
   * bytecode may not exceed 64 KiB, and a literal array of N ints takes about 7N bytes of the static
   * initializer, a name in List.of about 7 (5,001 steps failed with "code too large"). Up to this
   * many, the class reads as before. (The runStep switch is split sooner: {@link #STEPS_PER_CLASS}.)
   */
  static final int PER_METHOD = 1024;

  /** Values per string constant when per-step tables are decoded from text: a string constant holds at most 65,535 bytes. */
  static final int PER_STRING = 4096;

  /** A per-step table: an array literal, or decoded from comma-separated text in pieces when there are many steps. */
  private CodeBlock perStep(List<?> values) {
    if (values.size() <= PER_METHOD) {
      // a long literal past int's range needs its L
      return arrayLiteral(values.stream().map(v -> v instanceof Long l && (l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) ? l + "L" : v).toList());
    }
    boolean bool = values.get(0) instanceof Boolean, longs = values.get(0) instanceof Long;
    List<CodeBlock> parts = textParts(values.stream().map(v -> bool ? ((Boolean) v ? "1" : "0") : v.toString()).toList()).stream()
        .map(t -> CodeBlock.of("$S", t)).toList();
    return CodeBlock.of("$L(new String[] {$L})", bool ? "decodeBooleans" : longs ? "decodeLongs" : "decodeInts", wrapped(parts));
  }

  /** Values as comma-separated text, {@link #PER_STRING} to a piece: what the decoders read back. */
  private static List<String> textParts(List<String> values) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < values.size(); i += PER_STRING) parts.add(String.join(",", values.subList(i, Math.min(values.size(), i + PER_STRING))));
    return parts;
  }

  /** The decoders of {@link #perStep} tables, declared when there are many steps. */
  private static void decoders(TypeSpec.Builder type) {
    type.addMethod(MethodSpec.methodBuilder("decodeInts").addModifiers(Modifier.PRIVATE, Modifier.STATIC).returns(INTS)
        .addParameter(ArrayTypeName.of(String.class), "parts")
        .addStatement("return $T.stream(parts).flatMap(p -> $T.stream(p.split(\",\"))).mapToInt(Integer::parseInt).toArray()",
            java.util.Arrays.class, java.util.Arrays.class)
        .build());
    type.addMethod(MethodSpec.methodBuilder("decodeLongs").addModifiers(Modifier.PRIVATE, Modifier.STATIC).returns(ArrayTypeName.of(TypeName.LONG))
        .addParameter(ArrayTypeName.of(String.class), "parts")
        .addStatement("return $T.stream(parts).flatMap(p -> $T.stream(p.split(\",\"))).mapToLong(Long::parseLong).toArray()",
            java.util.Arrays.class, java.util.Arrays.class)
        .build());
    type.addMethod(MethodSpec.methodBuilder("decodeFloats").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(ArrayTypeName.of(TypeName.FLOAT)).addParameter(ArrayTypeName.of(String.class), "parts")
        .addStatement("int[] bits = decodeInts(parts)")
        .addStatement("float[] out = new float[bits.length]")
        .addStatement("for (int i = 0; i < bits.length; i++) out[i] = Float.intBitsToFloat(bits[i])")
        .addStatement("return out")
        .build());
    type.addMethod(MethodSpec.methodBuilder("decodeBooleans").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(ArrayTypeName.of(TypeName.BOOLEAN)).addParameter(ArrayTypeName.of(String.class), "parts")
        .addStatement("int[] v = decodeInts(parts)")
        .addStatement("boolean[] out = new boolean[v.length]")
        .addStatement("for (int i = 0; i < v.length; i++) out[i] = v[i] != 0")
        .addStatement("return out")
        .build());
  }

  /** The step names: literals, or text split at newlines in pieces when there are many (a method name holds no newline). */
  private CodeBlock stepNamesList() {
    if (stepMethods.size() <= PER_METHOD) return wrapped(stepMethods.stream().map(m -> CodeBlock.of("$S", m)).toList());
    List<CodeBlock> parts = new ArrayList<>();
    for (int i = 0; i < stepMethods.size(); i += 256) { // names are at most ~110 characters: 256 of them fit a string constant
      parts.add(CodeBlock.of("$S", String.join("\n", stepMethods.subList(i, Math.min(stepMethods.size(), i + 256)))));
    }
    return CodeBlock.of("String.join(\"\\n\", $L).split(\"\\n\")", wrapped(parts));
  }

  /** runStep: one switch over the step methods. */
  private void runStep(TypeSpec.Builder type) {
    MethodSpec.Builder run = override("runStep", TypeName.VOID)
        .addParameter(TypeName.INT, "step").addParameter(WORKSPACE, "ws").addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "to")
        .beginControlFlow("switch (step)");
    for (int i = 0; i < stepMethods.size(); i++) run.addStatement("case $L: $L(ws, from, to); return", i, stepMethods.get(i));
    run.addStatement("default: throw new $T(\"no step \" + step)", IllegalArgumentException.class).endControlFlow();
    type.addMethod(run.build());
  }

  /**
   * Steps per nested class, and the most steps one runStep switch takes: a case is about 13 bytes of
   * bytecode (its call and its jump table entry), and HotSpot never compiles a method of more than
   * 8,000 (HugeMethodLimit), so a switch of 615 steps or more would dispatch every step interpreted.
   */
  static final int STEPS_PER_CLASS = 512;

  /**
   * A network of more than {@link #STEPS_PER_CLASS} steps (returns the classes): the step methods go, that many at a time, into nested
   * classes S$0, S$1... as static methods of the model ({@code float[] w = m.w} keeps their bodies
   * as they are), each class with a run switch, and runStep picks the class. A class file holds at
   * most 65,535 constants (each step takes a few: its name, its offsets), which one class of 12,000
   * convs nearly used up; '$' is never in a name made from the spec, so these names are free.
   */
  private List<ClassName> stepClasses(TypeSpec.Builder type, ClassName self) {
    List<ClassName> classes = new ArrayList<>();
    MethodSpec.Builder run = override("runStep", TypeName.VOID)
        .addParameter(TypeName.INT, "step").addParameter(WORKSPACE, "ws").addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "to")
        .beginControlFlow("switch (step / $L)", STEPS_PER_CLASS);
    Map<String, MethodSpec> byName = new LinkedHashMap<>();
    for (MethodSpec m : methods) byName.put(m.name, m);
    for (int c = 0; c * STEPS_PER_CLASS < stepMethods.size(); c++) {
      TypeSpec.Builder steps = TypeSpec.classBuilder("S$" + c).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL);
      MethodSpec.Builder part = MethodSpec.methodBuilder("run").addModifiers(Modifier.STATIC)
          .addParameter(self, "m").addParameter(TypeName.INT, "step").addParameter(WORKSPACE, "ws")
          .addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "to")
          .beginControlFlow("switch (step)");
      for (int i = c * STEPS_PER_CLASS; i < Math.min(stepMethods.size(), (c + 1) * STEPS_PER_CLASS); i++) {
        MethodSpec m = byName.get(stepMethods.get(i));
        part.addStatement("case $L: $L(m, ws, from, to); return", i, m.name);
        steps.addMethod(MethodSpec.methodBuilder(m.name).addModifiers(Modifier.PRIVATE, Modifier.STATIC).addJavadoc(m.javadoc)
            .addParameter(self, "m").addParameters(m.parameters).addStatement("float[] w = m.w").addCode(m.code).build());
      }
      part.addStatement("default: throw new $T(\"no step \" + step)", IllegalArgumentException.class).endControlFlow();
      steps.addMethod(part.build());
      type.addType(steps.build());
      classes.add(self.nestedClass("S$" + c));
      run.addStatement("case $L: S$$$L.run(this, step, ws, from, to); return", c, c);
    }
    run.addStatement("default: throw new $T(\"no step \" + step)", IllegalArgumentException.class).endControlFlow();
    type.addMethod(run.build());
    return classes;
  }

  /** Tables per class: each takes some 30 bytes of its class's static initializer, which may not exceed 64 KiB. */
  static final int TABLES_PER_CLASS = 512;

  /**
   * Bytes of static initializer the tables may take in the model class, beside its per-step tables (five
   * of up to {@link #PER_METHOD} values, some 41 KB), and in a holder class, under the JVM's 64 KiB a method.
   */
  static final int TABLE_BYTES_IN_MODEL = 16 << 10, TABLE_BYTES_PER_HOLDER = 48 << 10;

  /**
   * About the bytes of its class's static initializer a table takes: 32 for the call or array and the store,
   * then some 8 a value of a literal array (dup, index, value, store; {@link #intArray} writes up to {@link
   * #MAX_LITERAL_INTS}, a gather's runs as many again) and 3 an argument of a call. Text in strings costs a
   * constant's index. Sixty gathers of 252-int literals passed 64 KiB where the count alone kept them in one class.
   */
  static int initializerBytes(FieldSpec f) {
    String init = f.initializer.toString();
    int bytes = 32, braces = 0;
    boolean inString = false;
    for (int i = 0; i < init.length(); i++) {
      char c = init.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == '"') inString = false;
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        braces++;
        bytes += 8; // the array's first value (the commas count the rest)
      } else if (c == '}') {
        braces--;
      } else if (c == ',') {
        bytes += braces > 0 ? 8 : 3;
      }
    }
    return bytes;
  }

  /**
   * Declares the tables: as fields of the model, or, past {@link #TABLES_PER_CLASS} tables or {@link
   * #TABLE_BYTES_IN_MODEL} bytes, in nested holder classes T$0, T$1... (each up to as many tables and
   * {@link #TABLE_BYTES_PER_HOLDER} bytes) whose fields the file imports statically, so every use still
   * names a table by its simple name. Returns the holders.
   */
  private List<ClassName> tables(TypeSpec.Builder type, ClassName self) {
    if (fields.size() <= TABLES_PER_CLASS && fields.stream().mapToInt(ModelGenerator::initializerBytes).sum() <= TABLE_BYTES_IN_MODEL) {
      for (FieldSpec f : fields) type.addField(withUsers(f, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL));
      return List.of();
    }
    List<ClassName> holders = new ArrayList<>();
    TypeSpec.Builder holder = null;
    int count = 0, bytes = 0;
    for (FieldSpec f : fields) {
      int b = initializerBytes(f);
      if (holder == null || count == TABLES_PER_CLASS || bytes + b > TABLE_BYTES_PER_HOLDER) {
        if (holder != null) type.addType(holder.build());
        holders.add(self.nestedClass("T$" + holders.size()));
        holder = TypeSpec.classBuilder("T$" + (holders.size() - 1)).addModifiers(Modifier.STATIC, Modifier.FINAL);
        count = 0;
        bytes = 0;
      }
      // package-private: a static import sees no private member
      holder.addField(withUsers(f, Modifier.STATIC, Modifier.FINAL));
      count++;
      bytes += b;
    }
    type.addType(holder.build());
    return holders;
  }

  /** {a, b, c}, wrapping at the column limit. */
  private static CodeBlock arrayLiteral(List<?> values) {
    return CodeBlock.of("{$L}", wrapped(values));
  }

  /**
   * A call's format whose argument separators are JavaPoet's wrapping spaces ($W): the call breaks before an
   * argument where its line would pass 100 columns, its continuation lines all indented alike (a line break
   * written in the format would indent the wraps after it further). The breaks are at the depth of the first
   * comma, so a list of arguments (a conv's input, passed into its call) breaks too, and the commas inside a
   * nested call, such as {@code Math.min(4, 56 - 4 * row)}, do not. A format holding a comment or a literal
   * string or character is returned as it is.
   */
  static String wrapArgs(String format) {
    // a comment (a table's, ending at its line's end) or a string literal is left whole, with its lines
    if (format.contains("//") || format.contains("/*") || format.contains("\"") || format.contains("'")) return format;
    String flat = format.replace(",\n", ", ");
    StringBuilder b = new StringBuilder(flat.length() + 16);
    int depth = 0, outer = -1; // the depth of the first comma: a call's arguments, or a list of them (an input's)
    for (int i = 0; i < flat.length(); i++) {
      char c = flat.charAt(i);
      if (c == '(') depth++;
      if (c == ')') depth--;
      if (c == ',' && outer < 0) outer = depth;
      if (c == ' ' && depth == outer && flat.charAt(i - 1) == ',') b.append("$W");
      else b.append(c);
    }
    return b.toString();
  }

  /** a, b, c with JavaPoet's wrapping spaces, so long lists wrap at the column limit. */
  private static CodeBlock wrapped(List<?> values) {
    CodeBlock.Builder b = CodeBlock.builder();
    for (int i = 0; i < values.size(); i++) b.add(i == 0 ? "$L" : ",$W$L", values.get(i));
    return b.build();
  }

  private static MethodSpec.Builder override(String name, TypeName returns) {
    return MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PROTECTED).returns(returns);
  }

  /** Declares (once per distinct call) a static final table built from literal arguments. */
  private String table(String owner, String suffix, TypeName type, String call) {
    String declared = tables.computeIfAbsent(call, c -> {
      String name = names.constant(owner + "_" + suffix);
      String text = c.replace("$", "$$"); // a format from here on (numbers and names: no $ is expected)
      CodeBlock init = c.startsWith("Tables.") ? CodeBlock.of("$T" + wrapArgs(text.substring("Tables".length())), TABLES) : CodeBlock.of(wrapArgs(text));
      fields.add(FieldSpec.builder(type, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer(init).build());
      return name;
    });
    tableUsers.computeIfAbsent(declared, k -> new java.util.LinkedHashSet<>()).add(owner);
    return declared;
  }

  /** A table's field, with a line naming the layers that share it where there are several ("Shared by a, b and c."). */
  private FieldSpec withUsers(FieldSpec f, Modifier... modifiers) {
    FieldSpec.Builder b = FieldSpec.builder(f.type, f.name, modifiers).initializer(f.initializer);
    List<String> users = List.copyOf(tableUsers.getOrDefault(f.name, java.util.Set.of()));
    if (users.size() > 1) {
      String all = String.join(", ", users.subList(0, users.size() - 1)) + " and " + users.get(users.size() - 1);
      b.addJavadoc("$L", wrap(JavaNames.javadoc("Shared by " + all + "."), DOC_WIDTH));
    }
    return b.build();
  }

  private MethodSpec.Builder stepMethod(Node n, int itemCount, long work, String what) {
    return stepMethod(n, null, itemCount, work, what);
  }

  private MethodSpec.Builder stepMethod(Node n, String part, int itemCount, long work, String what) {
    String name = names.method(part == null ? n.name() : n.name() + "_" + part);
    stepMethods.add(name);
    items.add(itemCount);
    grains.add(1);
    bunchChunks.add(itemCount);
    weightHeavy.add(null);
    multiplyAdds.add(0L);
    parallel.add(itemCount > 1 && work >= PARALLEL_THRESHOLD);
    StringBuilder doc = new StringBuilder(wrap(n.name() + ": " + what + ".", DOC_WIDTH));
    // a step that prepares or multiplies for the conv applies none of what was fused into it: the conv's own origin only
    List<Origin> origins = part != null && HELPER_PARTS.contains(part) ? n.origins().subList(0, Math.min(1, n.origins().size())) : n.origins();
    for (Origin o : origins) doc.append("from ").append(o.layer()).append(" (").append(o.op().spelling()).append(") at ")
        .append(o.span() == null ? "?" : o.span().location()).append('\n');
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
        .addJavadoc("$L", JavaNames.javadoc(doc.toString())) // escaping last: nothing may change the text after it
        .addParameter(WORKSPACE, "ws").addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "to")
        .addStatement("float[] a = ws.arena");
  }

  /** The steps that prepare or multiply for a conv's last step (stepMethod's part names), which applies what was fused into it. */
  private static final Set<String> HELPER_PARTS = Set.of("pack", "input_transform", "multiply");

  /** Characters of a step's description a line of its Javadoc: with the class's indentation, well within the source's 140. */
  static final int DOC_WIDTH = 110;

  /** {@code text} in lines of at most {@code width} characters, broken at spaces (a longer word stays whole), each ending in a newline. */
  static String wrap(String text, int width) {
    StringBuilder out = new StringBuilder();
    int lineStart = 0;
    for (String word : text.split(" ", -1)) {
      if (out.length() > lineStart && out.length() - lineStart + 1 + word.length() > width) {
        out.append('\n');
        lineStart = out.length();
      } else if (out.length() > lineStart) {
        out.append(' ');
      }
      out.append(word);
    }
    return out.append('\n').toString();
  }

  /**
   * Records the multiply-adds of one image that the step just begun computes, as the network counts
   * them ({@link Cost}: real channels, no padding): {@code netc profile} divides them by the step's
   * time. A Winograd product step counts its own products, fewer than the direct conv's.
   */
  private void countMultiplyAdds(long perImage) {
    multiplyAdds.set(multiplyAdds.size() - 1, perImage);
  }

  private void step(Node n) {
    switch (n.op()) {
      case INPUT -> {}
      case CONV -> conv(n);
      case MAXPOOL, AVGPOOL -> pool(n);
      case GLOBAL_AVGPOOL -> globalAvgPool(n);
      case FLATTEN -> {
        Geometry in = value(n.input(0));
        if (in.hh() > 0 || in.hw() > 0 || in.external()) throw new NetcException("cannot compile " + n.name() + ": flatten of a bordered tensor");
      }
      case FC -> fc(n);
      case BATCHNORM, RELU, SIGMOID, TANH, LEAKY_RELU, CLIP, SILU, HARDSIGMOID, HARDSWISH, GELU, ADD, GATE -> elementwise(n);
      case PAD -> pad(n);
      case SOFTMAX -> softmax(n);
      case REORDER -> reorder(n);
      case CONCAT -> concat(n);
      case CHANNELS, CHANNEL_SHUFFLE -> channels(n);
      case GATHER -> gather(n);
      case LAYERNORM -> layernorm(n);
    }
  }

  private static CodeBlock act(Attrs a) {
    return CodeBlock.of("$T.$L", KERNELS, a.activation().name());
  }

  /** The epilogue's one parameter: leaky_relu's slope, or the upper bound of a clip(0, max) (Kernels.CLIP). */
  private static String slope(Attrs a) {
    if (a.activation() == Activation.CLIP) return floatLiteral(a.getDouble("max"));
    return a.has("slope") ? floatLiteral(a.getDouble("slope")) : "0f";
  }

  private void zeroBorder(MethodSpec.Builder m, Geometry out) {
    if (out.hh() == 0 && out.hw() == 0) return;
    // the border lies outside every work item, so whichever thread runs item 0 clears it
    m.beginControlFlow("if (from == 0)")
        .addStatement(wrapArgs("$T.zeroBorder(a, $L, $L, $L, $L, $L, $L)"), TABLES, out.storage(0), out.blocks(), out.h(), out.w(), out.hh(), out.hw())
        .endControlFlow();
  }

  /** Floats past the planned arena that Winograd convs use for their transformed tiles. */
  private long scratch;

  private void conv(Node n) {
    if (n.attrs().getString("algo", "").equals("winograd")) {
      winograd(n);
      return;
    }
    Attrs at = n.attrs();
    Geometry in = value(n.input(0)), out = value(n.id());
    Geometry res = n.inputs().size() > 1 ? value(n.input(1)) : null;
    int kh = at.getInts("kernel").get(0), kw = at.getInts("kernel").get(1), sh = at.getInts("stride").get(0), sw = at.getInts("stride").get(1);
    int ph = at.getInts("padding").get(0), pw = at.getInts("padding").get(1), dh = at.getInts("dilation").get(0), dw = at.getInts("dilation").get(1);
    if (in.hh() < ph || in.hw() < pw) throw new IllegalStateException(n.name() + ": input border " + in.hh() + " < padding " + ph);
    int rowGroup = PackedWeights.rowGroupWidth(n, in);
    if (rowGroup > 0) {
      rowGroups(n, in, out, res, rowGroup);
      return;
    }
    int allBlocks = in.blocked() ? in.blocks() : 1, lanes = in.blocked() ? 16 : in.channels(), laneStride = in.blocked() ? 1 : in.plane();
    int step = stridedStep(n, in);
    int outBlocks = out.blocks(), nb = PackedWeights.blocksPerGroup(n, in, outBlocks), groups = PackedWeights.weightGroups(outBlocks, nb);
    // pairs of output blocks and a last single one: the kernel call's block count depends on the group
    boolean lastSingle = PackedWeights.pairedWithLastSingle(n, in, outBlocks);
    String blocksArg = lastSingle ? "group < " + (groups - 1) + " ? 2 : 1" : String.valueOf(nb);
    // a grouped conv's weight groups read only the input blocks of their conv groups, from a per-group first block
    PackedWeights.InputBlocks reads = PackedWeights.inputBlocks(n, in, nb);
    int inBlocks = reads.blocks();
    String firstBlock = reads.restricted(in) ? table(n.name(), "first_block", INTS, intArray(reads.first())) + "[group]" : null;
    int tile = tilePixels(in.blocked() || step > 0, nb);
    // read in place (step > 0), a tile is a row's run of pixels, the last of a row maybe partial
    int perRow = (out.w() + tile - 1) / tile;
    int pixels = out.h() * out.w(), tiles = step > 0 ? out.h() * perRow : (pixels + tile - 1) / tile;
    int k = inBlocks * kh * kw * lanes, allK = allBlocks * kh * kw * lanes;
    int convGroups = at.getInt("groups");
    String shape = String.format(java.util.Locale.ROOT, "%sconv %dx%d stride %dx%d padding %dx%d%s%s, %d -> %d channels%s, %dx%d -> %dx%d",
        convGroups > 1 ? "grouped " : "", kh, kw, sh, sw, ph, pw,
        at.has("padding_end") ? " (bottom, right " + at.paddingEnd().get(0) + "x" + at.paddingEnd().get(1) + ")" : "",
        dh > 1 || dw > 1 ? " dilation " + dh + "x" + dw : "", in.channels(), out.channels(), groupsText(convGroups, in.channels(), out.channels()),
        in.h(), in.w(), out.h(), out.w());
    String what = shape + "; epilogue: " + epilogue(n);
    if (lastSingle) what += "; tiles of 2 output blocks, the last block alone";
    String outPix = table(n.name(), "out", INTS, step > 0 ? rowPixelsOf(out, tile) : pixelsOf(out, tile));
    // the input pixel under each output pixel's window, top-left, from the haloed storage (unless read in place)
    String inPixCall = String.format(java.util.Locale.ROOT, "Tables.pixels(%d, %d, %d, %d, %d, %d, %d, %d)",
        out.h(), out.w(), sh, sw, in.rowStride(), in.pixStride(), -(ph * in.rowStride() + pw * in.pixStride()), tile);
    String resPix = res == null ? "null" : table(n.name(), "res", INTS, step > 0 ? rowPixelsOf(res, tile) : pixelsOf(res, tile));
    // every (input block, lane, kernel row, kernel column) step of the window, for the kernels that read it in place
    String windowSteps = String.format(java.util.Locale.ROOT, "Tables.kOffsets(%d, %d, %d, %d, %d, %d, %d, %d)",
        inBlocks, lanes, kh, kw, in.plane(), laneStride, dh * in.rowStride(), dw * in.pixStride());
    String kernel;
    int realK = k; // the k steps the kernel runs: k, or fewer where padding lanes are left out
    List<CodeBlock> inputs = new ArrayList<>(); // the kernel's input arguments, per part of k (see kParts)
    int parts = 1;
    if (step > 0) {
      // a window conv read by row tiles: a tile is up to 14 pixels of one output row, whose windows
      // start `step` floats apart (16 at stride 1 in a blocked tensor; at stride 2, 2 in a plain
      // image and 32 in a blocked tensor), so the linear kernel reads them where they lie, with no panel
      kernel = step == Kernels.BLOCK ? "convLinear" : "convLinearStrided";
      String kOff = table(n.name(), "k", INTS, windowSteps);
      String first = in.at(-(long) ph * in.rowStride() - (long) pw * in.pixStride());
      // one output row: no tile moves a row on (a stride past the input's height times its row could pass int's range)
      long rowJump = out.h() == 1 ? 0 : (long) sh * in.rowStride();
      first += blockShift(firstBlock, in.plane());
      inputs.add(perRow == 1
          ? CodeBlock.of(wrapArgs("$L, $L + tile * $L, $L, tile * $L"), in.array(), first, rowJump, kOff, tile)
          : CodeBlock.of(wrapArgs("$L, $L + tile / $L * $L + tile % $L * $L, $L, tile * $L"), in.array(), first, perRow, rowJump, perRow,
              (long) tile * step, kOff, tile));
    } else if (!in.blocked()) {
      // a plain input (the stem's image): the gathering kernel, every k step through the offset table
      kernel = "convTile";
      String kOff = table(n.name(), "k", INTS, windowSteps);
      inputs.add(CodeBlock.of(wrapArgs("$L, $L, $L, tile * $L, $L"), in.array(), in.at(0), table(n.name(), "in", INTS, inPixCall), tile, kOff));
    } else if (readsInPlace(n, in)) {
      // a 1x1 conv over a halo-free input: consecutive output pixels read consecutive input pixels. Where
      // the last input block is partly padding (24 channels: 8 of 32 lanes), its k steps stop at the last
      // channel: the padding lanes' steps only multiplied zero weights (the weights keep their layout)
      kernel = "convLinear";
      if (firstBlock == null && in.channels() < k) realK = in.channels();
      String kOff = table(n.name(), "k", INTS, realK == k ? linearSteps(inBlocks, in.plane())
          : intArray(java.util.Arrays.copyOf(netc.runtime.kernels.Tables.kOffsets(inBlocks, 16, 1, 1, Math.toIntExact(in.plane()), 1, 0, 0), realK)));
      inputs.add(CodeBlock.of(wrapArgs("$L, $L$L + tile * $L, $L, tile * $L"), in.array(), in.at(0), blockShift(firstBlock, in.plane()), tile * 16, kOff, tile));
    } else {
      // anything else first copies each tile's windows, whole channel blocks at a time, into a panel
      kernel = "convLinear";
      long panels = plan.arenaFloats();
      scratch = Math.max(scratch, scratchFloats(graph, n));
      String kbOff = table(n.name(), "kb", INTS, String.format(java.util.Locale.ROOT, "Tables.kOffsets(%d, 1, %d, %d, %d, 1, %d, %d)",
          allBlocks, kh, kw, in.plane(), dh * in.rowStride(), dw * in.pixStride()));
      MethodSpec.Builder pack = stepMethod(n, "pack", tiles, moved((long) tiles * tile * allK),
          String.format(java.util.Locale.ROOT, "copy the %dx%d windows over %d input channels in blocks of 16 (%d values a pixel), %d tiles of %d pixels,"
              + " into panels for the linear micro-kernel", kh, kw, allBlocks * 16, allK, tiles, tile));
      pack.beginControlFlow("for (int tile = from; tile < to; tile++)")
          .addStatement(wrapArgs("K.packBlocks($L, $L, $L, tile * $L, $L, a, $L + tile * $L)"), in.array(), in.at(0), table(n.name(), "in", INTS, inPixCall),
              tile, kbOff, panels, (long) tile * allK)
          .endControlFlow();
      methods.add(pack.build());
      // a panel holds every input block's k steps; a weight group that reads fewer starts at its first block's
      parts = firstBlock == null && !lastSingle ? kParts(nb, k, tiles, tile) : 1; // a part's weights are a share of each 2-block group's
      String kOff = table(n.name(), "k", INTS, linearSteps(k / 16 / parts, tile * 16));
      for (int c = 0; c < parts; c++) {
        inputs.add(CodeBlock.of(wrapArgs("a, $L$L + tile * $L, $L, tile * $L"), panels + (long) c * (k / parts) * tile,
            blockShift(firstBlock, (long) kh * kw * tile * 16), (long) tile * allK, kOff, tile));
      }
    }
    long inputFloats = readsInPlace(n, in) ? (long) in.blocks() * 16 * pixels
        : !in.blocked() ? 0 : step > 0 ? (long) in.blocks() * in.plane() : (long) tiles * tile * allK;
    boolean tileMajor = groups > 1 && tileMajor(n, inputFloats); // with one group the two orders are one
    int wOff = weights.offset(n, "weight"), bOff = weights.offset(n, "bias"), partK = parts > 1 ? k / parts : realK;
    for (int c = 0; c < parts; c++) {
      // parts before the last sum their share of k into the output, bias and residual in the first;
      // each later part adds its share to that partial output (the residual of its epilogue), and
      // the last applies the activation
      boolean first = c == 0, last = c == parts - 1;
      // a weight group: the output channels one kernel call computes (not the conv's groups)
      String order = (tileMajor ? "tile by tile" : "weight group by group") + ", " + 16 * nb + " output channels a weight group";
      // the first part adds the bias (and residual) to its share of the sums, each later part its share to the output so far
      String partEpilogue = epilogue(n, first, last);
      MethodSpec.Builder m = parts == 1
          ? stepMethod(n, groups * tiles, (long) pixels * out.channels() * partK, what + "; " + order)
          : stepMethod(n, last ? null : "k" + c, groups * tiles, (long) pixels * out.channels() * partK,
              String.format(java.util.Locale.ROOT, "part %d of %d of k (%d of %d k steps) of %s; epilogue: %s; %s", c + 1, parts, partK, k, shape,
                  partEpilogue, order));
      countMultiplyAdds(Cost.macs(n, graph) / parts); // parts split k in equal shares
      grains.set(grains.size() - 1, tileMajor ? groups : tiles);
      markWeights(n);
      if (!tileMajor) interleaveImages(tiles, inputFloats / parts);
      if (last) zeroBorder(m, out);
      m.beginControlFlow("for (int item = from; item < to; item++)")
          .addStatement(tileMajor ? "int tile = item / $L, group = item - tile * $L" : "int group = item / $L, tile = item - group * $L",
              tileMajor ? groups : tiles, tileMajor ? groups : tiles);
      int partW = wOff + c * partK * 16 * nb;
      String touch = kernel.equals("convTile") ? "" : tileMajor ? ", 0, 0"
          : ", " + touchAhead(m, "group", lastSingle ? groups - 1 : groups, "tile", tiles, nb, partK, (long) k * 16 * nb, partW);
      Geometry partRes = first ? res : out;
      String partResPix = first ? resPix : outPix;
      m.addStatement(wrapArgs("K.$L($L$L, $L, w, $L + group * $L, $L,\n"
                  + "a, $L + group * $L, $L, $L, $L, $L, $L, $L, $L, $L$L)"),
              kernel, kernel.equals("convLinearStrided") ? step + ", " : "", blocksArg, inputs.get(c), partW, k * 16 * nb,
              first ? bOff + " + group * " + 16 * nb : String.valueOf(weights.zeros()),
              out.storage(0), (long) nb * out.plane(), outPix, out.plane(),
              partRes == null ? "null" : partRes.array(), partRes == null ? "0" : partRes.storage(0) + " + group * " + (long) nb * partRes.plane(),
              partRes == null ? "null" : partResPix, partRes == null ? 0 : partRes.plane(), last ? act(at) : CodeBlock.of("$T.NONE", KERNELS),
              slope(at), touch)
          .endControlFlow();
      methods.add(m.build());
    }
  }

  /** " in 32 groups of 8" (or "of 64 -> 8" where a group's outputs differ): a grouped conv's groups in its description; "" for none. */
  private static String groupsText(int groups, int inChannels, int outChannels) {
    if (groups <= 1) return "";
    int in = inChannels / groups, out = outChannels / groups;
    return " in " + groups + " groups of " + (in == out ? String.valueOf(in) : in + " -> " + out);
  }

  /**
   * What a conv's epilogue does after its sums, for the step's comment: "bias, residual layer1_0_downsample_0, relu"; the
   * bias only where the layer has one (a conv of bias = false, no batch norm folded into it, adds the packed zeros, which
   * are not a bias to its reader); "store" where there is nothing.
   */
  private String epilogue(Node n) {
    return epilogue(n, true, true);
  }

  /**
   * {@link #epilogue(Node)} of one part of a conv split along k: the first part adds the bias and residual, later ones
   * the sums of the parts before, the last applies the activation.
   */
  private String epilogue(Node n, boolean first, boolean last) {
    String parts = (first ? (n.param("bias") == null ? "" : "bias") + residualText(n) : "the sums of the parts before")
        + (last && n.attrs().has("act") ? ", " + n.attrs().activation().spelling() : "");
    return parts.isEmpty() ? "store" : parts.replaceFirst("^, ", "");
  }

  /** ", residual layer1_0_downsample_0": the value a conv's epilogue adds, by the layer that computes it; "" for none. */
  private String residualText(Node n) {
    return n.inputs().size() > 1 ? ", residual " + graph.node(n.input(1)).name() : "";
  }

  /** " + FIRST[group] * stride": where a weight group's first input block lies, blocks {@code stride} floats apart; "" when all read from block 0. */
  private static String blockShift(String firstBlock, long stride) {
    return firstBlock == null ? "" : " + " + firstBlock + " * " + stride;
  }

  /**
   * An int array for a table's initializer: a literal when short, else decoded from text. A literal of N
   * ints takes about 7N bytes of the class's static initializer, which may not exceed 64 KiB (a channel
   * shuffle of 4,096 channels has 2,048 runs of 6), where a string takes a few bytes whatever its length.
   */
  private String intArray(int[] values) {
    if (values.length <= MAX_LITERAL_INTS) {
      return "new int[] {" + java.util.Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(", ")) + "}";
    }
    usesDecoders = true;
    List<String> parts = textParts(java.util.Arrays.stream(values).mapToObj(Integer::toString).toList());
    return "decodeInts(new String[] {\"" + String.join("\",\n\"", parts) + "\"})"; // digits, commas and minus signs: no escaping
  }

  /** A table of rows of {@code fields} ints: a literal a row a line when short, else as {@link #intArray} writes it. */
  private String rowsArray(List<Integer> values, int fields) {
    if (values.size() > MAX_LITERAL_INTS) return intArray(values.stream().mapToInt(Integer::intValue).toArray());
    StringBuilder text = new StringBuilder();
    for (int r = 0; r < values.size(); r += fields) {
      text.append(r == 0 ? "" : ",\n")
          .append(values.subList(r, r + fields).stream().map(String::valueOf).collect(Collectors.joining(", ")));
    }
    return "new int[] {" + text + "}";
  }

  /** The most ints a table writes as a literal (see {@link #intArray}). */
  static final int MAX_LITERAL_INTS = 256;

  /** Whether a table is decoded from text, so the class declares the decoders. */
  private boolean usesDecoders;

  /**
   * A conv whose groups are {@code g} channels, fewer than a block's 16 (1: depthwise): one item per
   * output row of a channel block, each read from the haloed input in place by {@code
   * Kernels.depthwiseRow} or {@code Kernels.groupedRow} with the epilogue fused, over weights packed
   * [block][kh][kw][g][16] ({@link PackedWeights#rowGroupWidth}).
   */
  private void rowGroups(Node n, Geometry in, Geometry out, Geometry res, int g) {
    Attrs at = n.attrs();
    int kh = at.getInts("kernel").get(0), kw = at.getInts("kernel").get(1), sh = at.getInts("stride").get(0), sw = at.getInts("stride").get(1);
    int ph = at.getInts("padding").get(0), pw = at.getInts("padding").get(1), dh = at.getInts("dilation").get(0), dw = at.getInts("dilation").get(1);
    String what = String.format(java.util.Locale.ROOT, "%s conv %dx%d stride %dx%d padding %dx%d%s, %d channels%s, %dx%d -> %dx%d; epilogue: %s",
        g == 1 ? "depthwise" : "grouped", kh, kw, sh, sw, ph, pw, dh > 1 || dw > 1 ? " dilation " + dh + "x" + dw : "", out.channels(),
        g == 1 ? "" : groupsText(at.getInt("groups"), in.channels(), out.channels()), in.h(), in.w(), out.h(), out.w(), epilogue(n));
    MethodSpec.Builder m = stepMethod(n, out.blocks() * out.h(), (long) out.paddedChannels() * out.h() * out.w() * kh * kw * g, what);
    countMultiplyAdds(Cost.macs(n, graph));
    markWeights(n);
    zeroBorder(m, out);
    String kOff = table(n.name(), "k", INTS, String.format(java.util.Locale.ROOT, "Tables.kOffsets(1, 1, %d, %d, 0, 1, %d, %d)", kh, kw, dh * in.rowStride(), dw * 16));
    m.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, row = item - block * $L", out.h(), out.h())
        .addStatement(wrapArgs("K.$L($L$L, $L + block * $L + row * $L, $L, $L, w, $L + block * $L, $L + block * 16,\n"
                + "a, $L + block * $L + row * $L, $L, $L, $L, $L, $L)"),
            g == 1 ? "depthwiseRow" : "groupedRow", g == 1 ? "" : g + ", ",
            in.array(), in.at(-(long) ph * in.rowStride() - pw * 16L), in.plane(), out.h() == 1 ? 0 : (long) sh * in.rowStride(), sw * 16, kOff,
            weights.offset(n, "weight"), kh * kw * 16 * g, weights.offset(n, "bias"),
            out.at(0), out.plane(), out.rowStride(), out.w(),
            res == null ? "null" : res.array(), res == null ? "0" : res.at(0) + " + block * " + res.plane() + " + row * " + res.rowStride(),
            act(at), slope(at))
        .endControlFlow();
    methods.add(m.build());
  }

  /** The k steps of the linear kernel over a halo-free blocked tensor (or panel) of {@code blocks} planes of {@code plane} floats. */
  private static String linearSteps(int blocks, long plane) {
    return String.format(java.util.Locale.ROOT, "Tables.kOffsets(%d, 16, 1, 1, %d, 1, 0, 0)", blocks, plane);
  }

  /**
   * Into how many parts a conv that reads packed panels splits its k steps, each part a step of its
   * own: one, unless a weight group and the panels of all tiles, which a group's pass cycles through,
   * outgrow half an L2 (1 MiB) together; then enough whole channel blocks per part to fit. On
   * resnet50's layer4.0.conv2 (3x3 stride 2, 4608 k steps, 4 tiles: 590 KiB of weights per group
   * and 1 MiB of panels) a micro-benchmark of the linear kernel ran at 136 GFLOP/s whole and 166-173
   * in halves; in the network, one thread, 2.57-2.64 ms became 2.10-2.16.
   */
  static int kParts(int nb, int k, int tiles, int tile) {
    long floats = (long) k * 16 * nb + (long) tiles * tile * k;
    int parts = 1;
    while (floats / parts > K_PART_MAX_FLOATS && k % (16 * parts * 2) == 0) parts *= 2;
    return parts;
  }

  static final long K_PART_MAX_FLOATS = 256 * 1024;

  /**
   * The touch arguments of a linear-kernel call in a step run weight group by group (see
   * Kernels.convLinear): each of the group's {@code tiles} tiles touches its share of the next
   * group's weights while it computes, so they stream in during this group's arithmetic rather than
   * stall the next group's first tile (a tile needs its weights faster than one core streams them
   * from memory, ~34 GB/s against ~15 measured). resnet50, `netc profile`, alternating runs without
   * and with: one thread 57.3-58.9 -> 53.0-54.0 ms, two 32.0-33.1 -> 27.7-30.3; layer4's Winograd
   * products 2.36 -> 1.66 ms, layer3's 1.05-1.15 -> 0.88-0.92, layer4's 1x1 convs 1.0-1.08 -> 0.83-0.85
   * (one thread). Declares {@code next} in {@code m}'s loop body and returns "next, nextStep". (The
   * products on a 7x7 map, whose 16 tiles one line a step in flight served too slowly, now run in the
   * lanes layout, Layouts.winogradLanes.)
   */
  private static String touchAhead(MethodSpec.Builder m, String group, int groups, String tile, int tiles, int nb, int k, long groupFloats,
      int wOff) {
    if (nb != 2 || groups < 2) return "0, 0"; // the 1-block kernel touches nothing
    // floats per k step: the tiles' shares cover the 32 k floats of a group
    int step = Math.max(1, 32 / tiles);
    int touching = 32 / step; // tiles past these would touch beyond the next group
    String when = group + " + 1 < " + groups + (tiles > touching ? " && " + tile + " < " + touching : "");
    m.addStatement("int next = $L ? $L + ($L + 1) * $L + $L * $L : 0", when, wOff, group, groupFloats, tile, (long) k * step);
    return "next, next == 0 ? 0 : " + step;
  }

  /**
   * Whether a conv's items run tile by tile (every weight group over one tile of pixels, then the
   * next tile) rather than group by group (one group's weights over every tile). Group by group reads
   * the whole input once per group, which stays in L2 only while it is small; tile by tile reads all
   * the weights once per tile instead. So: tile by tile when the input a group pass reads outweighs
   * the weights and the weights fit in half an L2. Measured on resnet50, one thread: layer2.0.conv1
   * (3.2 MB of input) 1.60 ms group by group, 1.53 tile by tile; 3-5% on layer1-3's other
   * activation-heavy convs; the whole network within noise.
   */
  static boolean tileMajor(Node n, long inputFloats) {
    long w = n.parameterCount();
    return w < inputFloats && w <= TILE_MAJOR_MAX_WEIGHT_FLOATS;
  }

  static final long TILE_MAJOR_MAX_WEIGHT_FLOATS = 256 * 1024;

  /** Records whether the step just added, which reads {@code n}'s weights, reads more weights than activations. */
  private void markWeights(Node n) {
    long activations = n.shape().size() + graph.node(n.input(0)).shape().size(); // a residual is read once, in the epilogue
    weightHeavy.set(weightHeavy.size() - 1, n.parameterCount() >= activations);
  }

  /**
   * Floats of input that one weight group of a step reads per image, below which a bunch of images
   * runs group by group (each group's weights then serve every image from cache) rather than image
   * by image (each image's input then stays in cache across the groups): the bunch's inputs within
   * half of a 2 MiB L2. Measured on resnet50, batch 4, one thread, all such steps group by group:
   * layer4's 1x1 convs and the Winograd products ran 10-40% faster, but layer3's first 1x1 conv
   * (800 KiB of input per image) 27% slower.
   */
  static final long BUNCH_INPUT_MAX_FLOATS = 256 * 1024;

  /** For the step just added, reading {@code inputFloats} per image for each group of {@code grain} items. */
  private void interleaveImages(int grain, long inputFloats) {
    if (inputFloats > 0 && inputFloats * CompiledModel.BUNCH <= BUNCH_INPUT_MAX_FLOATS) bunchChunks.set(bunchChunks.size() - 1, grain);
  }

  /**
   * The first step of the trailing run in which every step with weights reads more weights than
   * activations: from there a bunch of images runs layer by layer (CompiledModel.bunchedFrom), so
   * each layer's weights come from memory once per bunch. Before it, activations dominate, and an
   * image runs whole so its activations stay in cache from one layer to the next.
   */
  private int bunchedFrom() {
    int from = weightHeavy.size();
    for (int i = weightHeavy.size() - 1; i >= 0; i--) {
      Boolean heavy = weightHeavy.get(i);
      if (heavy == null) continue;
      if (!heavy) break;
      from = i;
    }
    return from;
  }

  /**
   * The distance in floats between consecutive output pixels' windows when a conv's linear kernel
   * can read its input in place, else 0. No tile crosses a row: the rows are whole 14-pixel tiles, or
   * their last tiles are partial where that reads safely ({@link #partialRowsReadSafely}). A window conv with stride 1 in width over a blocked input: 16 floats, the
   * distance {@code Kernels.convLinear} reads at (ResNeXt's grouped 3x3s; the dense ones take
   * Winograd). A stride-2 conv, with {@code Kernels.convLinearStrided}: 2 floats apart in a plain
   * input such as the stem's image, 32 in a blocked one. Other convs copy their windows into panels.
   * A 1x1 stride-2 conv still copies its pixels into panels first: measured on resnet50's downsample
   * convs (one thread, warm), reading every other pixel in place was 0-6% slower than the copy plus
   * the contiguous read, where the 3x3 ones gained the copy (layer2.0.conv2 1.24 ms against 0.18 + 1.24).
   * resnext50_32x4d's stride-1 grouped 3x3s on 56, 28 and 14 pixel maps, one thread: see the commit.
   * A stride-2 conv over a blocked input to rows of at most 8 pixels (resnet's layer4.0 3x3 to 7x7)
   * copies panels too: a row tile then multiplies each weight it loads by 7 pixels, a panel tile by 14,
   * and that layer's weights (2.4 to 9.4 MB) come from L2 or memory. Profiled with one thread against
   * layer3.0's twin of the same work, in place then panels: resnet18's layer4.0.conv1 1.73-2.02 times
   * the twin's time against 1.12-1.27 (512 and 256 bits), resnet50's layer4.0.conv2 1.34-1.55 against
   * 1.11-1.39. ResNeXt's grouped stride-1 3x3s at 7x7 stay in place (panels were 0-25% slower).
   */
  static int stridedStep(Node n, Geometry in) {
    int step = n.attrs().getInts("stride").get(1) * in.pixStride();
    boolean window = !n.attrs().getInts("kernel").equals(List.of(1, 1));
    boolean rows = n.shape().width() % Kernels.LINEAR_TILE == 0 || partialRowsReadSafely(n, in, step);
    if (step == Kernels.BLOCK && window && in.blocked() && rows) return step;
    if (in.blocked() && n.shape().width() <= Kernels.SMALL_LINEAR_TILE) return 0; // short rows: panels (above)
    boolean pairs = KernelTiles.linearBlocks((n.shape().channels() + 15) / 16) == 2; // 2-block strided tiles (and 1-block ones at step 32, for PackedWeights.singleBlockGroups)
    return KernelTiles.stridedStep(step) && pairs && (window || !in.blocked()) && rows ? step : 0;
  }

  /**
   * Whether row tiles may end a row with a partial tile (a row of 111 or 7 pixels: 8 or 1 tiles), whose
   * slots past the row's last pixel repeat it in the output table and are computed but not stored: they
   * read up to {@code slots x step} floats past the last read of a real pixel. In the arena that stays
   * within {@link #SLACK_FLOATS} past the buffers (stride 1 over a blocked tensor: 13 x 16; stride 2 over
   * a plain one: 13 x 2); otherwise, and for the caller's input (an array of its own), every read must
   * land inside the tensor's own storage.
   */
  static boolean partialRowsReadSafely(Node n, Geometry in, int step) {
    Attrs a = n.attrs();
    int tile = Kernels.LINEAR_TILE, ow = n.shape().width(), oh = n.shape().height();
    int slots = (ow + tile - 1) / tile * tile - ow; // past the last pixel, in the row's last tile
    if (!in.external() && (long) slots * step <= SLACK_FLOATS) return true;
    // the last input row and column the last output pixel's window reads, in storage coordinates
    int row = (oh - 1) * a.getInts("stride").get(0) - a.getInts("padding").get(0) + (a.getInts("kernel").get(0) - 1) * a.getInts("dilation").get(0) + in.hh();
    int col = (ow - 1) * a.getInts("stride").get(1) - a.getInts("padding").get(1) + (a.getInts("kernel").get(1) - 1) * a.getInts("dilation").get(1) + in.hw();
    long last = (long) row * in.rowStride() + (long) col * in.pixStride() + (in.blocked() ? 15 : 0) + (long) slots * step;
    return last < in.plane(); // within the last channel plane (or block) of the tensor's storage
  }

  /** Whether a conv's linear kernel can read its input where it lies: a 1x1 window, stride 1, over a halo-free blocked tensor. */
  static boolean readsInPlace(Node n, Geometry in) {
    Attrs at = n.attrs();
    return in.blocked() && !in.external() && in.hh() == 0 && in.hw() == 0 && at.getInts("kernel").equals(List.of(1, 1))
        && at.getInts("stride").equals(List.of(1, 1)) && at.getInts("padding").equals(List.of(0, 0));
  }

  /** Output pixels per tile: the linear kernel's for blocked inputs, the gathering kernel's for plain ones. */
  static int tilePixels(boolean blockedInput, int blocks) {
    return blockedInput ? Kernels.LINEAR_TILE : KernelTiles.tilePixels(blocks);
  }

  /**
   * A Winograd F(m x m,3x3) conv (m = 2 or 4, the pass's "tile") as three steps: the input transform
   * into V ([(m + 2)^2][in blocks][tiles][16] in scratch past the arena), (m + 2)^2 products
   * M_q = U_q V_q into M (the same layout, output blocks), and the output transform with the conv's
   * epilogue. The products run with the linear micro-kernel ({@link #products}); or, where the tiles
   * fit one row's 16 lanes, V and M lie in the lanes layout ([(m + 2)^2][channel][16 tiles]) and
   * {@link #laneProducts} broadcasts the weights over those rows.
   */
  private void winograd(Node n) {
    Attrs at = n.attrs();
    Geometry in = value(n.input(0)), out = value(n.id());
    Geometry res = n.inputs().size() > 1 ? value(n.input(1)) : null;
    int ph = at.getInts("padding").get(0), pw = at.getInts("padding").get(1);
    int m = winogradTile(n), positions = (m + 2) * (m + 2);
    int th = (out.h() + m - 1) / m, tw = (out.w() + m - 1) / m, tiles = th * tw;
    // the tiles read (th m + 2) x (tw m + 2) from the padding's corner: past the map, only its border
    if (in.hh() < ph + th * m - out.h() || in.hw() < pw + tw * m - out.w()) {
      throw new IllegalStateException(n.name() + ": input border " + in.hh() + "x" + in.hw() + " too narrow for " + m + "x" + m + " tiles");
    }
    int inBlocks = in.blocks(), outBlocks = out.blocks(), k = inBlocks * 16;
    boolean lanes = PackedWeights.lanes(n);
    long columns = PackedWeights.winogradOutputs(n);
    long vPos = lanes ? 16L * k : (long) inBlocks * tiles * 16, mPos = lanes ? 16 * columns : (long) outBlocks * tiles * 16;
    long vOff = plan.arenaFloats(), mOff = vOff + positions * vPos;
    // a channel block's values of one position, and a row of tiles within them: [tile][16], or 16 rows of 16 lanes
    long block = lanes ? 256 : tiles * 16, row = lanes ? tw : tw * 16;
    String suffix = lanes ? "Lanes" : "";
    scratch = Math.max(scratch, scratchFloats(graph, n));
    String base = String.format(java.util.Locale.ROOT, "3x3, %d -> %d channels, %dx%d, %d tiles of %dx%d", in.channels(), out.channels(), out.h(), out.w(), tiles, m, m);
    String f = String.format(java.util.Locale.ROOT, "F(%dx%d,3x3)", m, m), last = "q = 0.." + (positions - 1);

    // the values the transforms write or read, the tiles' (in the lanes layout vPos and mPos count 16 lanes, whatever the tiles)
    long vMoved = 16L * positions * inBlocks * tiles, mMoved = 16L * positions * outBlocks * tiles;
    MethodSpec.Builder t1 = stepMethod(n, "input_transform", inBlocks * th, moved(vMoved), "Winograd " + f + " input transform (B^T d B) of conv " + base
        + (lanes ? ", into rows of 16 tiles" : ""));
    if (lanes && tiles < Kernels.LANE_TILES) {
      // the lanes past the last tile, which no item writes: zeros, so no stale value enters the products
      t1.beginControlFlow("if (from == 0)").addStatement(wrapArgs("$T.zeroLanes(a, $L, $L, $L)"), TABLES, vOff, positions * k, tiles).endControlFlow();
    }
    t1.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, row = item - block * $L", th, th)
        .addStatement(wrapArgs("K.$L($L, $L + block * $L + row * $L, $L, $L, a, $L + block * $L + row * $L, $L)"), (m == 4 ? "winograd4Input" : "winogradInput") + suffix,
            in.array(), in.at(-(long) ph * in.rowStride() - pw * 16L), in.plane(), (long) m * in.rowStride(), in.rowStride(), tw,
            vOff, block, row, vPos)
        .endControlFlow();
    methods.add(t1.build());

    String products = "Winograd " + f + " products M_q = U_q V_q, " + last + ", of conv " + base;
    if (lanes) laneProducts(n, positions, tiles, columns, vOff, vPos, mOff, mPos, products + ", rows of 16 tiles");
    else products(n, positions, tiles, vOff, vPos, mOff, mPos, products);

    MethodSpec.Builder t3 = stepMethod(n, "output_transform", outBlocks * th, moved(mMoved),
        "Winograd " + f + " output transform (A^T m A) of conv " + base + (lanes ? ", from rows of 16 tiles" : "") + "; epilogue: " + epilogue(n));
    zeroBorder(t3, out);
    t3.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, row = item - block * $L", th, th)
        .addStatement(wrapArgs("K.$L(a, $L + block * $L + row * $L, $L, $L, w, $L + block * 16,\n"
                + "a, $L + block * $L + row * $L, $L, Math.min($L, $L - $L * row), $L, $L, $L, $L, $L, $L)"), (m == 4 ? "winograd4Output" : "winogradOutput") + suffix,
            mOff, block, row, mPos, tw, weights.offset(n, "bias"),
            out.at(0), out.plane(), (long) m * out.rowStride(), out.rowStride(), m, out.h(), m, out.w(),
            res == null ? "null" : res.array(), res == null ? "0" : res.at(0) + " + block * " + res.plane() + " + row * " + (long) m * res.rowStride(),
            res == null ? 0 : res.rowStride(), act(at), slope(at))
        .endControlFlow();
    methods.add(t3.build());
  }

  /**
   * The products of {@link #winograd} with the linear micro-kernel, each a 1x1 conv over the tiles:
   * V_q is [input block][tile][16], a halo-free blocked tensor of tiles, read in place.
   */
  private void products(Node n, int positions, int tiles, long vOff, long vPos, long mOff, long mPos, String what) {
    Geometry in = value(n.input(0)), out = value(n.id());
    int outBlocks = out.blocks(), nb = PackedWeights.blocksPerGroup(true, outBlocks), groups = outBlocks / nb, k = in.blocks() * 16;
    // 14-pixel tiles: more than 16 tiles (fewer run in the lanes layout), where 8-pixel ones paid only on 7x7 maps' 16
    int tile = Kernels.LINEAR_TILE, chunks = (tiles + tile - 1) / tile;
    String kOff = table(n.name(), "winograd_k", INTS, linearSteps(in.blocks(), tiles * 16));
    String pix = table(n.name(), "winograd_tiles", INTS, String.format(java.util.Locale.ROOT, "Tables.pixels(1, %d, 1, 1, 0, 16, 0, %d)", tiles, tile));
    MethodSpec.Builder t2 = stepMethod(n, "multiply", positions * groups * chunks, (long) positions * tiles * out.paddedChannels() * k, what);
    countMultiplyAdds((long) positions * tiles * out.channels() * in.channels());
    grains.set(grains.size() - 1, chunks);
    markWeights(n);
    interleaveImages(chunks, vPos);
    t2.beginControlFlow("for (int item = from; item < to; item++)");
    // the weights are [q][group][k][16 nb]: each (q, group) is a group of the items' order; with one group (every output
    // block in it) an item is a position and a chunk of tiles, and no group arithmetic is written
    if (groups == 1) {
      t2.addStatement("int q = item / $L, chunk = item - q * $L", chunks, chunks);
    } else {
      t2.addStatement("int q = item / $L, rest = item - q * $L, group = rest / $L, chunk = rest - group * $L",
          groups * chunks, groups * chunks, chunks, chunks);
    }
    String block = groups == 1 ? "q" : "(q * " + groups + " + group)", outGroup = groups == 1 ? "" : " + group * " + (long) nb * tiles * 16;
    String touchProducts = touchAhead(t2, block, positions * groups, "chunk", chunks, nb, k, (long) k * 16 * nb, weights.offset(n, "weight"));
    t2.addStatement(wrapArgs("K.convLinear($L, a, $L + q * $L + chunk * $L, $L, chunk * $L, w, $L + " + block + " * $L, $L,\n"
                + "a, $L + q * $L" + outGroup + ", $L, $L, null, 0, null, 0, $T.NONE, 0f, $L)"),
            nb, vOff, vPos, tile * 16, kOff, tile, weights.offset(n, "weight"), k * 16 * nb, weights.zeros(),
            mOff, mPos, pix, tiles * 16, KERNELS, touchProducts)
        .endControlFlow();
    methods.add(t2.build());
  }

  /**
   * The products of {@link #winograd} in the lanes layout ({@link Kernels#winogradProductLanes}):
   * an item is one position q and {@link #LANE_CHUNK} of its output channels, so the items are
   * many (resnet18's layer4: 16 positions x 6) though the tiles are few.
   */
  private void laneProducts(Node n, int positions, int tiles, long columns, long vOff, long vPos, long mOff, long mPos, String what) {
    Geometry in = value(n.input(0)), out = value(n.id());
    int k = in.blocks() * 16, chunks = Math.toIntExact((columns + LANE_CHUNK - 1) / LANE_CHUNK);
    MethodSpec.Builder t2 = stepMethod(n, "multiply", positions * chunks, (long) positions * 16 * columns * k, what);
    countMultiplyAdds((long) positions * tiles * out.channels() * in.channels());
    grains.set(grains.size() - 1, chunks); // a position's items read the same rows of V
    markWeights(n);
    interleaveImages(chunks, vPos);
    t2.beginControlFlow("for (int item = from; item < to; item++)");
    if (chunks == 1) {
      t2.addStatement(wrapArgs("K.winogradProductLanes(a, $L + item * $L, $L, w, $L + item * $L, 0, $L, a, $L + item * $L)"), vOff, vPos, k,
          weights.offset(n, "weight"), columns * k, columns, mOff, mPos);
    } else {
      t2.addStatement("int q = item / $L, n0 = (item - q * $L) * $L", chunks, chunks, LANE_CHUNK)
          .addStatement(wrapArgs("K.winogradProductLanes(a, $L + q * $L, $L, w, $L + q * $L, n0, Math.min(n0 + $L, $L), a, $L + q * $L)"), vOff, vPos, k,
              weights.offset(n, "weight"), columns * k, LANE_CHUNK, columns, mOff, mPos);
    }
    t2.endControlFlow();
    methods.add(t2.build());
  }

  /** Output channels an item of lane products computes ({@link #laneProducts}): 8 panels, a multiple of {@link Kernels#LANE_CHANNELS}. */
  static final int LANE_CHUNK = 96;

  /**
   * Floats past the arena a conv works in: the panels of its tiles when it packs and, for Winograd,
   * the transformed tiles V ((m + 2)^2 x input blocks x tiles x 16) and products M (the same for
   * outputs), or in the lanes layout 16 lanes a channel and position (Layouts.winogradScratch).
   * conv() and winograd() lay these out in the same order; a change to one is a change to both.
   */
  static long scratchFloats(Graph g, Node n) {
    Geometry in = Geometry.of(g.node(n.input(0)), 0, false), out = Geometry.of(n, 0, false);
    if (n.attrs().getString("algo", "").equals("winograd")) {
      return Layouts.winogradScratch(in.channels(), out.channels(), out.h(), out.w(), winogradTile(n)); // both blocked
    }
    if (!in.blocked() || readsInPlace(n, in) || stridedStep(n, in) > 0 || PackedWeights.rowGroupWidth(n, in) > 0) return 0;
    List<Integer> kernel = n.attrs().getInts("kernel");
    long pixels = (long) out.h() * out.w(), tile = Kernels.LINEAR_TILE, padded = (pixels + tile - 1) / tile * tile;
    return padded * in.blocks() * 16 * kernel.get(0) * kernel.get(1);
  }

  /** The output tile of a Winograd conv: F(2x2,3x3) or F(4x4,3x3), as the winograd pass chose. */
  static int winogradTile(Node n) {
    return n.attrs().getInt("tile");
  }

  /** Scratch past the planned arena: what the most demanding conv needs (panels, Winograd tiles). */
  public static long scratchFloats(Graph g) {
    long most = 0;
    for (Node n : g.nodes()) if (n.op() == Op.CONV) most = Math.max(most, scratchFloats(g, n));
    return most;
  }

  private static String pixelsOf(Geometry g, int tile) {
    return String.format(java.util.Locale.ROOT, "Tables.pixels(%d, %d, 1, 1, %d, 16, %d, %d)", g.h(), g.w(), g.rowStride(), g.interior(), tile);
  }

  /** {@link #pixelsOf} with each row a whole number of tiles, its last pixel repeated to fill the last. */
  private static String rowPixelsOf(Geometry g, int tile) {
    return String.format(java.util.Locale.ROOT, "Tables.rowPixels(%d, %d, %d, 16, %d, %d)", g.h(), g.w(), g.rowStride(), g.interior(), tile);
  }

  private void pool(Node n) {
    Attrs at = n.attrs();
    Geometry in = value(n.input(0)), out = value(n.id());
    boolean max = n.op() == Op.MAXPOOL;
    int kh = at.getInts("kernel").get(0), kw = at.getInts("kernel").get(1), sh = at.getInts("stride").get(0), sw = at.getInts("stride").get(1);
    int ph = at.getInts("padding").get(0), pw = at.getInts("padding").get(1);
    MethodSpec.Builder m = stepMethod(n, out.blocks() * out.h(), (long) out.paddedChannels() * out.h() * out.w() * kh * kw,
        String.format(java.util.Locale.ROOT, "%s pool %dx%d stride %dx%d padding %dx%d%s%s%s, %dx%d -> %dx%d", max ? "max" : "average", kh, kw, sh, sw, ph, pw,
            at.has("padding_end") ? " (bottom, right " + at.paddingEnd().get(0) + "x" + at.paddingEnd().get(1) + ")" : "",
            at.has("ceil_mode") ? ", ceil mode" : "", at.has("count_include_pad") ? ", padding not counted" : "",
            in.h(), in.w(), out.h(), out.w()));
    zeroBorder(m, out);
    m.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, oy = item - block * $L", out.h(), out.h());
    boolean countPad = !at.has("count_include_pad") || at.getBool("count_include_pad");
    int limH = in.h() + at.paddingEnd().get(0), limW = in.w() + at.paddingEnd().get(1);
    // max ignores padding; an average divides each window by torch's divisor (Kernels.avgPoolRow)
    if (max) {
      m.addStatement(wrapArgs("K.maxPoolRow($L, $L + block * $L, $L, $L, $L, a, $L + block * $L + oy * $L, $L, oy, $L, $L, $L, $L, $L, $L)"),
          in.array(), in.at(0), in.plane(), in.rowStride(), in.h(), in.w(), out.at(0), out.plane(), out.rowStride(), out.w(),
          kh, kw, sh, sw, ph, pw);
    } else {
      m.addStatement(wrapArgs("K.avgPoolRow($L, $L + block * $L, $L, $L, $L, a, $L + block * $L + oy * $L, $L, oy, $L, $L, $L, $L, $L, $L, $L, $L, $L)"),
          in.array(), in.at(0), in.plane(), in.rowStride(), in.h(), in.w(), out.at(0), out.plane(), out.rowStride(), out.w(),
          kh, kw, sh, sw, ph, pw, limH, limW, countPad);
    }
    m.endControlFlow();
    methods.add(m.build());
  }

  /** Zero padding, row by row of each block: a padded row is zeros, an input row goes between zero margins. */
  private void pad(Node n) {
    Geometry in = value(n.input(0)), out = value(n.id());
    if (!in.blocked() || !out.blocked()) throw new IllegalStateException(n.name() + ": pad runs on blocked values");
    int top = n.attrs().getInts("padding").get(0), left = n.attrs().getInts("padding").get(1);
    int right = n.attrs().paddingEnd().get(1);
    MethodSpec.Builder m = stepMethod(n, out.blocks() * out.h(), moved((long) out.paddedChannels() * out.h() * out.w()),
        String.format(java.util.Locale.ROOT, "pad %s with zeros, %dx%d -> %dx%d", padText(n.attrs()), in.h(), in.w(), out.h(), out.w()));
    zeroBorder(m, out);
    m.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, oy = item - block * $L, iy = oy - $L", out.h(), out.h(), top)
        .addStatement("int o = $L + block * $L + oy * $L", out.at(0), out.plane(), out.rowStride())
        .beginControlFlow("if (iy < 0 || iy >= $L)", in.h())
        .addStatement(wrapArgs("$T.fill(a, o, o + $L, 0f)"), ARRAYS, out.w() * 16)
        .nextControlFlow("else")
        .addStatement(wrapArgs("$T.fill(a, o, o + $L, 0f)"), ARRAYS, left * 16)
        .addStatement(wrapArgs("System.arraycopy($L, $L + block * $L + iy * $L, a, o + $L, $L)"), in.array(), in.at(0), in.plane(), in.rowStride(),
            left * 16, in.w() * 16)
        .addStatement(wrapArgs("$T.fill(a, o + $L, o + $L, 0f)"), ARRAYS, (left + in.w()) * 16, (left + in.w() + right) * 16)
        .endControlFlow()
        .endControlFlow();
    methods.add(m.build());
  }

  /** A layer norm over channels, a row of pixels an item (Kernels.layerNormRow). */
  private void layernorm(Node n) {
    Geometry in = value(n.input(0)), out = value(n.id());
    if (!in.blocked() || !out.blocked()) throw new IllegalStateException(n.name() + ": layernorm runs on blocked values");
    MethodSpec.Builder m = stepMethod(n, out.h(), moved(2L * out.paddedChannels() * out.h() * out.w()),
        String.format(java.util.Locale.ROOT, "layer norm of each pixel over its %d channels, eps %s, %s", out.channels(), n.attrs().getDouble("eps"), n.shape()));
    zeroBorder(m, out);
    m.beginControlFlow("for (int row = from; row < to; row++)")
        .addStatement(wrapArgs("K.layerNormRow($L, $L + row * $L, $L, $L, $L, w, $L, $L, $L,\na, $L + row * $L, $L)"), in.array(), in.at(0), in.rowStride(),
            in.plane(), out.channels(), out.w(), weights.offset(n, "weight"), weights.offset(n, "bias"), floatLiteral(n.attrs().getDouble("eps")),
            out.at(0), out.rowStride(), out.plane())
        .endControlFlow();
    methods.add(m.build());
  }

  /**
   * channels(start, end) and channel_shuffle(groups): a gather from their one input, as
   * compose-gathers writes them when it runs (at -O0, or with the pass disabled, they come here).
   */
  private void channels(Node n) {
    int[] gather = ShapeInference.channelGather(n.op(), n.attrs());
    String what = n.op() == Op.CHANNELS
        ? String.format(java.util.Locale.ROOT, "channels %d..%d of %s", gather[0], gather[0] + n.shape().channels() - 1, graph.node(n.input(0)).shape())
        : String.format(java.util.Locale.ROOT, "channel shuffle of %s in %d groups: channel j of group i to j * %d + i", n.shape(), gather[1], gather[1]);
    gatherStep(n, ChannelRuns.ofMove(n.op(), n.attrs(), n.shape().channels()), what);
  }

  /** A gather of compose-gathers: each output channel copied from where it was computed. */
  private void gather(Node n) {
    List<Integer> runs = n.attrs().getInts("runs");
    int[] count = new int[n.inputs().size()];
    for (int r = 0; r < runs.size(); r += ChannelRuns.FIELDS) count[runs.get(r)] += runs.get(r + 5);
    StringBuilder from = new StringBuilder();
    for (int s = 0; s < n.inputs().size(); s++) {
      if (s == 4 && n.inputs().size() > 5) {
        from.append(", and ").append(n.inputs().size() - 4).append(" more maps");
        break;
      }
      from.append(s == 0 ? "" : ", ").append(count[s]).append(" from ").append(graph.node(n.input(s)).name());
    }
    gatherStep(n, runs, String.format(java.util.Locale.ROOT, "gather of %d channels (%s), composed from the channel moves %s", n.shape().channels(), from,
        n.origins().stream().map(Origin::layer).collect(Collectors.joining(", "))));
  }

  /**
   * The step of a channel gather: a lane table of each output channel's source offsets, built when the
   * class loads from the runs (per source, output and source channels each at a fixed step: a
   * shuffle's half is one run), then Reorder.gather block row by block row.
   */
  private void gatherStep(Node n, List<Integer> runs, String what) {
    Geometry out = value(n.id());
    if (!out.blocked()) throw new IllegalStateException(n.name() + ": " + n.op().spelling() + " runs on blocked values");
    List<Integer> places = new ArrayList<>();
    for (int s = 0; s < n.inputs().size(); s++) {
      Geometry in = value(n.input(s));
      if (!in.blocked() || in.external()) throw new IllegalStateException(n.name() + ": " + n.op().spelling() + " inputs are blocked arena values");
      places.addAll(List.of(Math.toIntExact(in.offset() + in.interior()), in.plane(), in.rowStride()));
    }
    // both bounded as every table is: a concat of thousands of branches gathers from thousands of sources
    String lanes = table(n.name(), "lanes", INTS, String.format(java.util.Locale.ROOT,
        "Tables.gatherLanes(%d,\n// runs: source, its first channel, step, first output channel, step, count\n%s,\n"
            + "// sources: offset of channel 0, floats between channel blocks, row stride\n%s)",
        out.channels(), rowsArray(runs, ChannelRuns.FIELDS), rowsArray(places, 3)));
    MethodSpec.Builder m = stepMethod(n, out.blocks() * out.h(), moved((long) out.channels() * out.h() * out.w()), what);
    zeroBorder(m, out);
    m.addStatement(wrapArgs("$T.gather($L, $L, $L, $L, a, a, $L, $L, $L, $L, from, to)"), REORDER, out.channels(), out.h(), out.w(), lanes,
        out.at(0), out.plane(), out.rowStride(), out.paddedChannels());
    methods.add(m.build());
  }

  private static String padText(Attrs a) {
    List<Integer> p = a.getInts("padding"), e = a.paddingEnd();
    return "[" + p.get(0) + ", " + p.get(1) + ", " + e.get(0) + ", " + e.get(1) + "]";
  }

  private void globalAvgPool(Node n) {
    Geometry in = value(n.input(0)), out = value(n.id());
    MethodSpec.Builder m = stepMethod(n, in.blocks(), moved((long) in.paddedChannels() * in.h() * in.w()),
        String.format(java.util.Locale.ROOT, "global average pool, %dx%d -> 1x1", in.h(), in.w()));
    zeroBorder(m, out);
    m.beginControlFlow("for (int block = from; block < to; block++)")
        .addStatement(wrapArgs("K.meanBlock($L, $L + block * $L, $L, $L, $L, a, $L + block * $L)"),
            in.array(), in.at(0), in.plane(), in.rowStride(), in.h(), in.w(), out.at(0), out.plane())
        .endControlFlow();
    methods.add(m.build());
  }

  private void fc(Node n) {
    Geometry in = value(n.input(0)), out = value(n.id());
    int inP = in.paddedChannels() * in.h() * in.w(), outs = out.paddedChannels();
    int bias = n.param("bias") == null ? -1 : weights.offset(n, "bias");
    MethodSpec.Builder m = stepMethod(n, outs, (long) outs * inP,
        String.format(java.util.Locale.ROOT, "fully connected, %d -> %d%s", in.channels() * in.h() * in.w(), out.channels(),
            n.attrs().has("act") ? ", then " + n.attrs().activation().spelling() : ""));
    countMultiplyAdds(Cost.macs(n, graph));
    markWeights(n);
    m.addStatement(wrapArgs("K.fc($L, $L, $L, w, $L, $L, a, $L, $L, $L, from, to)"),
        in.array(), in.at(0), inP, weights.offset(n, "weight"), bias, out.at(0), act(n.attrs()), slope(n.attrs()));
    methods.add(m.build());
  }

  /** Batch norm, activations, add and gate: row by row over the interior, so borders stay zero. */
  private void elementwise(Node n) {
    Geometry x = value(n.input(0)), out = value(n.id());
    Geometry y = n.op() == Op.ADD || n.op() == Op.GATE ? value(n.input(1)) : null;
    if (!x.blocked()) throw new IllegalStateException(n.name() + ": elementwise ops run on blocked values");
    MethodSpec.Builder m = stepMethod(n, out.blocks() * out.h(), moved((long) out.paddedChannels() * out.h() * out.w()),
        n.op().spelling() + (n.op() == Op.ADD ? (n.attrs().has("sum") ? " (sum)" : " (residual)") : "") + (n.attrs().has("act") ? ", then " + n.attrs().activation().spelling() : "")
            + ", " + n.shape());
    zeroBorder(m, out);
    m.beginControlFlow("for (int item = from; item < to; item++)")
        .addStatement("int block = item / $L, row = item - block * $L", out.h(), out.h());
    String xRow = String.format(java.util.Locale.ROOT, "%s + block * %d + row * %d", x.at(0), x.plane(), x.rowStride());
    String oRow = String.format(java.util.Locale.ROOT, "%s + block * %d + row * %d", out.at(0), out.plane(), out.rowStride());
    switch (n.op()) {
      case ADD -> m.addStatement(wrapArgs("K.add($L, $L, $L, $L + block * $L + row * $L,\na, $L, $L, $L, $L)"),
          x.array(), xRow, y.array(), y.at(0), y.plane(), y.rowStride(), oRow, out.w() * 16, act(n.attrs()), slope(n.attrs()));
      case GATE -> m.addStatement(wrapArgs("K.scaleRow($L, $L, $L, $L + block * $L, a, $L, $L)"),
          x.array(), xRow, y.array(), y.at(0), y.plane(), oRow, out.w());
      case BATCHNORM -> m.addStatement(wrapArgs("K.affineRow($L, $L, w, $L + block * 16, $L + block * 16,\na, $L, $L, $L, $L)"),
          x.array(), xRow, weights.offset(n, "scale"), weights.offset(n, "shift"), oRow, out.w(), act(n.attrs()), slope(n.attrs()));
      case CLIP -> m.addStatement(wrapArgs("K.clamp($L, $L, $L, $L, $L, a, $L)"), x.array(), xRow, out.w() * 16,
          floatLiteral(Activation.clipMin(n.attrs())), floatLiteral(Activation.clipMax(n.attrs())), oRow);
      default -> {
        Attrs at = n.attrs().with("act", Activation.of(n.op()).spelling());
        m.addStatement(wrapArgs("K.activate($L, $L, $L, $L, $L, a, $L)"), x.array(), xRow, out.w() * 16, act(at), slope(at), oRow);
      }
    }
    m.endControlFlow();
    methods.add(m.build());
  }

  private void softmax(Node n) {
    Geometry x = value(n.input(0)), out = value(n.id());
    if (n.shape().rank() == 1) {
      MethodSpec.Builder m = stepMethod(n, 1, n.shape().size(), "softmax over " + n.shape().dim(0) + " values");
      m.addStatement(wrapArgs("$T.run($L, $L, a, $L, $L, 1)"), SOFTMAX, x.array(), x.at(0), out.at(0), n.shape().dim(0));
      zeroFlatTail(m, n, out, false);
      methods.add(m.build());
      return;
    }
    MethodSpec.Builder m = stepMethod(n, n.shape().height() * n.shape().width(), n.shape().size(), "softmax over channels, " + n.shape());
    zeroFlatTail(m, n, out, true);
    // each side at its own plane: the input may carry a border a padded conv reads it with, the output not
    m.beginControlFlow("for (int p = from; p < to; p++)")
        .addStatement("int row = p / $L, col = p - row * $L", x.w(), x.w())
        .addStatement(wrapArgs("$T.run($L, $L + row * $L + col, $L, a, $L + row * $L + col, $L, $L)"), SOFTMAX,
            x.array(), x.at(0), x.rowStride(), x.plane(), out.at(0), out.rowStride(), out.plane(), x.channels())
        .endControlFlow();
    methods.add(m.build());
  }

  /**
   * A concat: the inputs the memory plan made slices of its buffer were written there by their
   * producers, so only the others are copied, one step each into their channels. When every input
   * is a slice the concat has no step at all.
   */
  private void concat(Node n) {
    Geometry out = value(n.id());
    int channel = 0;
    boolean first = true;
    for (int i = 0; i < n.inputs().size(); i++) {
      Geometry in = value(n.input(i));
      if (!in.blocked() || in.external()) throw new IllegalStateException(n.name() + ": concat inputs are blocked arena values");
      int c = in.channels();
      if (!plan.isSliceOf(n.input(i), n.id())) {
        MethodSpec.Builder m = stepMethod(n, "copy" + (i + 1), c * in.h(), moved((long) c * in.h() * in.w()), String.format(java.util.Locale.ROOT,
            "copy of branch %d (%d channels) into channels %d..%d of concat %s: it could not be written in place", i + 1, c, channel,
            channel + c - 1, n.shape()));
        if (first) zeroBorder(m, out);
        m.addStatement(wrapArgs("$T.intoChannels($L, $L, $L, $L, $L, $L, $L,\na, $L, $L, $L, $L, $L, from, to)"), REORDER, c, in.h(), in.w(),
            in.array(), in.at(0), in.plane(), in.rowStride(), out.at(0), out.plane(), out.rowStride(), channel, out.paddedChannels());
        methods.add(m.build());
        first = false;
      }
      channel += c;
    }
  }

  private void reorder(Node n) {
    Geometry src = value(n.input(0)), dst = value(n.id());
    Attrs at = n.attrs();
    String pad = "null", mean = "null", std = "null";
    String owner = n.name();
    if (at.getDoubles("pad_value") != null) pad = table(owner, "pad", FLOATS, floats(at.getDoubles("pad_value")));
    if (at.has("normalize")) {
      mean = table(owner, "mean", FLOATS, floats(at.getDoubles("mean")));
      std = table(owner, "std", FLOATS, floats(at.getDoubles("std")));
    }
    MethodSpec.Builder m = stepMethod(n, src.channels() * src.h(), moved(n.shape().size()), // an item is a row
        String.format(java.util.Locale.ROOT, "copy %s from %s to %s%s%s", n.shape(), src.blocked() ? "nchw16c" : "nchw", dst.blocked() ? "nchw16c" : "nchw",
            dst.hh() + dst.hw() > 0 ? " with a " + dst.hh() + "x" + dst.hw() + " border" : "", at.has("normalize") ? ", normalizing" : ""));
    if (!dst.blocked()) zeroFlatTail(m, n, dst, true);
    m.addStatement("$T.copy($L, $L, $L,\n$L, $L, $L, $L, $L, $L,\na, $L, $L, $L, $L, $L, $L, $L,\n$L, $L, $L, from, to)", REORDER, // four short lines, one for each role
        src.channels(), src.h(), src.w(),
        src.array(), src.at(0), src.blocked(), src.plane(), src.rowStride(), src.pixStride(),
        dst.at(0), dst.blocked(), dst.plane(), dst.rowStride(), dst.pixStride(), dst.hh(), dst.hw(), pad, mean, std);
    methods.add(m.build());
  }

  /**
   * Zeroes the floats a plain value's step leaves unwritten at the end of its storage when the value is
   * flat or a flatten reads it: a flat value's storage is whole blocks of 16 ({@link Geometry}), and
   * its readers (fc, flat batch norms, activations and adds) read every lane of them, an fc
   * multiplying those past the last value by zero weights. What the arena held there (another
   * value's, or a NaN or an infinity of the last call's or the last image's) times zero would be NaN
   * in every output. Fewer than 16 floats, once a step: {@code manyItems} guards the fill with item 0.
   */
  private void zeroFlatTail(MethodSpec.Builder m, Node n, Geometry out, boolean manyItems) {
    long written = n.shape().size(), padded = (written + 15) / 16 * 16;
    boolean flat = n.shape().rank() == 1 || flattened.contains(n.id()) && out.hh() == 0 && out.hw() == 0;
    if (!flat || padded == written) return;
    CodeBlock fill = CodeBlock.of(wrapArgs("$T.fill(a, $L, $L, 0f)"), ARRAYS, out.at(written), out.at(padded));
    if (manyItems) {
      m.beginControlFlow("if (from == 0)").addStatement(fill).endControlFlow(); // no item's rows reach past the last value
    } else {
      m.addStatement(fill);
    }
  }

  /**
   * A float array for a table's initializer (an input's per-channel mean, std, padding value): a literal when short,
   * else its values' bits decoded from text, as {@link #intArray} writes long int tables (a literal of 9,000 floats
   * took about 70 KB of the static initializer, past its 64 KB, and javac's "code too large" was a netc bug's message).
   */
  private String floats(List<Double> values) {
    if (values.size() <= MAX_LITERAL_INTS) {
      return "new float[] {" + values.stream().map(ModelGenerator::floatLiteral).collect(Collectors.joining(", ")) + "}";
    }
    usesDecoders = true;
    List<String> parts = textParts(values.stream().map(v -> Integer.toString(Float.floatToRawIntBits((float) (double) v))).toList());
    return "decodeFloats(new String[] {\"" + String.join("\",\n\"", parts) + "\"})";
  }

  /**
   * A float literal of {@code v}: NaN and the infinities (also a finite double past float's range,
   * such as a slope of 1e300) have no literal form, and "NaNf" does not compile. The front end
   * refuses them in a spec; a graph built otherwise still compiles to what the interpreter computes.
   */
  static String floatLiteral(double v) {
    float f = (float) v;
    if (Float.isNaN(f)) return "Float.NaN";
    if (Float.isInfinite(f)) return f > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
    return f + "f";
  }

}
