package netc.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes {@code java -jar MODEL.jar} run the vector kernels without the user typing
 * {@code --add-modules jdk.incubator.vector}. An incubator module is never resolved unless asked
 * for, and a jar's manifest cannot ask (it may carry Add-Exports and Add-Opens, not Add-Modules);
 * so when the module is missing, {@code main} starts the same JVM again (same java, same JVM
 * options and class path) with the module added, passes its I/O through, and exits with its
 * status. The cost is one JVM start (measured in README.md); {@code -Dnetc.relaunch=false} or the
 * flag typed by hand avoid it.
 */
final class Relaunch {
  /** Set to false to run in this JVM without the Vector API (the scalar kernels, with a warning). */
  static final String PROPERTY = "netc.relaunch";

  /**
   * JVM options (prefixes) that a second JVM must not repeat: a debugger's or JMX's port (the first JVM
   * holds it), a flight recording's file (the first JVM would overwrite the second's), any agent, native
   * or Java (a profiler's or tracer's port or output file, or one agent's work done twice: two profiles, two
   * connections to its server), and pre-touching the heap (the idle first JVM would keep a whole heap
   * committed beside the second's). With one of them the jar runs in place, on the scalar kernels, and
   * says how to get the vector ones.
   */
  static final java.util.List<String> NOT_TWICE = java.util.List.of("-agentlib:", "-agentpath:", "-javaagent:", "-Xrun",
      "-Dcom.sun.management.jmxremote", "-XX:StartFlightRecording", "-XX:+FlightRecorder", "-XX:+AlwaysPreTouch");

  /** Environment variables the JVM reads options from: already in the input arguments passed on, so not given twice. */
  static final java.util.List<String> OPTION_VARIABLES = java.util.List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  static final String MODULE = "jdk.incubator.vector";

  private Relaunch() {}

  /**
   * Returns when this JVM has the Vector API module, or when it cannot or must not restart;
   * otherwise runs {@code main} in a JVM with the module and exits with its status.
   */
  static void withVectorModule(Class<?> main, String[] args) {
    List<String> command = command(main, args);
    if (command == null) return;
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    OPTION_VARIABLES.forEach(pb.environment()::remove);
    Process child;
    try {
      child = pb.start();
    } catch (IOException | UnsupportedOperationException e) {
      return; // run here, on the scalar kernels; Kernels says so once
    }
    Thread reaper = new Thread(() -> { // Ctrl-C on this JVM stops the child too, and waits for it a moment
      child.destroy();
      try {
        child.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException ignored) {
        // shutting down anyway
      }
    });
    Runtime.getRuntime().addShutdownHook(reaper);
    int status;
    try {
      status = child.waitFor();
    } catch (InterruptedException e) {
      child.destroy();
      status = 130;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway; the child has ended
    }
    System.exit(status);
  }

  /** The command that reruns {@code main} with the module, or null when this JVM should just go on. */
  static List<String> command(Class<?> main, String[] args) {
    if (ModuleLayer.boot().findModule(MODULE).isPresent()) return null;
    if ("false".equals(System.getProperty(PROPERTY))) return null; // asked not to, or the restarted JVM itself
    if (!systemHasVector()) return null; // a runtime image without the module: nothing to add
    Path launcher = Path.of(System.getProperty("java.home"), "bin", File.separatorChar == '\\' ? "java.exe" : "java");
    String classPath = System.getProperty("java.class.path", "");
    if (!Files.isExecutable(launcher) || classPath.isEmpty()) return null;
    List<String> jvmOptions;
    try {
      jvmOptions = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
    } catch (LinkageError e) {
      return null; // no java.management in this runtime: the options could not be passed on
    }
    if (notTwice(jvmOptions) != null) return null;
    List<String> out = new ArrayList<>();
    out.add(launcher.toString());
    out.addAll(jvmOptions);
    out.add("-D" + PROPERTY + "=false"); // the restarted JVM never restarts again
    out.add("--add-modules");
    out.add(MODULE);
    out.add("-cp");
    out.add(classPath);
    out.add(main.getName());
    out.addAll(List.of(args));
    return out;
  }

  /** The first of {@code jvmOptions} that must not run in two JVMs at once ({@link #NOT_TWICE}), or null. */
  static String notTwice(List<String> jvmOptions) {
    for (String option : jvmOptions) {
      for (String prefix : NOT_TWICE) if (option.startsWith(prefix)) return option;
    }
    return null;
  }

  private static boolean systemHasVector() {
    return java.lang.module.ModuleFinder.ofSystem().find(MODULE).isPresent();
  }
}
