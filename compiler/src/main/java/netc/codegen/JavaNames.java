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
  private final Set<String> used = new HashSet<>();

  /** {@code layer1.0.conv2} -> {@code layer1_0_conv2}; unique within this instance. */
  String method(String layer) {
    return unique(identifier(layer, false));
  }

  String constant(String layer) {
    return unique(identifier(layer, false).toUpperCase(Locale.ROOT));
  }

  /** {@code resnet50} -> {@code Resnet50}. */
  static String type(String network) {
    String id = identifier(network, true);
    return Character.toUpperCase(id.charAt(0)) + id.substring(1);
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
    if (SourceVersion.isKeyword(id) || id.equals("a") || id.equals("w") || id.equals("ws") || id.equals("K")) id = id + "_";
    return id;
  }

  private String unique(String id) {
    String candidate = id;
    for (int i = 2; !used.add(candidate); i++) candidate = id + "_" + i;
    return candidate;
  }

  /** Text safe inside a comment: no comment terminator, no unicode escape, printable; lines kept. */
  static String comment(String text) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) out.append(out.length() == 0 ? "" : "\n").append(commentLine(line));
    return out.toString();
  }

  private static String commentLine(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') b.append("\\\\");
      else if (c == '*' && i + 1 < text.length() && text.charAt(i + 1) == '/') b.append("* ");
      else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '*') b.append("/ ");
      else if (Character.isISOControl(c)) b.append(' ');
      else b.append(c);
    }
    return b.toString();
  }
}
