package netc.ir;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import netc.ast.Ast.*;
import netc.ast.NetcException;
import netc.ast.OverrideException;
import netc.ast.Span;
import netc.ast.SpecLimit;
import netc.ast.SpecLoader.Program;

/**
 * Elaborates a program into an IR graph: evaluates parameters (with command-line overrides), expands
 * block calls, loops and residuals, names every layer hierarchically as torchvision does
 * ({@code layer2.0.downsample.0}), and infers shapes as it goes, so every error carries the place in
 * the spec that caused it. Everything a spec can make it do is bounded ({@link SpecLimit}): layers,
 * loop counts, total work, nesting through block calls, and the size of every tensor, so a runaway
 * spec gets a located message rather than a hang, an overflowed stack or an exhausted heap.
 */
public final class GraphBuilder {
  /**
   * Block nesting deeper than this is runaway recursion that {@link #recursesForever} cannot prove:
   * through block-valued parameters, or with arguments that change at every call.
   */
  static final int MAX_DEPTH = 100;

  /**
   * Bodies inside bodies, counted through block calls (a ResNet nests 5). The nesting within one
   * file is limited already ({@link SpecLimit#NESTING}), but blocks calling blocks multiply it; each
   * level costs about 1 KiB of stack once compiled (256 levels overflowed 256 KiB), so 128 leaves a
   * 512 KiB stack more than half free for the expressions evaluated at the bottom.
   */
  static final int MAX_BODY_NESTING = 128;

  /**
   * The most elements of any tensor: the largest float[] every JVM allocates (a few below
   * Integer.MAX_VALUE, as java.util's own SOFT_MAX_ARRAY_LENGTH). A compiled model also packs all
   * its weights into one array, so the sum of the weights is held to it too.
   */
  static final long MAX_ARRAY = netc.runtime.LargeArrays.MAX_ARRAY;

  /**
   * The longest hierarchical layer name. torchvision's are under 40 characters; a quoted name may be
   * any text, and one of megabytes repeated as the scope of every layer inside it would fill the heap.
   */
  static final int MAX_NAME_LENGTH = 1_000;

  /**
   * The signature of a builtin layer, written as formals with default expressions like a block's; the first
   * {@code positional} may be given by position, the rest by name only.
   */
  private record Builtin(Op op, List<Formal> formals, int positional) {}

  private static final Map<String, Builtin> BUILTINS = new HashMap<>();

  static {
    builtin(Op.CONV, "out", "kernel", "stride=1", "padding=0", "groups=1", "dilation=1", "bias=true");
    // eps by name only: batchnorm(64), as PyTorch's BatchNorm2d(64) is written, was eps = 64 (the channels come from the input)
    builtin(Op.BATCHNORM, "*eps=1e-5");
    builtin(Op.LAYERNORM, "*eps=1e-5");
    builtin(Op.RELU);
    builtin(Op.SIGMOID);
    builtin(Op.TANH);
    builtin(Op.LEAKY_RELU, "slope=0.01");
    builtin(Op.CLIP, "min=none", "max=none");
    builtin(Op.SILU);
    builtin(Op.HARDSIGMOID);
    builtin(Op.HARDSWISH);
    builtin(Op.GELU);
    builtin(Op.MAXPOOL, "kernel", "stride=kernel", "padding=0", "ceil_mode=false");
    builtin(Op.AVGPOOL, "kernel", "stride=kernel", "padding=0", "ceil_mode=false", "count_include_pad=true");
    builtin(Op.PAD, "padding");
    builtin(Op.CHANNELS, "start", "end");
    builtin(Op.CHANNEL_SHUFFLE, "groups");
    builtin(Op.GLOBAL_AVGPOOL);
    builtin(Op.FLATTEN);
    builtin(Op.FC, "out", "bias=true");
    builtin(Op.SOFTMAX);
  }

  /** A builtin's formals, "name" or "name=default"; those from the first written "*name" on are given by name only. */
  private static void builtin(Op op, String... formals) {
    List<Formal> list = new ArrayList<>();
    int positional = formals.length;
    for (String f : formals) {
      if (f.startsWith("*")) {
        positional = Math.min(positional, list.size());
        f = f.substring(1);
      }
      int eq = f.indexOf('=');
      if (eq < 0) {
        list.add(new Formal(f, null, null));
      } else {
        String v = f.substring(eq + 1);
        // "none": an optional argument (a clip bound), bound to the empty list when left out
        Expr def = v.equals("true") || v.equals("false") ? new BoolLit(v.equals("true"), null)
            : v.equals("none") ? new ListLit(List.of(), null)
            : v.matches("\\d+") ? new IntLit(Long.parseLong(v), null)
            : v.matches("[0-9.eE+-]+") ? new FloatLit(Double.parseDouble(v), null)
            : new Ref(v, null);
        list.add(new Formal(f.substring(0, eq), def, null));
      }
    }
    BUILTINS.put(op.spelling(), new Builtin(op, List.copyOf(list), positional));
  }

  public static boolean isBuiltin(String name) {
    return BUILTINS.containsKey(name);
  }

  /**
   * Variables visible at a point: a block's formals or a loop variable over the globals. {@code sources} gives, for
   * a block's formals, the params each one's argument read: a read of the formal is a read of those (null: none
   * kept), so a param passed to a formal the block never reads is not read.
   */
  private record Env(Map<String, Object> vars, Env parent, Map<String, Reads> sources) {
    Env(Map<String, Object> vars, Env parent) {
      this(vars, parent, null);
    }
  }

  private final Program program;
  private final List<Node> nodes = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  /**
   * For each open scope, innermost on top, the names of the scopes opened in it (named block
   * calls, concat branches and shortcuts), so that a name used twice in one scope is refused. A scope's
   * names are dropped when it closes, as it never opens again (that would be its own name used twice):
   * keeping every scope by its full name, up to 1,000 characters, for the whole build filled any heap
   * with a loop of named calls of blocks nested ten deep, though none of them added a layer.
   */
  private final Deque<Set<String>> openScopes = new ArrayDeque<>(List.of(new HashSet<>()));
  /** The layers named in the spec (a: conv(...)), which a scope of the same name may not share; not the names given to unnamed ones. */
  private final Set<String> explicitLayers = new HashSet<>();
  /** For each scope and base name, the suffix to try next, so naming n unnamed layers is linear. */
  private final Map<String, Integer> nextSuffix = new HashMap<>();
  /**
   * While a default is evaluated, its block's formal names and those bound so far ({@link #bind}): a default that
   * reads one not bound yet is refused. Null otherwise.
   */
  private Set<String> defaultFormals;
  private Map<String, Object> defaultBound;
  /** A block call being expanded: the block and the values its formals are bound to. */
  private record Frame(BlockDecl block, Map<String, Object> args, Shape input) {}

  /** The block calls being expanded, innermost on top. */
  private final Deque<Frame> calls = new ArrayDeque<>();
  /**
   * Loops and shortcuts open in the innermost block's body (or the spec's): a statement inside one
   * may never run (a loop of 0 iterations, a shortcut the shapes do not need), so a call there is
   * not sure to be made whenever the body runs.
   */
  private int conditional;
  private final long maxLayers = SpecLimit.LAYERS.get();
  private final long maxRepeat = SpecLimit.REPEAT.get();
  private final long maxSteps = SpecLimit.STEPS.get();
  private final long maxActivation = SpecLimit.ACTIVATION.get();
  private Env globals;
  private long steps;
  private int bodyNesting;
  private long weights;
  /** The statement being elaborated, to locate a stack overflow. */
  private Span at;

  private GraphBuilder(Program program) {
    this.program = program;
  }

  /** Builds the graph of {@code program}; {@code overrides} are the -D name=value pairs. */
  public static Graph build(Program program, Map<String, String> overrides) {
    GraphBuilder builder = new GraphBuilder(program);
    try {
      return builder.build(overrides);
    } catch (StackOverflowError e) {
      // Only reachable with the limits raised past what the thread's stack holds.
      throw new NetcException(builder.at, "the spec nests too deeply for the Java stack; give java a larger -Xss");
    } catch (OverrideException e) {
      throw e;
    } catch (NetcException e) {
      throw withOverrides(e, overrides);
    }
  }

  /**
   * {@code e} saying which -D values the spec was built with: a place in the spec ("out must be positive,
   * got 0" at {@code conv(width, ...)}) does not show that the value came from {@code -D width=0} (the Maven
   * plugin shows each as its {@code <defines>} entry). Said of every located error of such a build, one the
   * values did not cause too: which errors they reached is not tracked.
   */
  private static NetcException withOverrides(NetcException e, Map<String, String> overrides) {
    if (overrides.isEmpty() || e.span() == null) return e;
    StringBuilder with = new StringBuilder();
    new java.util.TreeMap<>(overrides).forEach((k, v) -> with.append(with.length() == 0 ? "" : ", ").append("-D ").append(k).append('=').append(v));
    NetcException out = new NetcException(e.span(), e.problem() + " (built with " + with + ")");
    out.initCause(e);
    return out;
  }

  private Graph build(Map<String, String> overrides) {
    for (String b : program.blocks().keySet()) {
      if (BUILTINS.containsKey(b)) {
        throw new NetcException(program.blocks().get(b).span(), "block '" + b + "' has the name of a builtin layer");
      }
    }
    globals = new Env(new LinkedHashMap<>(), null);
    Set<String> known = new HashSet<>();
    for (ParamDecl p : program.params()) known.add(p.name());
    for (String key : overrides.keySet()) {
      if (!known.contains(key)) {
        throw new OverrideException("unknown parameter '" + key + "' in -D " + key + "=" + overrides.get(key)
            + (known.isEmpty() ? "; the spec defines no params" : "; the spec defines: " + String.join(", ", new java.util.TreeSet<>(known))));
      }
    }
    Map<String, Reads> paramReads = new HashMap<>(); // the params each param's value read
    for (ParamDecl p : program.params()) {
      boolean overridden = overrides.containsKey(p.name());
      reads = overridden ? null : new Reads();
      Object value = overridden ? typedOverride(p, overrides.get(p.name())) : eval(p.value(), globals);
      paramReads.put(p.name(), reads == null ? new Reads() : reads);
      globals.vars().put(p.name(), value);
    }
    reads = new Reads(); // the params the layers read
    Spec main = program.main();
    if (main.input() == null) {
      throw new NetcException(new Span(main.file(), 1, 1, 1), "the spec declares no input; add input(channels, height, width)");
    }
    int current = input(main.input());
    current = walk(main.body(), globals, List.of(), current);
    checkNotRun(program);
    // checked after expansion: empty loops and empty blocks leave the input alone as the output too
    if (nodes.size() == 1) throw new NetcException(main.input().span(), "the spec has no layers after its input");
    refuseUnreadOverrides(overrides, paramReads);
    String name = main.file().displayName();
    // resnet50.net -> resnet50; an ONNX model's spec is shown as "resnet50.onnx (imported)" -> resnet50, and so is one
    // of another extension ("ResNet50.ONNX", "model.pb": a model is known by its first byte too)
    name = name.substring(name.lastIndexOf('/') + 1).replaceFirst("\\.net$|(\\.[^./]*)? \\(imported\\)$", "");
    return new Graph(name, nodes, current);
  }

  /**
   * Checks the calls the build did not run, as far as they can be without running them: a shortcut used only where
   * the shape changes, a block no call reached. A typo there ({@code conv(4, 1, strid = 2)}, {@code relu6()})
   * was accepted until some -D changed a shape and ran it. A call whose callee is a block's parameter, a loop's
   * variable or a param is left to the build; the calls the build ran passed these checks already.
   */
  private void checkNotRun(Program program) {
    java.util.ArrayDeque<Map.Entry<List<Stmt>, Scope>> todo = new java.util.ArrayDeque<>();
    todo.push(Map.entry(program.main().body(), new Scope(Set.of(), null, null)));
    for (BlockDecl b : program.blocks().values()) todo.push(Map.entry(b.body(), new Scope(formalSet(b.formals()), null, null)));
    while (!todo.isEmpty()) { // a loop, not recursion: bodies may nest deep
      var next = todo.pop();
      Scope scope = next.getValue();
      for (Stmt stmt : next.getKey()) {
        if (stmt instanceof LayerStmt l) {
          checkCall(program, l.call(), scope);
        } else if (stmt instanceof ForStmt f) {
          todo.push(Map.entry(f.body(), new Scope(null, scope, f.var())));
        } else if (stmt instanceof ResidualStmt r) {
          todo.push(Map.entry(r.body(), scope));
          if (r.shortcut() != null) todo.push(Map.entry(r.shortcut(), scope));
        } else if (stmt instanceof BranchesStmt c) {
          c.branches().forEach(b -> todo.push(Map.entry(b.body(), scope)));
        } else if (stmt instanceof GateStmt g) {
          todo.push(Map.entry(g.body(), scope));
        }
      }
    }
  }

  /**
   * The names bound where {@link #checkNotRun} checks a call: a block's formals, and a loop variable a level for
   * each enclosing loop (nesting is bounded by the language). Linked, not copied: a copy of a block's formals for
   * each of its loops grew with their product (twenty thousand loops in a block of twenty thousand formals: 15 GB).
   */
  private record Scope(Set<String> formals, Scope outer, String var) {
    boolean contains(String name) {
      for (Scope s = this; s != null; s = s.outer) {
        if (s.formals != null ? s.formals.contains(name) : s.var.equals(name)) return true;
      }
      return false;
    }
  }

  private static Set<String> formalSet(List<Formal> formals) {
    Set<String> names = new HashSet<>();
    for (Formal f : formals) names.add(f.name());
    return names;
  }

  /** Each callee's formal names as a set, made once for {@link #checkCall}: a call's named arguments each looked up in a list were quadratic. */
  private final Map<List<Formal>, Set<String>> formalSets = new java.util.IdentityHashMap<>();

  /** {@link #checkNotRun}'s check of one call: its callee exists and takes the arguments it is given by name. */
  private void checkCall(Program program, Call call, Scope scope) {
    String callee = call.callee();
    if (scope.contains(callee) || globals.vars().containsKey(callee)) return; // a value's: known only when it runs
    BlockDecl block = program.blocks().get(callee);
    Builtin builtin = BUILTINS.get(callee);
    if (block == null && builtin == null) throw new NetcException(call.span(), "unknown layer or block '" + callee + "'");
    List<Formal> formals = block != null ? block.formals() : builtin.formals();
    Set<String> names = formalSets.computeIfAbsent(formals, GraphBuilder::formalSet);
    for (Arg arg : call.args()) {
      if (arg.name() != null && !names.contains(arg.name())) throw noParameter(call, block, arg, formals);
    }
  }

  /**
   * What a call's messages name: the callee as written, or for a block passed as a value, called by its parameter's name,
   * the block that is ("block b (called as u)").
   */
  private static String callee(Call call, BlockDecl block) {
    return block == null || block.name().equals(call.callee()) ? call.callee() : "block " + block.name() + " (called as " + call.callee() + ")";
  }

  /** A named argument the callee does not take, built or not run alike. */
  private static NetcException noParameter(Call call, BlockDecl block, Arg arg, List<Formal> formals) {
    return new NetcException(arg.span(), callee(call, block) + " has no parameter '" + arg.name() + "'"
        + (formals.isEmpty() ? "" : " (it takes " + formalNames(formals) + ")"));
  }

  /**
   * Refuses a -D override of a param no layer reads, directly or through the params it feeds: it would change
   * nothing, silently. A block's parameter of the same name hides a param inside the block (resnet.net's
   * {@code resnet(..., width = 64)}: -D width=8 built the 64-wide network unless the spec passed width = width).
   */
  private void refuseUnreadOverrides(Map<String, String> overrides, Map<String, Reads> paramReads) {
    Set<String> used = new HashSet<>();
    Set<Reads> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    java.util.ArrayDeque<Object> todo = new java.util.ArrayDeque<>(List.of(reads));
    while (!todo.isEmpty()) {
      Object next = todo.pop();
      if (next instanceof String p) {
        if (used.add(p) && paramReads.containsKey(p)) todo.push(paramReads.get(p));
      } else if (next instanceof Reads r && seen.add(r)) {
        todo.addAll(r.items);
      }
    }
    reads = null;
    for (String key : overrides.keySet()) {
      if (!used.contains(key)) {
        throw new OverrideException("-D " + key + "=" + overrides.get(key) + " changes nothing: no layer reads param '" + key
            + "' (where a block's parameter or a loop's variable has that name, it hides the param: pass it on, as " + key + " = " + key + ")");
      }
    }
  }

  /** Where lookups of the params are recorded (null: not recorded), for {@link #refuseUnreadOverrides}. */
  private Reads reads;

  /**
   * What an expression read, for {@link #refuseUnreadOverrides}: param names, and the Reads of the formals it
   * read (a formal's are what its argument or default read), followed when the overrides are checked. Held by
   * reference, not copied: a copy of a formal's reads into every formal and every read of it grew with their
   * product (a default reading a thousand params, passed on by a hundred thousand formals: gigabytes). Compared
   * by identity.
   */
  private static final class Reads {
    final Set<Object> items = new HashSet<>();
  }

  /** A name's value, from the innermost binding out to the params; a param's read is recorded in {@link #reads}. */
  private Object lookup(Env env, String name) {
    for (Env e = env; e != null; e = e.parent()) {
      if (e.vars().containsKey(name)) {
        if (e == globals && reads != null) reads.items.add(name);
        if (e.sources() != null && reads != null && e.sources().get(name) != null && e.sources().get(name) != reads) {
          reads.items.add(e.sources().get(name)); // what its argument read
        }
        return e.vars().get(name);
      }
    }
    return null;
  }

  /**
   * A -D value as the type the param declares: an integer param takes an integer, a number param any
   * number (20 is 20.0 there: 1 / ratio must not become an integer division), a boolean true or false.
   */
  private Object typedOverride(ParamDecl p, String text) {
    Object parsed = parseOverride(p.name(), text), declared;
    try {
      declared = eval(p.value(), globals);
    } catch (NetcException e) {
      return parsed; // a default that cannot be computed with the other overrides: the value as written
    }
    if (declared instanceof Double && parsed instanceof Long l) return l.doubleValue();
    String kind = declared instanceof Long ? "an integer" : declared instanceof Double ? "a number" : declared instanceof Boolean ? "true or false" : null;
    if (kind != null && !declared.getClass().equals(parsed.getClass())) {
      throw new OverrideException("-D " + p.name() + "=" + text + ": the spec's param " + p.name() + " is " + kind + " (its default is "
          + Attrs.format(declared) + ")");
    }
    return parsed;
  }

  private static Object parseOverride(String name, String text) {
    String t = text.trim();
    if (t.equals("true") || t.equals("false")) return Boolean.parseBoolean(t);
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      // digits alone past 64 bits: an integer, too large (read as a number it was called "not an integer")
      if (t.matches("[+-]?[0-9]+")) throw new OverrideException("-D " + name + "=" + text + ": integer too large");
      double d;
      try {
        d = Double.parseDouble(t);
      } catch (NumberFormatException e2) {
        throw new OverrideException("-D " + name + "=" + text + ": the value must be an integer, a number or true/false");
      }
      if (!Double.isFinite(d)) throw new OverrideException("-D " + name + "=" + text + ": the value must be a finite number");
      return d;
    }
  }

  // ---- input ---------------------------------------------------------------------------------

  /**
   * Why {@code std} cannot divide an input channel, or null: positive as float32, with a reciprocal float32 holds (the first
   * conv's weights are multiplied by 1 / std: one below about 2.9e-39 made every folded weight infinite, refused only when
   * the jar was packed, and the reference's outputs NaN). The one rule of input(...), the tools' --std and the ONNX
   * import's normalization, which wrote a std input(...) then refused.
   */
  public static String stdProblem(double std) {
    if (!((float) std > 0)) return "is not positive (as float32)";
    if (Float.isInfinite(1f / (float) std)) return "is too small: 1 / std overflows float32 (the input is divided by it)";
    return null;
  }

  private int input(InputDecl decl) {
    List<Formal> formals = List.of(
        new Formal("channels", null, null), new Formal("height", null, null), new Formal("width", null, null),
        new Formal("mean", new ListLit(List.of(), null), null), new Formal("std", new ListLit(List.of(), null), null),
        new Formal("resize", new IntLit(0, null), null), new Formal("bicubic", new BoolLit(false, null), null));
    Call call = new Call("input", decl.args(), decl.span());
    Map<String, Object> a = bind(call, formals, globals, globals, null);
    int c = positive(call, a, "channels"), h = positive(call, a, "height"), w = positive(call, a, "width");
    Attrs attrs = Attrs.EMPTY;
    List<Double> mean = doubles(call, a, "mean"), std = doubles(call, a, "std");
    if (!mean.isEmpty() || !std.isEmpty()) {
      if (mean.size() != c || std.size() != c) {
        throw new NetcException(decl.span(), "mean and std need one value per channel (" + c + "), got " + mean.size() + " and " + std.size());
      }
      for (double s : std) {
        String problem = stdProblem(s);
        if (problem != null) throw new NetcException(argSpan(call, "std", a), "std " + Attrs.format(s) + " " + problem);
      }
      attrs = attrs.with("mean", mean).with("std", std);
    }
    // resize: the shorter side images are resized to before the center crop (torchvision's Resize(256) then
    // CenterCrop(224)); recorded in the compiled model for Preprocess.forModel; 0 (absent): no margin
    int resize = intIn(call, a, "resize", a.get("resize"), 0);
    if (resize != 0) {
      if (resize < h || resize < w) {
        throw new NetcException(argSpan(call, "resize", a), "resize must be at least the input's height and width (" + h + ", " + w
            + "): images are resized, then center-cropped to the input size; got " + resize);
      }
      attrs = attrs.with("resize", resize);
    }
    // bicubic: the resize's filter is Pillow's bicubic, not bilinear (torchvision's EfficientNet weights)
    if (bool(call, a, "bicubic")) attrs = attrs.with("bicubic", true);
    names.add("input");
    Shape shape = new Shape(c, h, w);
    checkActivation("input", shape, decl.span());
    Node node = new Node(0, Op.INPUT, "input", List.of(), attrs, shape, Map.of(),
        List.of(new Origin("input", Op.INPUT, decl.span())));
    nodes.add(node);
    return 0;
  }

  // ---- statements ----------------------------------------------------------------------------

  private int walk(List<Stmt> stmts, Env env, List<String> scope, int current) {
    for (Stmt s : stmts) {
      at = s.span();
      step(s.span());
      if (s instanceof LayerStmt layer) current = layer(layer, env, scope, current);
      else if (s instanceof ForStmt loop) current = loop(loop, env, scope, current);
      else if (s instanceof BranchesStmt branches) current = branches(branches, env, scope, current);
      else if (s instanceof GateStmt gate) current = gate(gate, env, scope, current);
      else current = residual((ResidualStmt) s, env, scope, current);
    }
    return current;
  }

  /** Counts one step of work against {@link SpecLimit#STEPS}: a statement run or a term evaluated. */
  private void step(Span span) {
    if (++steps > maxSteps) {
      throw new NetcException(span, "the spec takes more than " + SpecLimit.STEPS.shown()
          + " steps to expand (loops or block calls repeating too often); " + SpecLimit.STEPS.raise());
    }
  }

  /** Walks a nested body: a loop's, a residual's or a block's, counting the nesting through calls. */
  private int body(List<Stmt> stmts, Env env, List<String> scope, int current, Span owner) {
    step(owner); // an empty body repeated is work too: for loops nested over empty bodies hung
    if (++bodyNesting > MAX_BODY_NESTING) {
      throw new NetcException(owner, "bodies nested more than " + MAX_BODY_NESTING + " deep, counting through block calls");
    }
    int out = walk(stmts, env, scope, current);
    bodyNesting--;
    return out;
  }

  private int loop(ForStmt loop, Env env, List<String> scope, int current) {
    long from = integer(loop.from(), env), to = integer(loop.to(), env);
    // to - from overflows for ranges near the long limits, so compare before subtracting
    long count = to <= from ? 0 : (from < 0 && to > Long.MAX_VALUE + from) ? Long.MAX_VALUE : to - from;
    if (count > maxRepeat) {
      String exact = String.format(Locale.ROOT, "%,d", BigInteger.valueOf(to).subtract(BigInteger.valueOf(from)));
      throw new NetcException(loop.span(), "loop of " + exact + " iterations is too long (the limit is " + SpecLimit.REPEAT.shown() + "); "
          + SpecLimit.REPEAT.raise());
    }
    conditional++;
    for (long k = 0; k < count; k++) {
      Map<String, Object> vars = new HashMap<>();
      vars.put(loop.var(), from + k);
      current = body(loop.body(), new Env(vars, env), scope, current, loop.span());
    }
    conditional--;
    return current;
  }

  private int residual(ResidualStmt res, Env env, List<String> scope, int x) {
    int main = body(res.body(), env, scope, x, res.span());
    // checked after expansion: a body of empty loops or empty blocks adds no layer either
    if (main == x) throw new NetcException(res.span(), "the residual's main path is empty; it would add the input to itself");
    int shortcut = x;
    if (res.shortcut() != null && !shape(main).equals(shape(x))) {
      conditional++;
      shortcut = body(res.shortcut(), env, named(scope, res.shortcutName(), env), x, res.span());
      conditional--;
      closeScope();
    }
    String name = unique(scope, "add");
    return add(Op.ADD, name, List.of(main, shortcut), Attrs.EMPTY, Map.of(), res.span());
  }

  /**
   * Every branch from the same input, in order, then their join: one concat node over their outputs, or
   * adds of them, the first branch's and the second's, then that and the third's; an empty branch
   * contributes the input itself. A named branch scopes its layers ({@code branch2.0.conv}).
   */
  private int branches(BranchesStmt stmt, Env env, List<String> scope, int x) {
    List<Integer> outs = new ArrayList<>();
    for (Branch b : stmt.branches()) {
      List<String> inner = b.name() == null ? scope : named(scope, b.name(), env);
      outs.add(body(b.body(), env, inner, x, b.span()));
      if (b.name() != null) closeScope();
    }
    return stmt.join() == Join.SUM ? sum(stmt, outs, scope, x) : concat(stmt, outs, scope);
  }

  /** The adds of a sum's branch outputs, refusing outputs of another shape than the first's and a sum of the input alone. */
  private int sum(BranchesStmt stmt, List<Integer> outs, List<String> scope, int x) {
    // checked after expansion, as the residual's main path: a body of empty loops or empty blocks adds no layer either
    if (outs.stream().allMatch(o -> o == x)) throw new NetcException(stmt.span(), "every branch of the sum is empty; it would add the input to itself");
    if (outs.stream().filter(o -> o == x).count() > 1) {
      throw new NetcException(stmt.span(), "more than one branch of the sum is empty; it would add the input to itself");
    }
    Shape first = shape(outs.get(0));
    for (int i = 1; i < outs.size(); i++) {
      if (!shape(outs.get(i)).equals(first)) {
        throw new NetcException(stmt.branches().get(i).span(), "this branch gives " + shape(outs.get(i)) + " but the first gives " + first
            + "; sum adds outputs of one shape");
      }
    }
    int total = outs.get(0);
    // marked: a sum's add joins branches, not a main path and a shortcut (what inspect's picture draws as a residual)
    Attrs sum = Attrs.EMPTY.with("sum", true);
    for (int i = 1; i < outs.size(); i++) total = add(Op.ADD, unique(scope, "add"), List.of(total, outs.get(i)), sum, Map.of(), stmt.span());
    return total;
  }

  /** The concat node of a concat's branch outputs, refusing maps of another height or width than the first's. */
  private int concat(BranchesStmt cat, List<Integer> outs, List<String> scope) {
    Shape first = shape(outs.get(0));
    for (int i = 1; i < outs.size(); i++) {
      Shape s = shape(outs.get(i));
      if (first.rank() == 3 && s.rank() == 3 && (s.height() != first.height() || s.width() != first.width())) {
        throw new NetcException(cat.branches().get(i).span(), "this branch gives " + s + " but the first gives " + first
            + "; concat joins maps of one height and width along channels");
      }
    }
    return add(Op.CONCAT, unique(scope, "concat"), outs, Attrs.EMPTY, Map.of(), cat.span());
  }

  /** The body on the input, then one gate node: each channel of the input times the body's value for it. */
  private int gate(GateStmt gate, Env env, List<String> scope, int x) {
    int s = body(gate.body(), env, scope, x, gate.span());
    if (s == x) throw new NetcException(gate.span(), "the gate's body is empty; it would multiply the input by itself");
    return add(Op.GATE, unique(scope, "gate"), List.of(x, s), Attrs.EMPTY, Map.of(), gate.span());
  }

  private int layer(LayerStmt stmt, Env env, List<String> scope, int current) {
    Call call = stmt.call();
    String explicit = stmt.name() == null ? null : layerName(stmt.name(), env);
    Object bound = lookup(env, call.callee());
    BlockDecl block = bound instanceof BlockDecl b ? b : program.blocks().get(call.callee());
    if (bound != null && !(bound instanceof BlockDecl)) {
      String type = typeName(bound);
      throw new NetcException(call.span(), "'" + call.callee() + "' is " + (type.startsWith("integer") ? "an " : "a ") + type + ", not a layer or block"
          + (isBuiltin(call.callee()) ? " (a parameter of that name hides the layer " + call.callee() + "())" : ""));
    }
    if (block != null) {
      // the params each argument reads, counted as read only where the block reads the formal
      Map<String, Reads> sources = reads == null ? null : new HashMap<>();
      Map<String, Object> args = bind(call, block.formals(), env, globals, block, sources, block.formals().size());
      if (recursesForever(block, args, shape(current), bound == null, call.span())) {
        throw new NetcException(call.span(), "block '" + block.name() + "' calls itself; recursion never ends");
      }
      if (calls.size() >= MAX_DEPTH) throw new NetcException(call.span(), "blocks nested more than " + MAX_DEPTH + " deep");
      List<String> inner = explicit == null ? scope : named(scope, explicit, stmt.name().span());
      calls.push(new Frame(block, args, shape(current)));
      int outerConditional = conditional;
      conditional = 0;
      int out;
      try {
        out = body(block.body(), new Env(args, globals, sources), inner, current, call.span());
      } catch (NetcException e) {
        throw InBlock.of(e, block, call);
      }
      conditional = outerConditional;
      calls.pop();
      if (explicit != null) closeScope();
      return out;
    }
    Builtin builtin = BUILTINS.get(call.callee());
    if (builtin == null) {
      throw new NetcException(call.span(), "unknown layer or block '" + call.callee() + "'");
    }
    String name = explicit == null ? unique(scope, builtin.op().spelling()) : String.join(".", child(scope, explicit));
    // a scope of that name in this scope would make 'a' both a layer and the parent of a.conv
    if (explicit != null && (names.contains(name) || openScopes.peek().contains(explicit))) {
      throw new NetcException(stmt.name().span(), "layer name '" + name + "' is already used" + givenTo(name, stmt.name().span()));
    }
    if (explicit != null) explicitLayers.add(name);
    Map<String, Object> a = bind(call, builtin.formals(), env, null, null, null, builtin.positional());
    return builtinLayer(builtin.op(), call, a, name, current, stmt.span());
  }

  /**
   * Whether calling {@code block} with {@code args} is sure never to end. A block on the call stack
   * may be called again and end (a higher-order block given itself or another block as an argument,
   * a loop whose count shrinks to 0), so being on the stack is not enough; two cases are sure:
   * <ul>
   *   <li>the block is being expanded already with the same argument values on an input of the same
   *       shape: what a call expands to depends only on the block, its arguments and its input's shape
   *       (a shortcut runs only where the shapes differ), so it would come back here again and again;
   *   <li>the block calls itself by its name, not through a parameter, where its body always runs the
   *       call (outside every loop and shortcut): every expansion makes one more, whatever the
   *       arguments ({@code forever(n + 1)}).
   * </ul>
   * Any other runaway is stopped by {@link #MAX_DEPTH}.
   */
  private boolean recursesForever(BlockDecl block, Map<String, Object> args, Shape input, boolean byName, Span span) {
    if (byName && conditional == 0 && !calls.isEmpty() && calls.peek().block() == block) return true;
    for (Frame f : calls) if (f.block() == block && f.input().equals(input) && sameValues(f.args(), args, span)) return true;
    return false;
  }

  /**
   * Whether two bindings of one block's formals hold the same values: blocks by identity (a record's
   * equals would compare their bodies), lists item by item, numbers by type and value (8 and 8.0
   * divide differently). Each item compared is a step ({@link #step}): params that nest a list in a list
   * a thousand times over stand for 10^9 numbers in a thousand terms, and were compared whole at every call.
   */
  private boolean sameValues(Map<String, Object> a, Map<String, Object> b, Span span) {
    for (Map.Entry<String, Object> e : a.entrySet()) {
      step(span); // each formal compared too: a block of 100,000 formals compared them against every frame uncounted
      if (!sameValue(e.getValue(), b.get(e.getKey()), span)) return false;
    }
    return true;
  }

  /**
   * {@link #sameValues} of one value, over an explicit stack: a list nests as deep as params nest it (99 brackets a
   * param, thousands of params), and compared recursively it overflowed the Java stack.
   */
  private boolean sameValue(Object a, Object b, Span span) {
    java.util.ArrayDeque<Object[]> pending = new java.util.ArrayDeque<>();
    pending.push(new Object[] {a, b});
    while (!pending.isEmpty()) {
      Object[] pair = pending.pop();
      Object x = pair[0], y = pair[1];
      if (x == y) continue;
      if (x instanceof List<?> xs && y instanceof List<?> ys) {
        if (xs.size() != ys.size()) return false;
        for (int i = xs.size() - 1; i >= 0; i--) {
          step(span);
          pending.push(new Object[] {xs.get(i), ys.get(i)});
        }
        continue;
      }
      if (x instanceof BlockDecl || x instanceof List<?> || !x.equals(y)) return false;
    }
    return true;
  }

  private int builtinLayer(Op op, Call call, Map<String, Object> a, String name, int current, Span span) {
    Shape in = shape(current);
    Attrs attrs = Attrs.EMPTY;
    Map<String, Shape> params = new LinkedHashMap<>(); // role -> shape; add() names and checks them
    switch (op) {
      case CONV -> {
        int out = positive(call, a, "out"), groups = positive(call, a, "groups");
        List<Integer> kernel = pair(call, a, "kernel", 1), stride = pair(call, a, "stride", 1);
        List<Integer> dilation = pair(call, a, "dilation", 1);
        boolean bias = bool(call, a, "bias");
        attrs = padding(attrs.with("out", out).with("kernel", kernel).with("stride", stride), call, a)
            .with("dilation", dilation).with("groups", groups).with("bias", bias);
        if (in.rank() != 3) throw new NetcException(span, "conv expects a CxHxW feature map, got " + in);
        if (in.channels() % groups != 0) {
          throw new NetcException(argSpan(call, "groups", a), "groups=" + groups + " does not divide the " + in.channels() + " input channels");
        }
        params.put("weight", new Shape(out, in.channels() / groups, kernel.get(0), kernel.get(1)));
        if (bias) params.put("bias", new Shape(out));
      }
      case BATCHNORM -> {
        double eps = number(call, a, "eps");
        // 0 as ONNX models may have it (a zero variance is then refused with the weights); a tiny eps that float32 makes 0 is a slip
        if (!((float) eps > 0) && eps != 0) {
          throw new NetcException(argSpan(call, "eps", a), "eps must be positive or 0 (as float32: " + Attrs.format(eps) + " is not)");
        }
        attrs = attrs.with("eps", eps);
        Shape c = new Shape(in.dim(0));
        for (String role : List.of("weight", "bias", "running_mean", "running_var")) {
          params.put(role, c);
        }
      }
      case LAYERNORM -> {
        double eps = number(call, a, "eps");
        if (!((float) eps > 0)) throw new NetcException(argSpan(call, "eps", a), "eps must be positive (as float32: " + Attrs.format(eps) + " is not)");
        attrs = attrs.with("eps", eps);
        params.put("weight", new Shape(in.dim(0)));
        params.put("bias", new Shape(in.dim(0)));
      }
      case LEAKY_RELU -> attrs = attrs.with("slope", number(call, a, "slope"));
      case CLIP -> attrs = clip(call, a);
      case MAXPOOL, AVGPOOL -> {
        attrs = padding(attrs.with("kernel", pair(call, a, "kernel", 1)).with("stride", pair(call, a, "stride", 1)), call, a);
        // the defaults (floor, padding counted) are left out, so existing IR reads the same
        if (bool(call, a, "ceil_mode")) attrs = attrs.with("ceil_mode", true);
        if (op == Op.AVGPOOL && !bool(call, a, "count_include_pad")) attrs = attrs.with("count_include_pad", false);
      }
      case PAD -> attrs = padding(attrs, call, a);
      case CHANNELS -> attrs = attrs.with("start", intIn(call, a, "start", a.get("start"), 0)).with("end", positive(call, a, "end"));
      case CHANNEL_SHUFFLE -> attrs = attrs.with("groups", positive(call, a, "groups"));
      case FC -> {
        int out = positive(call, a, "out");
        boolean bias = bool(call, a, "bias");
        attrs = attrs.with("out", out).with("bias", bias);
        if (in.rank() != 1) throw new NetcException(span, "fc expects a flat input, got " + in + "; add flatten() before it");
        params.put("weight", new Shape(out, in.dim(0)));
        if (bias) params.put("bias", new Shape(out));
      }
      default -> {}
    }
    return add(op, name, List.of(current), attrs, params, span);
  }

  private int add(Op op, String name, List<Integer> inputs, Attrs attrs, Map<String, Shape> paramShapes, Span span) {
    if (nodes.size() > maxLayers) {
      throw new NetcException(span, "the network expands to more than " + SpecLimit.LAYERS.shown() + " layers; " + SpecLimit.LAYERS.raise());
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new NetcException(span, "layer name of " + count(name.length()) + " characters is longer than " + count(MAX_NAME_LENGTH)
          + ": " + name.substring(0, 40) + "...");
    }
    List<Shape> in = new ArrayList<>();
    for (int i : inputs) in.add(shape(i));
    Shape shape;
    try {
      shape = ShapeInference.infer(op, attrs, in);
    } catch (ShapeError | IllegalArgumentException e) {
      throw new NetcException(span, name + ": " + e.getMessage());
    }
    checkActivation(name, shape, span);
    Map<String, ParamExpr> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> p : paramShapes.entrySet()) {
      String tensor = name + "." + p.getKey();
      checkWeight(tensor, p.getValue(), span);
      params.put(p.getKey(), new ParamExpr.Ref(tensor, p.getValue()));
    }
    names.add(name);
    int id = nodes.size();
    nodes.add(new Node(id, op, name, inputs, attrs, shape, params, List.of(new Origin(name, op, span))));
    return id;
  }

  private Shape shape(int id) {
    return nodes.get(id).shape();
  }

  // ---- sizes ---------------------------------------------------------------------------------

  /** An activation past the JVM's array limit can never be allocated; past the configured limit, should not be. */
  private void checkActivation(String name, Shape shape, Span span) {
    long size = shape.size();
    if (size > MAX_ARRAY) {
      throw new NetcException(span, activation(name, shape) + " is over the JVM's array limit of " + count(MAX_ARRAY));
    }
    if (size > maxActivation) {
      throw new NetcException(span, activation(name, shape) + " (" + bytes(size) + ") is over the limit of "
          + SpecLimit.ACTIVATION.shown() + " per activation; " + SpecLimit.ACTIVATION.raise());
    }
  }

  private static String activation(String name, Shape shape) {
    return (name.equals("input") ? "input " : name + ": output ") + shape + " = " + floats(shape) + " floats per image";
  }

  /** A weight tensor past the JVM's array limit, or weights summing past it, cannot be held or packed. */
  private void checkWeight(String tensor, Shape shape, Span span) {
    if (shape.size() > MAX_ARRAY) {
      throw new NetcException(span, tensor + ": " + shape + " = " + floats(shape) + " floats is over the JVM's array limit of "
          + count(MAX_ARRAY));
    }
    weights += shape.size();
    if (weights > MAX_ARRAY) {
      throw new NetcException(span, tensor + ": the network's weights pass " + count(MAX_ARRAY)
          + " floats here, the JVM's array limit (a compiled model holds them in one array)");
    }
  }

  /** The exact element count of {@code shape}, which may be past what a long holds. */
  private static String floats(Shape shape) {
    BigInteger n = BigInteger.ONE;
    for (int d : shape.dims()) n = n.multiply(BigInteger.valueOf(d));
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String bytes(long floats) {
    double gib = floats * 4.0 / (1L << 30);
    return gib >= 1 ? String.format(Locale.ROOT, "%.1f GiB", gib) : String.format(Locale.ROOT, "%.0f MiB", gib * 1024);
  }

  // ---- names ---------------------------------------------------------------------------------

  private static List<String> child(List<String> scope, String name) {
    List<String> out = new ArrayList<>(scope);
    out.add(name);
    return out;
  }

  /** {@link #named(List, String, Span)} for a name as written. */
  private List<String> named(List<String> scope, Name name, Env env) {
    return named(scope, layerName(name, env), name.span());
  }

  /**
   * Opens the named scope {@code name} inside {@code scope}, the innermost open scope; the caller
   * closes it ({@link #closeScope}) after its body. A scope used twice would not fail on its own: the
   * second one's layers would be suffixed ({@code a.conv_1}) and weights bind to the wrong layers, so
   * it gets the message a layer name used twice gets, at the second name. Its full name is held to
   * the length of a layer's here, where it is written, as a scope need not add a layer to be kept.
   */
  private List<String> named(List<String> scope, String name, Span span) {
    List<String> inner = child(scope, name);
    long length = name.length();
    for (String s : scope) length += s.length() + 1;
    if (length > MAX_NAME_LENGTH) {
      throw new NetcException(span, "layer name of " + count(length) + " characters is longer than " + count(MAX_NAME_LENGTH)
          + ": " + String.join(".", inner).substring(0, 40) + "...");
    }
    String full = String.join(".", inner);
    // a layer named so counts too: 'a' would be both a layer and the parent of a.conv. A name the builder
    // gave an unnamed layer does not (conv(4, 1) then conv: blk() compiled before, as layer conv and scope conv)
    if (explicitLayers.contains(full) || !openScopes.peek().add(name)) throw new NetcException(span, "layer name '" + full + "' is already used");
    openScopes.push(new HashSet<>());
    return inner;
  }

  /** Closes the scope the last {@link #named} opened: its names can never be used again. */
  private void closeScope() {
    openScopes.pop();
  }

  private String layerName(Name name, Env env) {
    if (name.literal() != null) {
      if (name.literal().length() > MAX_NAME_LENGTH) {
        throw new NetcException(name.span(), "layer name of " + count(name.literal().length()) + " characters is longer than " + count(MAX_NAME_LENGTH));
      }
      return name.literal();
    }
    Object v = eval(name.expr(), env);
    if (!(v instanceof Long)) throw new NetcException(name.span(), "a layer name expression must be an integer, got " + typeName(v));
    return v.toString();
  }

  /**
   * Where an unnamed layer was given {@code name} by the builder (" by the unnamed relu() at 2:1: name that
   * one, or this one otherwise"), so a clash with a name the user never wrote is explained; "" when the
   * name was the user's (or a scope's).
   */
  private String givenTo(String name, Span here) {
    if (explicitLayers.contains(name)) return "";
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      Span at = n.origins().isEmpty() ? null : n.origins().get(0).span();
      if (n.name().equals(name) && at != null) {
        String where = at.file().equals(here.file()) ? at.line() + ":" + at.column() : at.location();
        return " (given to the unnamed " + n.op().spelling() + "() at " + where + ", which is named after its layer: name that one, or this one otherwise)";
      }
    }
    return "";
  }

  /**
   * A fresh name for an unnamed layer: {@code layer1.0.relu}, then {@code layer1.0.relu_1}. Starts
   * from where the last search for the same name stopped: trying every suffix from 1 made a spec
   * of n unnamed layers cost n^2 (25,000 relus took 17 s).
   */
  private String unique(List<String> scope, String base) {
    String prefix = scope.isEmpty() ? "" : String.join(".", scope) + ".";
    String plain = prefix + base;
    int i = nextSuffix.getOrDefault(plain, 0);
    String local = i == 0 ? base : base + "_" + i;
    // taken by a layer, or by a scope named in this one (relu: b() then relu() is relu_1)
    while (names.contains(prefix + local) || openScopes.peek().contains(local)) local = base + "_" + ++i;
    nextSuffix.put(plain, i + 1);
    return prefix + local;
  }

  // ---- arguments -----------------------------------------------------------------------------

  /**
   * Binds a call's arguments to formals: positional first, then by name. Arguments are evaluated where
   * the call is written ({@code callerEnv}); defaults in {@code defaultsEnv} (the globals for a block)
   * extended with the formals bound so far, so a default may name an earlier formal. A problem in a
   * default of {@code block} (null for a builtin) names the call, as a problem in its body does.
   */
  private Map<String, Object> bind(Call call, List<Formal> formals, Env callerEnv, Env defaultsEnv, BlockDecl block) {
    return bind(call, formals, callerEnv, defaultsEnv, block, null, formals.size());
  }

  /**
   * {@link #bind(Call, List, Env, Env, BlockDecl)}, recording in {@code sources} (when not null) the params each
   * formal's argument or default read, rather than counting them read now; the formals from {@code byPosition} on
   * are given by name only (a builtin's eps).
   */
  private Map<String, Object> bind(Call call, List<Formal> formals, Env callerEnv, Env defaultsEnv, BlockDecl block,
      Map<String, Reads> sources, int byPosition) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Arg> byName = new LinkedHashMap<>();
    Set<String> formalNames = new HashSet<>(); // a set: checking each named argument against a list was quadratic
    for (Formal f : formals) formalNames.add(f.name());
    int positional = 0;
    for (Arg arg : call.args()) {
      if (arg.name() == null) {
        if (!byName.isEmpty()) throw new NetcException(arg.span(), "a positional argument cannot follow a named one");
        if (positional >= formals.size()) {
          throw new NetcException(arg.span(), callee(call, block) + " takes " + formals.size() + " argument" + (formals.size() == 1 ? "" : "s")
              + (formals.isEmpty() ? "" : " (" + formalNames(formals) + ")") + ", got " + countPositional(call));
        }
        if (positional >= byPosition) { // batchnorm(64), as PyTorch's BatchNorm2d(64) is written, was eps = 64
          String f = formals.get(positional).name();
          throw new NetcException(arg.span(), call.callee() + "'s " + f + " is given by name, " + call.callee() + "(" + f + " = 0.001): a value by"
              + " position, as PyTorch's BatchNorm2d(64) takes its channels, would be the " + f + "; netc takes the channels from the input");
        }
        positional++;
      } else {
        if (!formalNames.contains(arg.name())) throw noParameter(call, block, arg, formals);
        if (byName.put(arg.name(), arg) != null) throw new NetcException(arg.span(), "argument '" + arg.name() + "' given twice");
      }
    }
    Reads outer = reads;
    for (int i = 0; i < formals.size(); i++) {
      Formal f = formals.get(i);
      Object value;
      if (sources != null) reads = new Reads(); // this formal's own: kept in sources, read where the formal is
      if (i < positional) {
        value = eval(call.args().get(i).value(), callerEnv);
        if (byName.containsKey(f.name())) throw new NetcException(byName.get(f.name()).span(), "argument '" + f.name() + "' given twice");
      } else if (byName.containsKey(f.name())) {
        value = eval(byName.get(f.name()).value(), callerEnv);
      } else if (f.defaultValue() != null) {
        Set<String> savedFormals = defaultFormals;
        Map<String, Object> savedBound = defaultBound;
        defaultFormals = formalNames;
        defaultBound = out;
        try {
          // the formals bound so far, as they are (a copy for each default took time quadratic in their number)
          value = eval(f.defaultValue(), new Env(java.util.Collections.unmodifiableMap(out), defaultsEnv, sources));
        } catch (NetcException e) {
          // placed in the block's declaration, which does not say which of its calls gave the arguments
          throw block == null ? e : InBlock.of(e, block, call);
        } finally {
          defaultFormals = savedFormals;
          defaultBound = savedBound;
        }
      } else {
        throw new NetcException(call.span(), callee(call, block) + " needs argument '" + f.name() + "' (it takes " + formalNames(formals) + ")");
      }
      out.put(f.name(), value);
      if (sources != null) {
        sources.put(f.name(), reads);
        reads = outer;
      }
    }
    return out;
  }

  private static long countPositional(Call call) {
    return call.args().stream().filter(a -> a.name() == null).count();
  }

  private static String formalNames(List<Formal> formals) {
    return String.join(", ", formals.stream().map(Formal::name).toList());
  }

  /** Where argument {@code name} was written, named or positional; the call itself when defaulted. */
  private static Span argSpan(Call call, String name, Map<String, Object> bound) {
    Arg a = argOf(call, name, bound);
    return a == null ? call.span() : a.span();
  }

  /** The argument written for formal {@code name}, named or positional; null when defaulted. */
  private static Arg argOf(Call call, String name, Map<String, Object> bound) {
    for (Arg a : call.args()) if (name.equals(a.name())) return a;
    int index = new ArrayList<>(bound.keySet()).indexOf(name);
    return index >= 0 && index < call.args().size() && call.args().get(index).name() == null ? call.args().get(index) : null;
  }

  /**
   * Refuses an integer given for a number argument (a slope, a clip bound, a mean) by an expression that divides:
   * '/' of two integers truncates, as sizes want ({@code (kernel - 1) / 2}), so {@code slope = 1 / 10} was a slope
   * of 0 and {@code clip(0, 13 / 2)} a max of 6, without a word. A value reaching the argument through a block's
   * parameter is not seen here (the README says '/' of integers truncates).
   */
  private static void refuseTruncated(Call call, Map<String, Object> a, String name, Object v) {
    refuseTruncated(call, a, name, v, -1);
  }

  /** {@link #refuseTruncated(Call, Map, String, Object)} of the list element {@code element} (-1: the whole argument). */
  private static void refuseTruncated(Call call, Map<String, Object> a, String name, Object v, int element) {
    if (!(v instanceof Long)) return;
    Arg written = argOf(call, name, a);
    Expr e = written == null ? null : written.value();
    // a list's own element only: [0, 0.5 / 2, 0] has an integer 0 and a division, not an integer division
    if (element >= 0 && e instanceof ListLit list) e = element < list.items().size() ? list.items().get(element) : null;
    java.util.ArrayDeque<Expr> todo = new java.util.ArrayDeque<>();
    if (e != null) todo.push(e);
    while (!todo.isEmpty()) { // a loop, not recursion: an expression may be nested thousands deep
      Expr x = todo.pop();
      if (x instanceof Binary b && b.op() == '/') {
        throw new NetcException(argSpan(call, name, a), name + " is a number, and this is integer division (1 / 10 is 0, 13 / 2"
            + " is 6): write 1.0 / 10 for a fraction");
      }
      if (x instanceof Binary b) {
        todo.push(b.left());
        todo.push(b.right());
      } else if (x instanceof Neg n) {
        todo.push(n.operand());
      } else if (x instanceof ListLit l) {
        l.items().forEach(todo::push);
      }
    }
  }

  /** The largest size a layer's integer argument may give (channels, a kernel, a height): what an importer checks too. */
  public static final int MAX_SIZE = 1_000_000;

  private static int positive(Call call, Map<String, Object> a, String name) {
    return intIn(call, a, name, a.get(name), 1);
  }

  private static int intIn(Call call, Map<String, Object> a, String name, Object v, int min) {
    if (!(v instanceof Long l)) {
      throw new NetcException(argSpan(call, name, a), name + " must be an integer, got " + typeName(v));
    }
    if (l < min || l > MAX_SIZE) {
      throw new NetcException(argSpan(call, name, a), name + " must be " + (min == 0 ? "non-negative" : "positive") + " and reasonable, got " + l);
    }
    return (int) (long) l;
  }

  private static List<Integer> pair(Call call, Map<String, Object> a, String name, int min) {
    Object v = a.get(name);
    if (v instanceof List<?> list) {
      if (list.size() != 2) throw new NetcException(argSpan(call, name, a), name + " must be an integer or [height, width], got a list of " + list.size());
      return List.of(intIn(call, a, name, list.get(0), min), intIn(call, a, name, list.get(1), min));
    }
    int x = intIn(call, a, name, v, min);
    return List.of(x, x);
  }

  /**
   * Sets "padding" ([top, left]) from {@code padding = p}, {@code [h, w]} or {@code [top, left, bottom,
   * right]}, and "padding_end" ([bottom, right]) when that differs (see {@link Attrs#paddingEnd}).
   */
  private static Attrs padding(Attrs attrs, Call call, Map<String, Object> a) {
    Object v = a.get("padding");
    if (!(v instanceof List<?> list) || list.size() != 4) {
      if (v instanceof List<?> list && list.size() != 2) {
        throw new NetcException(argSpan(call, "padding", a),
            "padding must be an integer, [height, width] or [top, left, bottom, right], got a list of " + list.size());
      }
      return attrs.with("padding", pair(call, a, "padding", 0));
    }
    List<Integer> p = new ArrayList<>();
    for (Object o : list) p.add(intIn(call, a, "padding", o, 0));
    attrs = attrs.with("padding", p.subList(0, 2));
    return p.subList(0, 2).equals(p.subList(2, 4)) ? attrs : attrs.with("padding_end", p.subList(2, 4));
  }

  /** clip's bounds: each a number or left out (unbounded), at least one given, min <= max. */
  private static Attrs clip(Call call, Map<String, Object> a) {
    Attrs attrs = Attrs.EMPTY;
    for (String bound : List.of("min", "max")) {
      Object v = a.get(bound);
      if (v instanceof List<?> l && l.isEmpty() && !given(call, bound, a)) continue; // left out: unbounded
      if (!(v instanceof Number n)) throw new NetcException(argSpan(call, bound, a), bound + " must be a number, got " + typeName(v));
      refuseTruncated(call, a, bound, v);
      attrs = attrs.with(bound, float32(call, a, bound, n.doubleValue()));
    }
    if (!attrs.has("min") && !attrs.has("max")) throw new NetcException(call.span(), "clip needs a bound: clip(min = 0, max = 6)");
    if (attrs.has("min") && attrs.has("max") && attrs.getDouble("min") > attrs.getDouble("max")) {
      throw new NetcException(call.span(), "clip's min " + Attrs.format(attrs.getDouble("min")) + " is above its max " + Attrs.format(attrs.getDouble("max")));
    }
    return attrs;
  }

  /** Whether the call wrote argument {@code name}, by name or by position. */
  private static boolean given(Call call, String name, Map<String, Object> bound) {
    int index = new ArrayList<>(bound.keySet()).indexOf(name);
    for (Arg arg : call.args()) if (name.equals(arg.name())) return true;
    return index >= 0 && index < call.args().size() && call.args().get(index).name() == null;
  }

  private static boolean bool(Call call, Map<String, Object> a, String name) {
    if (a.get(name) instanceof Boolean b) return b;
    throw new NetcException(argSpan(call, name, a), name + " must be true or false, got " + typeName(a.get(name)));
  }

  /** A number the kernels compute with in float32: it must be finite there (1e300 is not; it would run as infinity). */
  private static double number(Call call, Map<String, Object> a, String name) {
    if (!(a.get(name) instanceof Number n)) throw new NetcException(argSpan(call, name, a), name + " must be a number, got " + typeName(a.get(name)));
    refuseTruncated(call, a, name, n);
    return float32(call, a, name, n.doubleValue());
  }

  private static double float32(Call call, Map<String, Object> a, String name, double v) {
    if (!Float.isFinite((float) v)) {
      throw new NetcException(argSpan(call, name, a), name + ": " + Attrs.format(v) + " is outside float32's range (the model computes in float32)");
    }
    return v;
  }

  private static List<Double> doubles(Call call, Map<String, Object> a, String name) {
    if (!(a.get(name) instanceof List<?> list)) throw new NetcException(argSpan(call, name, a), name + " must be a list of numbers");
    List<Double> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Number n)) throw new NetcException(argSpan(call, name, a), name + " must be a list of numbers");
      refuseTruncated(call, a, name, n, out.size());
      out.add(float32(call, a, name, n.doubleValue()));
    }
    return out;
  }

  // ---- expressions ---------------------------------------------------------------------------

  private long integer(Expr e, Env env) {
    Object v = eval(e, env);
    if (v instanceof Long l) return l;
    throw new NetcException(e.span(), "expected an integer, got " + typeName(v));
  }

  private Object eval(Expr e, Env env) {
    step(e.span() == null ? at : e.span());
    if (e instanceof IntLit i) return i.value();
    if (e instanceof FloatLit f) return f.value();
    if (e instanceof BoolLit b) return b.value();
    if (e instanceof ListLit l) {
      List<Object> items = new ArrayList<>();
      for (Expr item : l.items()) items.add(eval(item, env));
      return List.copyOf(items);
    }
    if (e instanceof Ref r) {
      if (defaultFormals != null && defaultFormals.contains(r.name()) && !defaultBound.containsKey(r.name())) {
        // a formal not bound yet: the lookup went on to a param of that name (block head(c = width / 2, width = 16) read
        // the spec's width), or said it was unknown
        throw new NetcException(r.span(), "a default reads '" + r.name() + "', a parameter of its block not bound before it: a default reads"
            + " the parameters declared before its own, and params");
      }
      Object v = lookup(env, r.name());
      if (v != null) return v;
      BlockDecl block = program.blocks().get(r.name());
      if (block != null) return block;
      throw new NetcException(r.span(), "unknown name '" + r.name() + "'");
    }
    if (e instanceof Neg n) {
      Object v = eval(n.operand(), env);
      if (v instanceof Long l) {
        if (l == Long.MIN_VALUE) throw new NetcException(n.span(), "integer overflow");
        return -l;
      }
      if (v instanceof Double d) return -d;
      throw new NetcException(n.span(), "cannot negate " + typeName(v));
    }
    // A chain a+b+c leans left as deep as it is long: follow the left spine in a loop, so that only
    // right operands recurse, no deeper than brackets nest.
    Deque<Binary> spine = new ArrayDeque<>();
    Expr x = e;
    while (x instanceof Binary b) {
      if (b != e) step(b.span());
      spine.push(b);
      x = b.left();
    }
    Object acc = eval(x, env);
    while (!spine.isEmpty()) {
      Binary b = spine.pop();
      acc = apply(b, acc, eval(b.right(), env));
    }
    return acc;
  }

  private static Object apply(Binary b, Object l, Object r) {
    if (!(l instanceof Number) || !(r instanceof Number)) {
      throw new NetcException(b.span(), "cannot apply '" + b.op() + "' to " + typeName(l) + " and " + typeName(r));
    }
    if (l instanceof Long x && r instanceof Long y) {
      try {
        return switch (b.op()) {
          case '+' -> Math.addExact(x, y);
          case '-' -> Math.subtractExact(x, y);
          case '*' -> Math.multiplyExact(x, y);
          case '/' -> {
            if (y == 0) throw new NetcException(b.span(), "division by zero");
            // the one quotient past a long, which Java gives as MIN_VALUE again (% gives the true 0)
            if (x == Long.MIN_VALUE && y == -1) throw new ArithmeticException();
            yield x / y;
          }
          default -> {
            if (y == 0) throw new NetcException(b.span(), "division by zero");
            yield x % y;
          }
        };
      } catch (ArithmeticException overflow) {
        throw new NetcException(b.span(), "integer overflow");
      }
    }
    double x = ((Number) l).doubleValue(), y = ((Number) r).doubleValue();
    double v = switch (b.op()) {
      case '+' -> x + y;
      case '-' -> x - y;
      case '*' -> x * y;
      case '/' -> x / y;
      default -> x % y;
    };
    // every number in a spec is finite, so no attribute is NaN or infinite (and Java source can spell each)
    if (!Double.isFinite(v)) throw new NetcException(b.span(), "arithmetic gives " + (Double.isNaN(v) ? "NaN" : "an infinite number"));
    return v;
  }

  /**
   * A problem inside a block's body, told with the calls that ran it, innermost first: the place in
   * the body alone does not say which of the block's calls went wrong (ResNet's basic block is called
   * eight times, with different arguments). A call in the file the message starts with is given by
   * line and column, one in another file with the file's name too. Past {@link #SHOWN} calls the rest
   * are counted, so blocks nested 100 deep still give a message of one line.
   */
  private static final class InBlock extends NetcException {
    static final int SHOWN = 3;
    private final String problem;
    private final List<String> calls = new ArrayList<>();
    private int more;

    private InBlock(NetcException e) {
      super(e.span(), e.problem());
      this.problem = e.problem();
    }

    /** {@code e} with the call {@code call} of {@code block} added as the outermost so far. */
    static NetcException of(NetcException e, BlockDecl block, Call call) {
      if (e.span() == null) return e; // not a place in the spec: a limit's property, say
      InBlock in = e instanceof InBlock b ? b : new InBlock(e);
      if (in.calls.size() < SHOWN) {
        Span at = call.span();
        boolean here = at.file().displayName().equals(in.span().file().displayName());
        in.calls.add("block " + block.name() + ", called at " + (here ? at.line() + ":" + at.column() : at.location()));
      } else {
        in.more++;
      }
      return in;
    }

    @Override
    public String problem() {
      return problem + " (in " + String.join(", in ", calls) + (more == 0 ? "" : ", and " + more + " calls more") + ")";
    }
  }

  private static String typeName(Object v) {
    if (v instanceof Long) return "integer";
    if (v instanceof Double) return "number";
    if (v instanceof Boolean) return "boolean";
    if (v instanceof List) return "list";
    if (v instanceof BlockDecl b) return "block '" + b.name() + "'";
    return String.valueOf(v);
  }
}
