package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import netc.runtime.CompiledModel;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use it from Java" is this project: every line of a block under an
 * {@code <!-- example: FILE -->} marker is a line of FILE, in order, and the {@code java} line under
 * {@code <!-- run: examples/embedded -->} runs Classify as the README says it does.
 */
class ReadmeTest {
  static final Path ROOT = Path.of("../..");
  static final Path README = ROOT.resolve("README.md");

  /** A marker comment, then a fenced block: group 1 the kind, 2 the path, 3 the block's lines. */
  static final Pattern BLOCK = Pattern.compile("<!-- (example|run): (\\S+) -->\\n```[a-z]*\\n(.*?)\\n```", Pattern.DOTALL);

  /** In a README block, a line standing for lines left out. */
  static final String ELIDED = "...";

  /** The README's jar path of the runtime: where `mvn install` puts it. */
  static final String INSTALLED_RUNTIME = "$HOME/.m2/repository/dev/netc/netc-runtime/0.1.0/netc-runtime-0.1.0.jar";

  /** How long the README's java line may take (a JVM start and a tiny model): far above its second or so. */
  static final long RUN_TIMEOUT_SECONDS = 60;

  @Test
  void theReadmesBlocksAreTheExamplesOwnLines() throws IOException {
    Map<String, List<String>> blocks = blocks("example");
    assertEquals(List.of("examples/embedded/pom.xml", "examples/embedded/src/main/java/example/Classify.java"), List.copyOf(blocks.keySet()),
        "the README shows the example's pom lines and its code");
    String version = projectVersion();
    for (var block : blocks.entrySet()) {
      List<String> file = Files.readAllLines(ROOT.resolve(block.getKey())).stream()
          .map(l -> l.replace("${project.version}", version).strip()).toList();
      int at = 0;
      for (String line : block.getValue()) {
        String want = line.strip();
        if (want.isEmpty() || want.equals(ELIDED)) continue;
        int found = indexFrom(file, want, at);
        if (found < 0) fail("README.md, the block of " + block.getKey() + ": no such line (after line " + at + " of the file): " + want);
        at = found + 1;
      }
    }
  }

  @Test
  void theReadmesJavaLineRunsClassify() throws Exception {
    List<String> commands = blocks("run").get("examples/embedded");
    assertEquals("cd examples/embedded", commands.get(0));
    assertTrue(commands.get(1).startsWith("mvn ") && commands.get(1).endsWith(" package"), commands.get(1));
    List<String> argv = shellWords(commands.get(2));
    assertTrue(commands.get(2).contains(" -cp \"target/classes:" + INSTALLED_RUNTIME + "\" "), "the class path is quoted, $HOME may hold a space: " + commands.get(2));
    assertEquals("java", argv.get(0));
    argv.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    int cp = argv.indexOf("-cp") + 1;
    assertTrue(cp > 0 && argv.get(cp).endsWith(":" + INSTALLED_RUNTIME), argv.toString());
    // this build has not installed the runtime: the reactor's runtime stands in for ~/.m2's
    Path runtime = Path.of(CompiledModel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    argv.set(cp, argv.get(cp).replace(INSTALLED_RUNTIME, runtime.toString()));

    // its output to a file, read once it has ended: reading the pipe first blocked until it ended, so the timeout never came
    Path log = Files.createTempFile("readme-run", ".log");
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String output;
    try {
      assertTrue(p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS), "the README's java line did not end in " + RUN_TIMEOUT_SECONDS + " s");
      output = Files.readString(log, StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(log);
    }
    assertEquals(0, p.exitValue(), output);
    ByteArrayOutputStream same = new ByteArrayOutputStream();
    Classify.run(argv.subList(argv.indexOf("example.Classify") + 1, argv.size()).toArray(String[]::new),
        new PrintStream(same, true, StandardCharsets.UTF_8), System.err);
    List<String> lines = output.lines().filter(l -> l.startsWith("digit ")).toList();
    assertEquals(same.toString(StandardCharsets.UTF_8).lines().toList(), lines, output);
    assertTrue(lines.get(0).startsWith("digit 0: 7 1.000 "), "the README says it prints this: " + lines.get(0));
    assertTrue(Files.readString(README).contains("prints `digit 0: 7 1.000 ...`"), "the README's promised output");
  }

  /**
   * A command line split as a shell splits words without expansions: spaces separate, double quotes group (the
   * README quotes its class path, which holds $HOME, so a home folder with a space in it still works).
   */
  static List<String> shellWords(String line) {
    assertFalse(line.matches(".*[\\\\'`].*"), "the README's java line uses only double quotes: " + line);
    List<String> words = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"|[^\\s\"]+").matcher(line);
    int end = 0;
    while (m.find()) {
      assertTrue(line.substring(end, m.start()).isBlank(), "a quote joined to a word in: " + line);
      words.add(m.group(1) != null ? m.group(1) : m.group());
      end = m.end();
    }
    assertTrue(line.substring(end).isBlank(), "an unclosed quote in: " + line);
    return words;
  }

  /** The README's blocks of one kind, by the path in their markers, in the README's order. */
  static Map<String, List<String>> blocks(String kind) throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = BLOCK.matcher(Files.readString(README));
    while (m.find()) {
      if (m.group(1).equals(kind)) out.put(m.group(2), m.group(3).lines().toList());
    }
    return out;
  }

  /** The version of netc-parent, which the example's poms write as ${project.version}. */
  static String projectVersion() throws IOException {
    Matcher m = Pattern.compile("<artifactId>netc-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertTrue(m.find(), "the root pom's version");
    return m.group(1);
  }

  private static int indexFrom(List<String> lines, String line, int from) {
    for (int i = from; i < lines.size(); i++) if (lines.get(i).equals(line)) return i;
    return -1;
  }
}
