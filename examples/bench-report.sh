# Sourced by bench.sh and bench-onnx.sh: how one ./netc bench run is reported. Its output is read whole
# once it has ended: its last lines are results only if it exited 0 (a check that fails in the
# sustained phase comes after the paired ratios were printed).
#   bench_report LABEL OUT ERR EXIT [WHAT]   (WHAT, e.g. "at batch 8", goes into the FAILED line)
# prints, the first time, the bench's "netc kernels: ...; cpu: ..." line and its "transparent huge pages:
# ..." part (what the figures were measured on); then the bench's error output (to stderr, each line after LABEL); then either its warnings,
# notes, peak probes, ONNX Runtime's native library, each engine's median (GFLOP/s, % of peak) and its last three lines (the paired
# ratios, the sustained ratio, the after-idle ratio) or, when EXIT is
# not 0, a FAILED line and no ratio, setting status=1.
bench_header=
bench_report() {
  local label=$1 out=$2 err=$3 code=$4 what=${5:+ $5}
  if [ -z "$bench_header" ]; then
    bench_header=$(grep -m1 '^netc kernels: ' "$out" || true)
    if [ -n "$bench_header" ]; then echo "$bench_header"; fi
    # the pages each engine's memory is on (the launcher asks huge pages for both where the kernel allows)
    grep -m1 -o 'transparent huge pages: .*' "$out" || true
  fi
  sed "s/^/$label: /" "$err" >&2
  if [ "$code" -ne 0 ]; then
    echo "$label: the bench FAILED$what (exit $code; its error above): no ratio from it"
    status=1
    return
  fi
  # (indented lines are -Dnetc.bench.debug's: each idle gap, each call's place in a block; not results)
  # each engine's median with its GFLOP/s and % of the measured peak, the peak probes (of the width netc's kernels use) and
  # the native library ONNX Runtime loaded (build/ort-avx2's, or the stock one, whose AVX-512 kernels an AVX-512 host runs)
  awk '/^(warning: |note: |measured FP32 peak|onnxruntime .*native library: )/ { print; next } /^(netc|onnxruntime) +median / { print; next }
       /^  / { next } { n++; last[n % 3] = $0 } END { for (i = n - 2; i <= n; i++) if (i > 0) print last[i % 3] }' \
    "$out" | sed "s/^/$label: /"
}
