package netc.codegen;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/** Compiles generated source in-process with javax.tools against the runtime's classes. */
final class JavaSourceCompiler {
  private JavaSourceCompiler() {}

  /**
   * This JVM's javac, or a refusal naming the JVM: netc run on a JRE (JAVA_HOME at one, after a build on a JDK)
   * ended in an "internal error", exit 3, after the weights were packed.
   */
  static JavaCompiler require() {
    return require(ToolProvider.getSystemJavaCompiler());
  }

  /** {@code javac}, the JVM's (null on a JRE), or the refusal. */
  static JavaCompiler require(JavaCompiler javac) {
    if (javac == null) {
      throw new netc.runtime.BadInputException("no Java compiler in this JVM (" + System.getProperty("java.home") + "): netc compiles the"
          + " generated Java with javac in process, which a JRE lacks; run it on a JDK 17 or later (JAVA_HOME)");
    }
    return javac;
  }

  static void compile(String className, String source, Path classpath, Path outDir) throws IOException {
    JavaCompiler javac = require();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(outDir));
      files.setLocationFromPaths(StandardLocation.CLASS_PATH, List.of(classpath));
      JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///" + className.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return source;
        }
      };
      List<String> options = new ArrayList<>(List.of("--release", "17", "-g:none", "-Xlint:none", "-implicit:none"));
      boolean ok = javac.getTask(null, files, diagnostics, options, null, List.of(unit)).call();
      if (!ok) {
        StringBuilder b = new StringBuilder("generated code for " + className + " did not compile (a netc bug):");
        List<String> lines = source.lines().toList();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
          b.append("\n  line ").append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT));
          long at = d.getLineNumber();
          if (at >= 1 && at <= lines.size()) { // the line itself, for the bug report
            String line = lines.get((int) at - 1).strip();
            b.append("\n    ").append(line.length() > 160 ? line.substring(0, 160) + "..." : line);
          }
        }
        throw new IllegalStateException(b.toString());
      }
    }
  }
}
