#!/usr/bin/env bash
# The ONNX import's whole-model table: for each full-size torchvision classifier (random weights,
# non-trivial batch-norm statistics, opset 13, dynamic batch; exported once into build/onnx/ by
# weights/export_onnx_classifier.py, which needs Debian's python3-torch, -torchvision and -onnx),
# netc's logits against torch's at batch 2 (error over max |logit|, must be <= 1e-4) and
# ./netc bench against ONNX Runtime at batch 1, 2 threads (its peak probes, the ONNX Runtime library loaded, each
# engine's median with its GFLOP/s and share of the peak, and its last three lines: the paired ratios,
# the sustained ratio and the after-idle one; its warning if netc allocated in its timed calls, its note
# if an idle wait gave up; and any warning of the jar's own run), after the bench's "netc kernels: ...;
# cpu: ..." line, once. A model whose parity fails (compare.py's error line, or its line with the error
# over 1e-4) gets a "parity FAILED" line and no bench: ratios of a wrong answer would read as results.
# A model whose export, compile, run or bench fails gets its error and a "FAILED" line instead. Either way the
# script exits 1 after the other models. Issue 17's targets:
# MobileNetV2 <= 1.2, the others <= 1.1.
#   examples/bench-onnx.sh                                    (issue 17's six)
#   MODELS="mobilenet_v3_large efficientnet_b0" examples/bench-onnx.sh
set -euo pipefail
set -f # NETC_JAVA_OPTS is split at spaces below, not globbed (-Xlog:gc* is an option); the script names no file by pattern
root=$(cd "$(dirname "$0")/.." && pwd)
out=${NETC_ONNX_DIR:-$root/build/onnx}
mkdir -p "$out"
status=0
. "$root/examples/bench-report.sh"
for m in ${MODELS:-squeezenet1_1 mobilenet_v2 vgg11_bn resnext50_32x4d wide_resnet50_2 densenet121}; do
  # the model and its torch input and logits, as an export cut short leaves the model alone
  if { [ ! -f "$out/$m.onnx" ] || [ ! -f "$out/${m}_input.npy" ] || [ ! -f "$out/${m}_logits.npy" ]; } \
      && ! /usr/bin/python3 "$root/weights/export_onnx_classifier.py" "$m" "$out" >&2; then
    echo "$m: export FAILED (its error above); no compile, no bench"
    status=1
    continue
  fi
  if ! "$root/netc" compile "$out/$m.onnx" -o "$out/$m.jar" >/dev/null; then
    echo "$m: compile FAILED (its error above); no parity, no bench"
    status=1
    continue
  fi
  # the JDK ./netc runs on (JAVA_HOME's, else the PATH's), so the parity run and the bench share it
  if ! "${JAVA_HOME:+$JAVA_HOME/bin/}java" ${NETC_JAVA_OPTS:-} -jar "$out/$m.jar" --input "$out/${m}_input.npy" --output "$out/${m}_netc.npy" \
    >/dev/null 2>"$out/$m.err"; then
    cat "$out/$m.err" >&2
    echo "$m: run FAILED (the jar's error above); no parity, no bench"
    status=1
    continue
  fi
  { grep -h '^warning' "$out/$m.err" || true; } | sed "s/^/$m: /" >&2
  if ! parity=$(/usr/bin/python3 "$root/weights/compare.py" "$out/${m}_netc.npy" "$out/${m}_logits.npy"); then
    echo "$m: parity FAILED${parity:+ ($parity)}: error over 1e-4 of max |logit|, or no comparison (compare.py's error above); no bench"
    status=1
    continue
  fi
  echo "$m: $parity"
  bench=0
  "$root/netc" bench "$out/$m.onnx" --onnx "$out/$m.onnx" --batch 1 --threads 2 --runs "${RUNS:-30}" >"$out/$m.bench" 2>"$out/$m.bench.err" \
    || bench=$?
  bench_report "$m" "$out/$m.bench" "$out/$m.bench.err" "$bench"
done
exit $status
