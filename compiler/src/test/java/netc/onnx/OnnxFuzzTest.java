package netc.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.file.Path;
import java.util.Map;
import netc.ast.NetcException;
import netc.ast.SpecLoader;
import netc.ir.GraphBuilder;
import netc.runtime.BadInputException;

/**
 * Fuzzes ONNX import (FUZZING.md): bytes through the reader, the importer and the graph builder of
 * the spec it writes. A bad model must be one {@link NetcException} or {@link BadInputException}
 * with a one-line message; anything else escaping (an exception of protobuf, a StackOverflowError,
 * an OutOfMemoryError from a size in the file) or a written spec that does not parse is a finding.
 */
class OnnxFuzzTest {
  /** Seeds are hand-made models of a few hundred bytes; hostile lengths need no more. */
  private static final int MAX_LEN = 4096;

  @FuzzTest(maxDuration = "10m")
  void importModel(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    OnnxImporter.Result r;
    try {
      r = OnnxImporter.translate(OnnxReader.read(Path.of("fuzz.onnx"), data));
    } catch (NetcException | BadInputException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("fuzz.onnx: ") || e.getMessage().lines().count() != 1) {
        throw new AssertionError("a bad model needs one line naming the file: " + e.getMessage(), e);
      }
      return;
    }
    SpecLoader.Program program;
    try {
      program = SpecLoader.fromText("imported", r.spec());
    } catch (NetcException e) {
      throw new AssertionError("the importer wrote a spec that does not parse: " + e.format() + "\n" + r.spec(), e);
    }
    try {
      GraphBuilder.build(program, Map.of());
    } catch (NetcException e) {
      // the importer checks shapes as it goes; the builder's own limits (sizes, nesting) may still refuse a model,
      // in one line of its own words. Anything else (a shape the importer let through, a message of no limit) is a finding
      String first = e.format().lines().findFirst().orElse("");
      if (!first.matches(".*(more than|too large|limit|at most).*")) {
        throw new AssertionError("the builder refused an imported spec other than by a limit: " + e.format() + "\n" + r.spec(), e);
      }
    }
  }
}
