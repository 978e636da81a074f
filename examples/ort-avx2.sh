#!/usr/bin/env bash
# ONNX Runtime on its AVX2 kernels on an AVX-512 host, for benchmarks only. MLAS picks its kernels
# from CPUID when it loads, so on an AVX-512 host ONNX Runtime always runs AVX-512 while netc's
# 256-bit kernels (-XX:UseAVX=2) run AVX2: the two compare different instruction sets. This copies
# the ONNX Runtime native library the build uses into build/ort-avx2/ and changes one branch in it,
# the jump over MLAS's AVX-512F kernel table when CPUID reports no AVX-512F, into an unconditional
# one, so MLAS keeps the FMA3 (AVX2) kernels it chose just before (and NCHWc blocks of 8). Nothing
# else changes, and the bench still checks both engines' outputs against each other. Then:
#   NETC_JAVA_OPTS="-XX:UseAVX=2 -Donnxruntime.native.path=build/ort-avx2" examples/bench.sh
# The patch is specific to the version in pom.xml on linux-x64; another version (or a changed
# library) fails here with a message rather than patching the wrong bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/ort-avx2}
version=$(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' "$root/pom.xml")
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# through Maven, so the jar comes from wherever its local repository is (settings.xml, -Dmaven.repo.local), downloaded if missing
(cd "$root" && mvn -B -q -ntp dependency:copy -Dartifact="com.microsoft.onnxruntime:onnxruntime:$version" -DoutputDirectory="$tmp" >&2)
jar=$tmp/onnxruntime-$version.jar
unzip -q -o "$jar" 'ai/onnxruntime/native/linux-x64/*' -d "$tmp"
native=$tmp/ai/onnxruntime/native/linux-x64
# patched where it was unpacked, and copied out only once patched: a failed patch (another version) must not leave
# the stock library, AVX-512 and all, in the folder the AVX2 comparisons are told to load
/usr/bin/python3 - "$native/libonnxruntime.so" "$out" <<'PY'
import sys
path = sys.argv[1]
lib = bytearray(open(path, 'rb').read())
# test $0x10000,%r10d (CPUID.7.EBX bit 16, AVX512F); je +0x0e (past the AVX-512F table);
# mov %rdi,%rax; not %rax; test $0xe0,%al (the XCR0 check for the ZMM state)
pattern = bytes.fromhex('41f7c200000100' '740e' '4889f8' '48f7d0' 'a8e0')
at = lib.find(pattern)
if at < 0 or lib.find(pattern, at + 1) >= 0:
    sys.exit(f"{path}: MLAS's AVX-512F check not found exactly once (another ONNX Runtime version?); not patched")
lib[at + 7] = 0xeb  # je -> jmp
open(path, 'wb').write(lib)
print(f"MLAS's AVX-512F kernels switched off (byte {at + 7:#x}); use -Donnxruntime.native.path={sys.argv[2]}")
PY
cp "$native"/*.so "$out/"
