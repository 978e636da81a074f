#!/usr/bin/env bash
# Reproduces the README's results table: netc against ONNX Runtime on torchvision ResNet-18/50/101
# (seeded random weights, exported as safetensors and ONNX from the same model), batch 1 and 8,
# 2 threads. Needs Debian's python3-torch and python3-torchvision for the export (done once, into
# build/bench/). Prints per configuration the peak probes (of the width netc's kernels use), the ONNX Runtime
# library loaded, each engine's median with its GFLOP/s and share of the peak, then three lines: the paired ratios'
# spread, the sustained ratio and the after-idle ratio (the last line of ./netc bench); and the bench's warnings (netc
# allocating in its timed calls: a kernel running without C2's intrinsics, whose times are not netc's usual ones).
# First, once, the bench's "netc kernels: ...; cpu: ..." line (the width and the CPU the table is from).
# A bench that fails (its outputs disagree with ONNX Runtime's in any phase) prints its error and a
# "FAILED" line instead of its ratios, and the script exits 1 after the other configurations.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${NETC_BENCH_DIR:-$root/build/bench}
mkdir -p "$out"
. "$root/examples/bench-report.sh"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
status=0
for arch in ${ARCHS:-resnet18 resnet50 resnet101}; do
  # both files, as an export cut short leaves the first; a failed export is the model's FAILED line, the others still run
  if { [ ! -f "$out/$arch.onnx" ] || [ ! -f "$out/$arch.safetensors" ]; } \
      && ! /usr/bin/python3 "$root/weights/export_torchvision.py" --arch "$arch" --seed 1 --out "$out/$arch" --onnx >&2; then
    echo "$arch: export FAILED (its error above); no bench"
    status=1
    continue
  fi
  for batch in ${BATCHES:-1 8}; do
    runs=30; [ "$batch" -gt 1 ] && runs=10
    bench=0
    "$root/netc" bench "$root/examples/$arch.net" --weights "$out/$arch.safetensors" --onnx "$out/$arch.onnx" \
      --batch "$batch" --threads 2 --runs "$runs" >"$log/out" 2>"$log/err" || bench=$?
    bench_report "$arch" "$log/out" "$log/err" "$bench" "at batch $batch"
  done
done
exit $status
