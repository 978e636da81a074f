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
for arch in resnet18 resnet50 repvgg_a0; do
  /usr/bin/python3 "$here/export_torchvision.py" --arch "$arch" --width 8 --size 64 --classes 10 --seed 7 \
    --batch 2 --fixture --out "$here/fixtures/${arch}_w8_s64"
done
# resnet18 at 128x128: its 32x32 maps take Winograd F(4x4,3x3); same seed, so the same weights as
# the 64x64 fixture (the export's copy is identical and not kept)
/usr/bin/python3 "$here/export_torchvision.py" --arch resnet18 --width 8 --size 128 --classes 10 --seed 7 \
  --batch 2 --fixture --out "$here/fixtures/resnet18_w8_s128"
cmp "$here/fixtures/resnet18_w8_s128.safetensors" "$here/fixtures/resnet18_w8_s64.safetensors"
rm "$here/fixtures/resnet18_w8_s128.safetensors"
