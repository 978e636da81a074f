package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** examples/bench-report.sh, which bench.sh and bench-onnx.sh report each ./netc bench run with. */
class BenchReportScriptTest {
  /**
   * The results are the bench's last three lines, warnings and notes beside them; -Dnetc.bench.debug's
   * indented lines (each idle gap, each call's place in a block), printed among them, are not results:
   * they took the paired ratios' place.
   */
  @Test
  void reportsTheLastThreeResultLinesWithoutDebugLines(@TempDir Path dir) throws Exception {
    Path out = Files.writeString(dir.resolve("m.bench"), String.join("\n",
        "netc kernels: vector-256 (AVX2 class); cpu: X; java 17", "measured FP32 peak on 2 threads at 256 bits (x): 200.0 GFLOP/s",
        "onnxruntime 1.23.2: load 90 ms, first call in this JVM 30.0 ms; native library: build/ort-avx2", "outputs agree: x",
        "  gap: 0 ms of CPU in 100 ms, then 100 ms idle",
        "netc         median 37.0 ms (37.0 ms/image; min 36, max 40 over 30 runs), 110.0 GFLOP/s, 55% of peak on the direct count",
        "onnxruntime  median 34.0 ms (34.0 ms/image; min 33, max 36 over 30 runs), 120.0 GFLOP/s, 60% of peak (x)",
        "warning: netc allocated 1.0 MB per timed call", "paired ratios: median 1.079", "  call 2 of a block: netc 37.21 ms, onnxruntime 33.51 ms",
        "  call 3 of a block: netc 38.15 ms, onnxruntime 33.41 ms", "sustained: ratio 1.091", "netc/onnxruntime latency ratio: 1.097", ""));
    Path err = Files.writeString(dir.resolve("m.err"), "");
    Process p = new ProcessBuilder("bash", "-c", ". ../examples/bench-report.sh && bench_report m \"$1\" \"$2\" 0", "report", out.toString(), err.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("report.log").toFile()).start();
    // the output to a file, so the wait can time out: a read of the pipe would block until bash ended
    boolean ended = p.waitFor(30, TimeUnit.SECONDS);
    if (!ended) p.destroyForcibly();
    String printed = Files.readString(dir.resolve("report.log"), StandardCharsets.UTF_8);
    assertTrue(ended, "bench_report did not end in 30 s: " + printed);
    assertEquals(List.of("netc kernels: vector-256 (AVX2 class); cpu: X; java 17", "m: measured FP32 peak on 2 threads at 256 bits (x): 200.0 GFLOP/s",
        "m: onnxruntime 1.23.2: load 90 ms, first call in this JVM 30.0 ms; native library: build/ort-avx2",
        "m: netc         median 37.0 ms (37.0 ms/image; min 36, max 40 over 30 runs), 110.0 GFLOP/s, 55% of peak on the direct count",
        "m: onnxruntime  median 34.0 ms (34.0 ms/image; min 33, max 36 over 30 runs), 120.0 GFLOP/s, 60% of peak (x)",
        "m: warning: netc allocated 1.0 MB per timed call",
        "m: paired ratios: median 1.079", "m: sustained: ratio 1.091", "m: netc/onnxruntime latency ratio: 1.097"), printed.lines().toList());
  }
}
