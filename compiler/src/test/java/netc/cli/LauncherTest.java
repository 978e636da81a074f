package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script {@code ./netc}, run by bash in a copy of the repository's layout whose {@code
 * mvn} and {@code java} are stand-ins: each records what it was asked, the stand-in Maven makes the
 * files a build leaves, and the stand-in java says which class and arguments it got. So what is
 * tested is the script's own logic (which build a command needs, when it builds again, what a failed
 * build leaves, the lock between a build and running commands, the stderr filter), in seconds.
 */
class LauncherTest {
  @TempDir Path temp;
  /** The copy's root: a name with a space and brackets, which the script must take as it is (no glob, no word split). */
  Path root;
  Path events;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void layout() throws IOException {
    Path launcher = Path.of("..", "netc");
    Assumptions.assumeTrue(Files.isRegularFile(launcher), "the launcher beside the modules");
    Assumptions.assumeTrue(onPath("bash") && onPath("find") && (onPath("sha256sum") || onPath("shasum")),
        "bash, find and a sha256 tool (any Linux or macOS)");
    root = Files.createDirectories(temp.resolve("net c [1]"));
    Files.copy(launcher, root.resolve("netc"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String file : List.of("pom.xml", "grammar/pom.xml", "grammar/src/main/antlr4/Netc.g4",
        "runtime/pom.xml", "runtime/src/main/java/R.java", "compiler/pom.xml",
        "compiler/src/main/java/C.java", "examples/pom.xml", "examples/src/main/java/E.java",
        "maven-plugin/src/main/java/P.java")) {
      write(root.resolve(file), file + "\n");
    }
    events = root.resolve("events.log");
    // Maven: records its arguments, fails on request, and otherwise leaves what the launcher runs from
    script(root.resolve("bin/mvn"), """
        #!/usr/bin/env bash
        echo "mvn $*" >>events.log
        if [ -n "${FAKE_MVN_FAIL:-}" ]; then echo "[ERROR] the build broke"; exit 1; fi
        if [ -n "${FAKE_MVN_KILLED:-}" ]; then echo "[INFO] half a build"; exit 137; fi # the out-of-memory killer's SIGKILL
        if [ -n "${FAKE_MVN_INTERRUPTED:-}" ]; then # Ctrl-C: the terminal's SIGINT reaches the launcher too, and Maven ends by it
          kill -INT "$(ps -o ppid= -p "$PPID" | tr -d ' ')"
          echo "[INFO] interrupted"; exit 130
        fi
        mods=$(echo " $* " | sed -n 's/.* -pl \\([^ ]*\\) .*/\\1/p')
        mkdir -p compiler/target/classes/netc/cli compiler/target/lib
        touch compiler/target/classes/netc/cli/Main.class compiler/target/lib/netc-runtime.jar
        if [ "$mods" = examples ]; then
          mkdir -p examples/target/classes/netc/examples examples/target/lib
          touch examples/target/classes/netc/examples/Bench.class examples/target/lib/onnxruntime.jar
        fi
        """);
    // java: names its main class and arguments, writes the JVM's incubator warning and one line of
    // its own to stderr, optionally holds on while a file is there (a long command), and exits 3; a TERM
    // ends it with 143, as the JVM's shutdown does
    script(root.resolve("jdk/bin/java"), """
        #!/usr/bin/env bash
        main=; prev=
        for a in "$@"; do if [ "$prev" = -cp ]; then main=next; elif [ "$main" = next ]; then main=$a; fi; prev=$a; done
        trap 'echo "java got TERM" >>"$NETC_EVENTS"; echo "error: stopped by TERM" >&2; exit 143' TERM
        echo "java start $main" >>"$NETC_EVENTS"
        echo "main=$main"
        printf 'arg=%s\\n' "$@"
        echo "WARNING: Using incubator modules: jdk.incubator.vector" >&2
        for i in $(seq 1 600); do [ -e "${FAKE_JAVA_HOLD:-/nonexistent}" ] || break; sleep 0.1 & wait $!; done
        echo "java end $main" >>"$NETC_EVENTS"
        echo "error: something the user must see" >&2
        exit 3
        """);
  }

  @Test
  void aCommandBuildsTheCompilerOnlyAndOnlyOnce() throws Exception {
    Run first = netc(Map.of(), "compile", "x.net");
    assertEquals(3, first.exit(), "java's exit status");
    assertTrue(first.out().contains("main=netc.cli.Main\n"), first.out());
    assertTrue(first.out().contains("arg=netc.cli.Main\narg=compile\narg=x.net\n"), first.out());
    assertTrue(first.err().contains("netc: building netc"), first.err());
    assertEquals(List.of("-pl compiler -am"), builds(), "the compiler and what it needs, not ONNX Runtime's examples");
    assertFalse(Files.exists(root.resolve("examples/target")));

    Run second = netc(Map.of(), "summary", "x.net");
    assertEquals(3, second.exit());
    assertFalse(second.err().contains("building"), second.err());
    assertEquals(1, builds().size(), "nothing changed: no second build");
  }

  @Test
  void theBenchmarksBuildTheirOwnModuleWhenFirstAsked() throws Exception {
    netc(Map.of(), "--version");
    Run bench = netc(Map.of(), "bench", "x.net", "--runs", "3");
    assertTrue(bench.err().contains("netc: building benchmarks"), bench.err());
    assertTrue(bench.out().contains("arg=netc.examples.Bench\narg=x.net\narg=--runs\narg=3\n"), bench.out());
    assertTrue(bench.out().contains(root.resolve("examples/target/classes").toString()), "examples' class path");
    Run help = netc(Map.of(), "help", "compare");
    assertTrue(help.out().contains("arg=netc.examples.CompareJars\narg=--help\n"), help.out());
    netc(Map.of(), "--version");
    assertEquals(List.of("-pl compiler -am", "-pl examples -am"), builds(),
        "the benchmarks' build (which rebuilt the compiler too) leaves both up to date");
  }

  @Test
  void aChangedSourceRebuildsWhatReadsIt() throws Exception {
    netc(Map.of(), "bench", "--help");
    append(root.resolve("examples/src/main/java/E.java"));
    netc(Map.of(), "--version");
    assertEquals(1, builds().size(), "the compiler does not read examples/");
    netc(Map.of(), "bench", "--help");
    assertEquals(2, builds().size(), "the benchmarks do");

    append(root.resolve("maven-plugin/src/main/java/P.java"));
    netc(Map.of(), "--version");
    assertEquals(2, builds().size(), "the launcher does not build the Maven plugin, so its sources do not count");

    append(root.resolve("runtime/src/main/java/R.java"));
    netc(Map.of(), "--version");
    netc(Map.of(), "bench", "--help");
    assertEquals(List.of("-pl examples -am", "-pl examples -am", "-pl compiler -am", "-pl examples -am"), builds());

    Files.delete(root.resolve("compiler/target/classes/netc/cli/Main.class")); // mvn clean
    netc(Map.of(), "--version");
    assertEquals(5, builds().size(), "the classes it runs from are gone");
  }

  /**
   * Classes written after the launcher's build, from sources it cannot know (mvn install of a stashed checkout, which
   * left a session measuring classes two commits old while the sources matched the stamp): built again. Nothing
   * written since: no build.
   */
  @Test
  void classesBuiltOutsideTheLauncherAreBuiltAgain() throws Exception {
    netc(Map.of(), "--version");
    netc(Map.of(), "--version");
    assertEquals(1, builds().size(), "up to date");
    Path stamp = root.resolve("build/.netc-built"), main = root.resolve("compiler/target/classes/netc/cli/Main.class");
    Files.setLastModifiedTime(main, FileTime.fromMillis(Files.getLastModifiedTime(stamp).toMillis() + 5000));
    Run r = netc(Map.of(), "--version");
    assertTrue(r.err().contains("netc: building netc"), r.err());
    assertEquals(2, builds().size(), "a class newer than the build's stamp");
    netc(Map.of(), "--version");
    assertEquals(2, builds().size(), "built again, up to date again");
    // what mvn test writes (test classes, reports), and a jar copied with its repository's time ahead of the clock
    // (copy-dependencies keeps it, so a rebuild would copy it back as it was, and rebuild again): no build
    FileTime ahead = FileTime.fromMillis(Files.getLastModifiedTime(stamp).toMillis() + 5000);
    write(root.resolve("compiler/target/test-classes/netc/cli/T.class"), "t\n");
    write(root.resolve("compiler/target/surefire-reports/T.txt"), "t\n");
    Files.setLastModifiedTime(root.resolve("compiler/target/test-classes/netc/cli/T.class"), ahead);
    Files.setLastModifiedTime(root.resolve("compiler/target/lib/netc-runtime.jar"), ahead);
    netc(Map.of(), "--version");
    assertEquals(2, builds().size(), "test classes, reports and dependency jars are not what the launcher compiled");
  }

  @Test
  void aFailedBuildSaysSoRunsNothingAndIsTriedAgain() throws Exception {
    Run failed = netc(Map.of("FAKE_MVN_FAIL", "1"), "compile", "x.net");
    assertEquals(1, failed.exit());
    assertTrue(failed.err().contains("[ERROR] the build broke\nnetc: build failed (mvn's status 1)\n"), failed.err());
    assertEquals("", failed.out(), "java did not run");
    Run again = netc(Map.of(), "compile", "x.net");
    assertEquals(3, again.exit());
    assertEquals(2, builds().size());
  }

  @Test
  void javasIncubatorWarningIsDroppedAndEverythingElsePasses() throws Exception {
    Run run = netc(Map.of("NETC_JAVA_OPTS", "-Xlog:gc* -Xmx1g"), "--version");
    assertTrue(run.out().contains("arg=-Xlog:gc*\narg=-Xmx1g\n"), "split at spaces, not globbed: " + run.out());
    // java's last line, written as it exits, is there when netc returns (with java exec'd behind the filter, a
    // third of these runs lost it; macOS's bash 3.2 still execs it)
    for (int i = 0; bashWaitsForJava() && i < 20; i++) {
      Run r = netc(Map.of(), "compile", "x.net");
      assertEquals(3, r.exit());
      assertTrue(r.err().endsWith("error: something the user must see\n"), "run " + i + ": " + r.err());
      assertFalse(r.err().contains("incubator"), r.err());
    }
  }

  /** Whether the bash the tests run has what the launcher needs to wait for java and its filter: 4.4 or later (macOS's 3.2 execs java). */
  static boolean bashWaitsForJava() throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "(( BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4) ))").start();
    return p.waitFor() == 0;
  }

  /**
   * Whether this JVM was started with signal {@code number} ignored, as a shell starts a background job
   * ({@code cmd &} ignores INT, nohup HUP): every process it starts inherits that, and bash cannot trap or
   * reset a signal ignored at its entry, so no launcher here can see it (Linux's /proc/self/status says;
   * elsewhere, taken as not ignored).
   */
  static boolean signalIgnored(int number) throws java.io.IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) return false;
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (number - 1))) != 0;
    }
    return false;
  }

  @Test
  void signalsReachJava() throws Exception {
    Assumptions.assumeTrue(bashWaitsForJava(), "bash 4.4 or later");
    netc(Map.of(), "--version");
    // each signal where it can arrive: a suite run as a background job (or under nohup) ignores INT (or HUP) in all it starts
    Map<String, Integer> numbers = Map.of("TERM", 15, "INT", 2, "HUP", 1);
    List<String> signals = new java.util.ArrayList<>();
    for (String signal : List.of("TERM", "INT", "HUP")) if (!signalIgnored(numbers.get(signal))) signals.add(signal);
    Assumptions.assumeTrue(signals.contains("TERM"), "TERM is ignored here: no signal would reach java");
    for (String signal : signals) {
      Path hold = Files.writeString(root.resolve("hold"), "");
      Files.deleteIfExists(events);
      Process p = start(Map.of("FAKE_JAVA_HOLD", hold.toString()), "run", "long.jar");
      waitFor(() -> Files.exists(events) && Files.readString(events).contains("java start"));
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
      assertEquals(0, kill.waitFor());
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), signal + ": the launcher ended");
      assertEquals(signal.equals("INT") ? 130 : 143, p.exitValue(), signal + " (Ctrl-C's status for INT, java's for the others)");
      assertTrue(Files.readString(events).contains("java got TERM\n"), signal + ": " + Files.readString(events));
      assertTrue(Files.readString(root.resolve("background-err.txt")).endsWith("error: stopped by TERM\n"), "what java said as it stopped");
      Files.delete(hold);
    }
  }

  @Test
  void anInterruptedBuildIsNotAFailedOneButAKilledMavenIs() throws Exception {
    Assumptions.assumeTrue(onPath("ps"), "ps");
    Assumptions.assumeFalse(signalIgnored(2), "SIGINT is ignored here (the suite runs as a background job): no Ctrl-C can reach the build");
    Run run = netc(Map.of("FAKE_MVN_INTERRUPTED", "1"), "--version");
    assertEquals(130, run.exit());
    assertEquals("netc: building netc (once; about a minute)...\nnetc: build interrupted\n", run.err(), "no build log, no \"failed\"");
    run = netc(Map.of("FAKE_MVN_KILLED", "1"), "--version");
    assertEquals(1, run.exit());
    assertTrue(run.err().endsWith("[INFO] half a build\nnetc: build failed (mvn's status 137)\n"), "not Ctrl-C: the log is shown\n" + run.err());
  }

  /** A checkout under a path with a ':' (which no Java class path can hold) is refused up front, before any build. */
  @Test
  void aCheckoutWhosePathHoldsAColonIsRefusedBeforeABuild() throws Exception {
    Path colon = Files.createDirectories(temp.resolve("a:b"));
    Files.copy(root.resolve("netc"), colon.resolve("netc"), StandardCopyOption.COPY_ATTRIBUTES);
    ProcessBuilder pb = new ProcessBuilder("bash", colon.resolve("netc").toString(), "--version").directory(temp.toFile())
        .redirectOutput(root.resolve("out.txt").toFile()).redirectError(root.resolve("err.txt").toFile());
    env(pb);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue());
    assertEquals("netc: the checkout's path " + colon + " holds a ':', which a Java class path cannot; move the checkout, or run it through a"
        + " link to its folder\n", Files.readString(root.resolve("err.txt")));
    assertEquals(List.of(), builds());
  }

  @Test
  void aLinkToTheLauncherRunsTheCheckout() throws Exception {
    Path bin = Files.createDirectories(temp.resolve("home/bin")), other = Files.createDirectories(temp.resolve("elsewhere"));
    try {
      Files.createSymbolicLink(other.resolve("netc-link"), root.resolve("netc")); // a link to a link, the second relative
      Files.createSymbolicLink(bin.resolve("netc"), Path.of("../../elsewhere/netc-link"));
    } catch (UnsupportedOperationException | IOException noLinks) {
      Assumptions.abort("no symbolic links here");
    }
    ProcessBuilder pb = new ProcessBuilder("bash", bin.resolve("netc").toString(), "--version").directory(temp.toFile())
        .redirectOutput(root.resolve("out.txt").toFile()).redirectError(root.resolve("err.txt").toFile());
    env(pb);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertTrue(Files.readString(root.resolve("out.txt")).contains("arg=-Dnetc.home=" + root + "\n"), Files.readString(root.resolve("out.txt")));
  }

  @Test
  void aRebuildWaitsForTheCommandsRunningFromTheBuild() throws Exception {
    Assumptions.assumeTrue(onPath("flock"), "flock (util-linux)");
    netc(Map.of(), "--version"); // built, and run once
    Path hold = Files.writeString(root.resolve("hold"), "");
    Process running = start(Map.of("FAKE_JAVA_HOLD", hold.toString()), "run", "long.jar");
    waitFor(() -> Files.readAllLines(events).stream().filter(l -> l.startsWith("java start")).count() == 2);
    append(root.resolve("compiler/src/main/java/C.java"));
    Process rebuild = start(Map.of(), "--version");
    waitFor(() -> Files.readString(root.resolve("err.txt")).contains("netc: waiting for other netc commands to end"));
    Files.delete(hold); // the long command ends only now: the rebuild has been waiting for it
    assertTrue(running.waitFor(60, TimeUnit.SECONDS));
    assertTrue(rebuild.waitFor(60, TimeUnit.SECONDS));
    List<String> log = Files.readAllLines(events).stream().map(l -> l.startsWith("mvn ") ? "mvn" : l).toList();
    assertEquals(List.of("mvn", "java start netc.cli.Main", "java end netc.cli.Main",
        "java start netc.cli.Main", "java end netc.cli.Main", // the long command
        "mvn", "java start netc.cli.Main", "java end netc.cli.Main"), log,
        "the rebuild came after the running command ended");
  }

  /**
   * Commands started together after a change all run once one of them has built: the others wait for the build,
   * not for the first one's java to end (they waited for the lock alone, which a running command holds shared).
   */
  @Test
  void commandsStartedTogetherAfterAChangeRunTogether() throws Exception {
    Assumptions.assumeTrue(onPath("flock"), "flock (util-linux)");
    netc(Map.of(), "--version");
    append(root.resolve("runtime/src/main/java/R.java"));
    Files.delete(events);
    Path hold = Files.writeString(root.resolve("hold"), "");
    List<Process> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) all.add(start(Map.of("FAKE_JAVA_HOLD", hold.toString()), "run", "m" + i + ".jar"));
    try {
      waitFor(() -> Files.exists(events) && Files.readAllLines(events).stream().filter(l -> l.startsWith("java start")).count() == 3);
      assertEquals(1, builds().size(), "one build for the three");
    } finally {
      Files.delete(hold);
      for (Process p : all) assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }
  }

  // ---- helpers

  Run netc(Map<String, String> env, String... args) throws Exception {
    Process p = start(env, args);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher ended");
    return new Run(p.exitValue(), Files.readString(root.resolve("out.txt")), Files.readString(root.resolve("err.txt")));
  }

  private int held;

  Process start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("bash", root.resolve("netc").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
    env(pb);
    pb.environment().putAll(env);
    // a command held open writes to files of its own (background-err.txt, then background2-err.txt, ...)
    String name = !env.containsKey("FAKE_JAVA_HOLD") ? "" : "background" + (held++ == 0 ? "" : Integer.toString(held));
    pb.redirectOutput(root.resolve(name.isEmpty() ? "out.txt" : name + ".txt").toFile());
    pb.redirectError(root.resolve(name.isEmpty() ? "err.txt" : name + "-err.txt").toFile());
    return pb.start();
  }

  /** The stand-ins' environment: mvn and java found first, no options of the user's. */
  void env(ProcessBuilder pb) {
    pb.environment().put("PATH", root.resolve("bin") + ":" + System.getenv("PATH"));
    pb.environment().put("JAVA_HOME", root.resolve("jdk").toString());
    pb.environment().put("NETC_EVENTS", events.toString());
    pb.environment().remove("NETC_JAVA_OPTS");
    pb.environment().remove("NETC_MAVEN_OPTS");
  }

  /** The modules of each build so far, in order: "-pl compiler -am" and the like. */
  List<String> builds() throws IOException {
    if (!Files.exists(events)) return List.of();
    return Files.readAllLines(events).stream().filter(l -> l.startsWith("mvn "))
        .map(l -> l.replaceAll(".*( -pl \\S+ -am).*", "$1").trim()).toList();
  }

  interface Check {
    boolean holds() throws IOException;
  }

  static void waitFor(Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!check.holds()) {
      assertTrue(System.nanoTime() < deadline, "timed out");
      Thread.sleep(20);
    }
  }

  static void append(Path file) throws IOException {
    Files.writeString(file, "// changed\n", StandardOpenOption.APPEND);
  }

  static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  static void script(Path file, String text) throws IOException {
    write(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
    }
    return false;
  }
}
