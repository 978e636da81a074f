#!/usr/bin/env python3
"""Export a full-size torchvision classifier as ONNX, with an input batch and torch's logits for it.

For checking `netc compile MODEL.onnx` against torch on whole models (the committed fixtures in
fixtures/onnx/ are width-reduced). Runs with Debian's python3-torch, python3-torchvision and
python3-onnx; nothing else. Seeded: random weights (torchvision's initialization), random batch-norm scales
and shifts, and running statistics measured on random images, as training leaves them (random statistics
made mobilenet_v2's logits for its two images equal to 1.6e-7 of their size: matching torch within 1e-4
said nothing of the layers before the last few, and the export refuses such logits now); opset 13,
dynamic batch, as the issue's targets say.

  /usr/bin/python3 weights/export_onnx_classifier.py mobilenet_v2 build/onnx
    -> build/onnx/mobilenet_v2.onnx, mobilenet_v2_input.npy [2, 3, 224, 224], mobilenet_v2_logits.npy [2, 1000]
       and mobilenet_v2_logits64.npy (the same network run in float64: compare.py's third argument)
"""
import argparse
import copy
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:  # one line, as every script of weights/ says it
    sys.exit(f"export_onnx_classifier.py: {e}: install Debian's python3-torch, python3-torchvision and python3-onnx "
             "(apt-get install python3-torchvision python3-onnx) and run it with /usr/bin/python3")

from export_torchvision import calibrate_batchnorm, input_dependence, onnx_export, save_npy, write_whole


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("arch", help="a torchvision.models constructor: resnet50, resnext50_32x4d, wide_resnet50_2, vgg11_bn, "
                                "mobilenet_v2, squeezenet1_1, densenet121, ...")
    p.add_argument("out", help="the folder to write to")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--transform-input", action="store_true",
                   help="googlenet and inception_v3 only: their transform_input, as their pretrained weights set it (each channel "
                        "scaled and shifted apart, in the graph)")
    a = p.parse_args()
    # a typo, a module's name (torchvision.models.resnet) or a helper (get_model): one line, not a traceback
    names = torchvision.models.list_models(module=torchvision.models)
    if a.arch not in names:
        p.error(f"{a.arch}: not one of torchvision's classifiers ({', '.join(sorted(names))})")
    constructor = getattr(torchvision.models, a.arch)
    if a.size < 32:
        p.error(f"--size {a.size}: at least 32")
    torch.manual_seed(a.seed)
    if a.transform_input and a.arch not in ("googlenet", "inception_v3"):
        p.error(f"--transform-input: {a.arch} has none (googlenet and inception_v3 have it)")
    model = constructor(num_classes=1000, **({"transform_input": True} if a.transform_input else {})).eval()
    g = torch.Generator().manual_seed(a.seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    x = torch.rand(2, 3, a.size, a.size, generator=g)
    try:
        calibrate_batchnorm(model, a.seed + 2, a.size)
        with torch.no_grad():
            y = model(x)
            # the same network in float64: how far torch's own float32 logits are from it says how much this network
            # amplifies rounding (compare.py's third argument), what any float32 engine's error is to be read against
            y64 = copy.deepcopy(model).double()(x.double())
    except (RuntimeError, AssertionError, ValueError) as e:  # a size the network cannot take (alexnet at 32, vit_b_16 at 64)
        sys.exit(f"export_onnx_classifier.py: {a.arch} does not run at --size {a.size}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    if not input_dependence(y) > 1e-3:  # also NaN
        sys.exit(f"export_onnx_classifier.py: {a.arch}: the logits of the two images differ by {input_dependence(y):.3g} of"
                 " their largest: they hardly depend on the input, so matching them would say nothing of the network")
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, a.arch)
    # each file whole or not at all, the logits (which the bench scripts look for) last
    write_whole(base + ".onnx", lambda part: onnx_export(model, x[:1], part))
    save_npy(base + "_input.npy", x.numpy())
    save_npy(base + "_logits64.npy", y64.numpy())
    save_npy(base + "_logits.npy", y.numpy())
    print(f"wrote {base}.onnx, {base}_input.npy {tuple(x.shape)}, {base}_logits.npy {tuple(y.shape)} and {base}_logits64.npy")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        sys.exit(f"export_onnx_classifier.py: {e}")
