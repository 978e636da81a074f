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

  /** Set in the restarted JVM's environment, so that it never restarts again. */
  static final String GUARD = "NETC_RELAUNCHED";

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
    pb.environment().put(GUARD, "1");
    Process child;
    try {
      child = pb.start();
    } catch (IOException | UnsupportedOperationException e) {
      return; // run here, on the scalar kernels; Kernels says so once
    }
    Thread reaper = new Thread(child::destroy);
    Runtime.getRuntime().addShutdownHook(reaper); // Ctrl-C on this JVM stops the child too
    int status;
    try {
      status = child.waitFor();
    } catch (InterruptedException e) {
      child.destroy();
      status = 130;
    }
    Runtime.getRuntime().removeShutdownHook(reaper);
    System.exit(status);
  }

  /** The command that reruns {@code main} with the module, or null when this JVM should just go on. */
  static List<String> command(Class<?> main, String[] args) {
    if (ModuleLayer.boot().findModule(MODULE).isPresent()) return null;
    if ("false".equals(System.getProperty(PROPERTY)) || System.getenv(GUARD) != null) return null;
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
    List<String> out = new ArrayList<>();
    out.add(launcher.toString());
    out.addAll(jvmOptions);
    out.add("--add-modules");
    out.add(MODULE);
    out.add("-cp");
    out.add(classPath);
    out.add(main.getName());
    out.addAll(List.of(args));
    return out;
  }

  private static boolean systemHasVector() {
    return java.lang.module.ModuleFinder.ofSystem().find(MODULE).isPresent();
  }
}
