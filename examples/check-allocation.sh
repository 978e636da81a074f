#!/usr/bin/env bash
# Checks that a warm forward pass of a full-size network allocates nothing, the way the JIT compiles it
# inside the whole model. The unit test (CompiledModelTest) runs a small network, in which C2 inlines
# differently: a Vector API kernel that boxes its vectors only inside resnet50 (as the F(4x4,3x3) input
# transform once did, in a build that used F(4x4,3x3) on every layer) passes it. Here JFR samples allocations during a long run, after warm-up,
# and any sample whose innermost netc frame is the runtime's or the compiled model's is reported; the exit status is 1 if there
# is one. The run is the production path: the compiled jar called back to back by ./netc compare (one jar, no gap), not
# netc profile, whose -Dnetc.profile=true (a static final) compiles the step timing into every call and so other code for C2.
#   examples/check-allocation.sh [SPEC] [THREADS]      (default examples/resnet50.net, 2 threads: the benchmarks' pooled path;
#                                                       1 checks the caller-only path; synthetic weights)
#   NETC_JAVA_OPTS=-XX:UseAVX=2 examples/check-allocation.sh    (another kernel width: UseAVX=2 for 256 bits, MaxVectorSize=16 for 128)
#   RUNS=4000 examples/check-allocation.sh M.onnx               (a fast model: the run must outlast the recording's 20 s delay)
#   BATCH=8 examples/check-allocation.sh                        (images per call, default 1: a thread runs the last steps
#                                                                over a bunch of images in turn (8 on 2 threads: 4, 2, 1,
#                                                                1), in chunks of items; a batch-8 bench once allocated)
#   JVMS=3 examples/check-allocation.sh                         (three JVMs, one after the other: C2's inlining of a long run of
#                                                                Vector API calls depends on the profile it compiles with, and a
#                                                                kernel that boxed in one JVM of two once passed a single run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
spec=${1:-$root/examples/resnet50.net}
threads=${2:-2}
args="$*"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/netc" compile "$spec" -o "$work/model.jar" >/dev/null
check() {
  # the recording starts after a delay, so the warm-up (interpreted and C1-compiled Vector API code,
  # which allocates by design) is not in it
  rm -f "$work/run.jfr"
  # ./netc compare warms up for 10 s, then makes RUNS timed calls in a row, BATCH images each
  NETC_JAVA_OPTS="${NETC_JAVA_OPTS:-} -XX:StartFlightRecording=delay=20s,filename=$work/run.jfr,settings=profile" \
    "$root/netc" compare "$work/model.jar" --threads "$threads" --batch "${BATCH:-1}" --runs "${RUNS:-400}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 2; }
  if [ ! -s "$work/run.jfr" ]; then
    echo "the run ended before the recording began (20 s after start): give it more runs, RUNS=4000 $0 $args" >&2
    exit 2
  fi
  # check runs on the left of ||, where bash ignores set -e: each failure here exits by hand, so a
  # failed jfr or awk never reads as "no allocation"
  "${java}jfr" print --stack-depth 64 --events jdk.ObjectAllocationSample "$work/run.jfr" > "$work/samples.txt" \
    || { echo "${java}jfr print failed on the recording; nothing was checked" >&2; exit 2; }
  # the innermost netc frame of each sample: which of netc's methods allocated (or called what did); the
  # driver's own frames (netc.examples: its warm-up, output check and report allocate by design) are not netc's
  awk '/stackTrace = \[/ {inside = 1; found = 0; next}
       inside && /netc\./ && !/netc\.examples\./ && !found {sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print; found = 1}
       inside && /^[ \t]*\]/ {inside = 0}' "$work/samples.txt" | sort | uniq -c | sort -rn > "$work/netc.txt" \
    || { echo "reading the allocation samples failed; nothing was checked" >&2; exit 2; }
  total=$(grep -c "jdk.ObjectAllocationSample" "$work/samples.txt" || true)
  if ! [ "$total" -gt 0 ] 2>/dev/null; then
    echo "the recording holds no allocation samples at all (JFR sampled nothing): nothing was checked" >&2
    exit 2
  fi
  if [ -s "$work/netc.txt" ]; then
    echo "JVM $1 of $jvms: allocation samples in netc's code after warm-up ($total samples in all):"
    cat "$work/netc.txt"
    return 1
  fi
  echo "JVM $1 of $jvms: no allocation in netc's code after warm-up ($total allocation samples elsewhere in the JVM)"
}
java=${JAVA_HOME:+$JAVA_HOME/bin/}
jvms=${JVMS:-1}
status=0
for i in $(seq "$jvms"); do check "$i" || status=1; done
exit $status
