package netc.codegen;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Turns spec names into Java identifiers and comment text. A spec's layer names and file names reach
 * generated source only through here (identifiers) or JavaPoet's $S (string literals), so no spec
 * text can end a comment, open a string or smuggle a unicode escape into the code.
 */
final class JavaNames {
  /**
   * The longest identifier made from a spec name. Real layer paths are far shorter (resnet152's
   * longest, layer3.35.downsample.0, has 22 characters); a class is also a file, and most file
   * systems refuse names over 255 bytes, and a class file refuses names over 65,535 bytes. A longer
   * name keeps its first characters and ends in a hash of the whole name, so names that differ
   * only past the cut still differ.
   */
  static final int MAX_IDENTIFIER = 100;

  /**
   * Words javac accepts as identifiers only in some places: {@code yield} cannot be called without
   * a receiver (runStep calls each step method so), the others cannot name a type. Never used.
   */
  static final Set<String> RESTRICTED = Set.of("yield", "var", "record", "sealed", "permits", "when", "module", "open", "exports");

  private final Set<String> used = new HashSet<>();

  /**
   * Names the generated class inherits or declares itself (CompiledModel's methods and fields, the
   * ITEMS/PARALLEL/GRAIN/BUNCH_CHUNK tables), which a step method or table must not take: a method
   * with an inherited method's name and parameters would override it.
   */
  JavaNames(Set<String> members) {
    used.addAll(members);
  }

  JavaNames() {
    this(Set.of());
  }

  /** {@code layer1.0.conv2} -> {@code layer1_0_conv2}; unique within this instance. */
  String method(String layer) {
    return unique(identifier(layer, false));
  }

  String constant(String layer) {
    return unique(identifier(layer, false).toUpperCase(Locale.ROOT));
  }

  /**
   * {@code resnet50} -> {@code Resnet50}. A name the generated code already uses for a type it
   * refers to ({@code referenced}: Math, List, Kernels...) or a java.lang class (which the code
   * may name unqualified) gets {@code Model} appended: a class named Math would make the code's
   * Math.min call a method of its own.
   */
  static String type(String network, Set<String> referenced) {
    String id = identifier(network, true);
    id = Character.toUpperCase(id.charAt(0)) + id.substring(1);
    while (referenced.contains(id) || isJavaLang(id)) id = id + "Model";
    return id;
  }

  static String type(String network) {
    return type(network, Set.of());
  }

  /** The longest model name: it is a package segment, a resource folder and part of a module name. */
  static final int MAX_MODEL_NAME = 64;

  /**
   * A network's name as a model name ({@code ResNet-50} -> {@code resnet_50}): lower-case letters,
   * digits and _, starting with a letter, not a Java keyword, so it is a package segment
   * (netc.models.NAME), a resource folder and a module name part as it stands. A name longer than
   * {@link #MAX_MODEL_NAME} keeps its first characters and ends in {@code _} and the hash {@link
   * #identifier} appends, so two networks whose names differ only past the cut get two packages.
   */
  static String modelName(String network) {
    String lower = network.toLowerCase(Locale.ROOT);
    String id = identifier(lower, false).replaceAll("^_+|_+$", "");
    if (id.isEmpty()) id = "model";
    if (!Character.isLetter(id.charAt(0))) id = "m" + id;
    if (id.length() > MAX_MODEL_NAME) id = id.substring(0, MAX_MODEL_NAME - 17) + "_" + hash(lower);
    if (SourceVersion.isKeyword(id) || RESTRICTED.contains(id)) id = id + "_";
    return id;
  }

  /** Why {@code name} cannot be a model's name as given (--name), or null when it can. */
  static String modelNameProblem(String name) {
    if (!name.matches("[a-z][a-z0-9_]*")) return "a model's name is lower-case letters, digits and _, starting with a letter";
    if (name.length() > MAX_MODEL_NAME) return "a model's name has at most " + MAX_MODEL_NAME + " characters";
    if (SourceVersion.isKeyword(name) || RESTRICTED.contains(name)) return "\"" + name + "\" is a Java keyword";
    return null;
  }

  /**
   * java.lang's types that some JDK netc runs on (17 to 25) has and another has not: avoided on every JDK, so a
   * network's class name does not depend on the JDK that compiled it (Compiler.net was CompilerModel on 17, Compiler on 21).
   */
  static final Set<String> JAVA_LANG_OF_SOME_JDKS = Set.of("Compiler", "MatchException", "WrongThreadException", "ScopedValue",
      "StringTemplate", "StableValue", "IO");

  /** Whether java.lang has a class of this simple name, which every compilation unit sees unqualified. */
  static boolean isJavaLang(String simpleName) {
    if (JAVA_LANG_OF_SOME_JDKS.contains(simpleName)) return true;
    try {
      Class.forName("java.lang." + simpleName, false, null); // the boot loader: the JDK's own classes only
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  static String identifier(String name, boolean type) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_');
      b.append(ok ? c : '_');
    }
    String id = b.toString().replaceAll("_+", "_");
    if (id.isEmpty() || id.equals("_")) id = type ? "Network" : "layer";
    if (!Character.isJavaIdentifierStart(id.charAt(0))) id = (type ? "N" : "n") + id;
    if (id.length() > MAX_IDENTIFIER) id = id.substring(0, MAX_IDENTIFIER - 17) + "_" + hash(name);
    if (SourceVersion.isKeyword(id) || RESTRICTED.contains(id) || id.equals("a") || id.equals("w") || id.equals("ws") || id.equals("K")) {
      id = id + "_";
    }
    return id;
  }

  /** 16 hex digits of a 64-bit FNV-1a hash of the name: the same name always gives the same identifier. */
  private static String hash(String name) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < name.length(); i++) {
      h ^= name.charAt(i);
      h *= 0x100000001b3L;
    }
    return String.format("%016x", h);
  }

  private String unique(String id) {
    String candidate = id;
    for (int i = 2; !used.add(candidate); i++) candidate = id + "_" + i;
    return candidate;
  }

  /** Text safe inside a comment: no comment terminator, no unicode escape, printable and shown in order (see commentLine); lines kept. */
  static String comment(String text) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) out.append(out.length() == 0 ? "" : "\n").append(commentLine(line));
    return out.toString();
  }

  /**
   * Text safe inside a Javadoc comment: {@link #comment}'s, and '@', '<' and '&' as HTML entities. javac itself reads
   * a doc comment's "@deprecated" at the start of a line and marks the class or method deprecated (a spec file named
   * "@deprecated resnet18.net" made a deprecated model class); javadoc would read other block and inline tags and
   * markup in a layer's or file's name. netc's own text has none of these three characters.
   */
  static String javadoc(String text) {
    String safe = comment(text);
    StringBuilder b = new StringBuilder(safe.length());
    for (int i = 0; i < safe.length(); i++) {
      char c = safe.charAt(i);
      switch (c) {
        case '@' -> b.append("&#64;");
        case '<' -> b.append("&lt;");
        case '&' -> b.append("&amp;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * One line of comment text: backslashes doubled (no unicode escape reaches javac), comment
   * delimiters split, control characters as spaces, and line and paragraph separators and format
   * characters as [U+XXXX], as BadInputException.oneLine escapes them in messages: an editor shows
   * those as a break or not at all, and a bidirectional override or isolate in a layer or ONNX node
   * name (U+202E) would display the rest of the line reordered (a "Trojan Source" comment).
   */
  private static String commentLine(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
      int c = text.codePointAt(i); // by code point: the tag characters, U+E0000 and up, are format characters too
      int type = Character.getType(c);
      if (c == '\\') b.append("\\\\");
      else if (c == '*' && i + 1 < text.length() && text.charAt(i + 1) == '/') b.append("* ");
      else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '*') b.append("/ ");
      else if (Character.isISOControl(c)) b.append(' ');
      else if (type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        b.append(String.format("[U+%04X]", c));
      } else b.appendCodePoint(c);
    }
    return b.toString();
  }
}
