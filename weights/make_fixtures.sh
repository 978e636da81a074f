#!/usr/bin/env bash
# Regenerates the committed parity fixtures from torchvision (needs Debian's python3-torch,
# python3-torchvision). Width 8 and 64x64 inputs keep them small; the structure, names and numerics
# path are those of the full networks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  echo "make_fixtures.sh: needs /usr/bin/python3 with torch and torchvision (apt-get install python3-torchvision)" >&2
  exit 1
fi
# the archs given (default all three): regenerating one leaves the others' committed files as they are
archs=("$@")
[ $# -gt 0 ] || archs=(resnet18 resnet50 repvgg_a0)
for arch in "${archs[@]}"; do
  /usr/bin/python3 "$here/export_torchvision.py" --arch "$arch" --width 8 --size 64 --classes 10 --seed 7 \
    --batch 2 --fixture --out "$here/fixtures/${arch}_w8_s64"
done
case " ${archs[*]} " in
  *" resnet18 "*)
    # resnet18 at 128x128 (layer3's and layer4's maps take Winograd F(2x2,3x3), CompiledModelTest); same seed, so the same
    # weights as the 64x64 fixture: the export's copy is checked identical and not kept. Written in a folder of
    # its own, so a failed check leaves no stray file and the committed input and logits as they were
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    /usr/bin/python3 "$here/export_torchvision.py" --arch resnet18 --width 8 --size 128 --classes 10 --seed 7 \
      --batch 2 --fixture --out "$tmp/resnet18_w8_s128"
    cmp "$tmp/resnet18_w8_s128.safetensors" "$here/fixtures/resnet18_w8_s64.safetensors"
    mv "$tmp/resnet18_w8_s128_input.npy" "$tmp/resnet18_w8_s128_logits.npy" "$here/fixtures/"
    ;;
esac
