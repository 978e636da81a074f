#!/usr/bin/env python3
"""Export a torchvision ResNet (or MobileNetV2, or RepVGG-A0) as safetensors (and ONNX) for netc, plus reference inputs and outputs.

Runs with Debian's python3-torch, python3-torchvision and python3-numpy; nothing else.

  # seeded random resnet50, full size: weights, ONNX, and a fixture (input + torchvision's logits)
  /usr/bin/python3 weights/export_torchvision.py --arch resnet50 --seed 1 --out /tmp/r50 --onnx --fixture
  # real ImageNet weights from a local .pth state_dict (or --pretrained for torchvision's cache)
  /usr/bin/python3 weights/export_torchvision.py --arch resnet50 --state-dict resnet50-0676ba61.pth --out weights/resnet50

Networks narrower than torchvision's (--width 8) and smaller inputs (--size 64) are built from
torchvision's own BasicBlock/Bottleneck and ResNet._make_layer, the same structure netc's
examples/resnet*.net produce with -D width=8 -D size=64, so fixtures stay a few MB. --arch mobilenet_v2
is torchvision's, for examples/mobilenet_v2.net (its names; no --width). --arch repvgg_a0 is RepVGG-A0 in
its training-time form with its authors' names, for examples/repvgg_a0.net (--width as the spec's).

Inputs (--fixture) are raw pixels in [0, 1]: netc's specs declare the ImageNet normalization as part
of the network, so torchvision is given normalize(x) and netc x. The exported ONNX model includes
the same normalization, so both engines take the same tensor.
"""
import argparse
from collections import OrderedDict
import json
import os
import pickle
import struct
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torchvision
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
except ImportError as e:
    sys.exit(f"export_torchvision.py: {e}: install Debian's python3-torch, python3-torchvision and python3-numpy "
             "(apt-get install python3-torchvision) and run it with /usr/bin/python3")

ARCHS = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
    "resnet101": (Bottleneck, [3, 4, 23, 3]),
    "resnet152": (Bottleneck, [3, 8, 36, 3]),
}
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class RepVGGBlock(nn.Module):
    """RepVGG's training-time block with its authors' names (rbr_dense.conv, rbr_1x1.bn, rbr_identity): a 3x3
    and a 1x1 conv with batch norms and, where the shape is kept, the input's batch norm, added, then ReLU."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        def conv_bn(k, pad):
            return nn.Sequential(OrderedDict(conv=nn.Conv2d(cin, cout, k, stride, pad, bias=False), bn=nn.BatchNorm2d(cout)))
        self.rbr_identity = nn.BatchNorm2d(cin) if cin == cout and stride == 1 else None
        self.rbr_dense = conv_bn(3, 1)
        self.rbr_1x1 = conv_bn(1, 0)
        self.nonlinearity = nn.ReLU()

    def forward(self, x):
        y = self.rbr_dense(x) + self.rbr_1x1(x)
        return self.nonlinearity(y if self.rbr_identity is None else y + self.rbr_identity(x))


class RepVGG(nn.Module):
    """RepVGG-A0 (stages of 1, 2, 4, 14 and 1 blocks; 48, 48, 96, 192 and 1280 channels at width 64), as
    examples/repvgg_a0.net writes it: stage0, stage1.0 ..., gap, linear."""

    def __init__(self, width=64, classes=1000):
        super().__init__()
        widths = [width * 3 // 4, width * 3 // 4, width * 3 // 2, width * 3, width * 20]
        self.stage0 = RepVGGBlock(3, widths[0], 2)
        cin = widths[0]
        for i, (n, cout) in enumerate(zip([2, 4, 14, 1], widths[1:]), start=1):
            blocks = []
            for j in range(n):
                blocks.append(RepVGGBlock(cin, cout, 2 if j == 0 else 1))
                cin = cout
            setattr(self, f"stage{i}", nn.Sequential(*blocks))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.stage1(self.stage0(x)))))
        return self.linear(torch.flatten(self.gap(x), 1))


def build(arch, width, classes):
    if arch == "repvgg_a0":
        return RepVGG(width, classes)
    if arch == "mobilenet_v2":  # examples/mobilenet_v2.net has torchvision's names; --width is the ResNets' own
        if width != 64:
            sys.exit("export_torchvision.py: --width applies to the ResNets; mobilenet_v2 has none")
        return torchvision.models.mobilenet_v2(num_classes=classes)
    block, layers = ARCHS[arch]
    model = ResNet(block, layers, num_classes=classes)
    return at_width(model, block, width, layers, classes) if width != 64 else model


def at_width(model, block, width, layers, classes):
    """torchvision's ResNet `model` rebuilt at another width than its hard-coded 64, with its own helpers (its
    groups and width_per_group, given to the constructor, carry over)."""
    model.inplanes = width
    model.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(width)
    model.layer1 = model._make_layer(block, width, layers[0])
    model.layer2 = model._make_layer(block, width * 2, layers[1], stride=2)
    model.layer3 = model._make_layer(block, width * 4, layers[2], stride=2)
    model.layer4 = model._make_layer(block, width * 8, layers[3], stride=2)
    model.fc = nn.Linear(width * 8 * block.expansion, classes)
    # torchvision's initialization runs in ResNet's constructor only: the rebuilt convs had PyTorch's default,
    # about a sixth of its variance, and the signal faded through the stages
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def input_dependence(logits):
    """How far apart the first two rows of `logits` are, as a share of their largest value (0 when all are 0)."""
    scale = float(logits.abs().max())
    return float((logits[0] - logits[1]).abs().max()) / scale if scale > 0 else 0.0


# the side of the random images random weights' batch-norm statistics are measured on (calibrate_batchnorm)
CALIBRATION_SIZE = 64


def randomize_batchnorm(model, gen):
    """Trained networks have batch-norm statistics far from identity; make folding them matter."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.6 + 0.6 * torch.rand(c, generator=gen)
            m.bias.data = 0.1 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.1 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + torch.rand(c, generator=gen)


def calibrate_batchnorm(model, seed, size):
    """Running statistics measured on random images of `size` pixels a side, as training leaves them, keeping the
    affine part randomize_batchnorm gave. With random statistics the deep, narrow models' signal shrank about tenfold
    a stage: mobilenet_v2's and efficientnet's logits for the two images of a batch were equal to 1e-7
    of their size, so matching torch within 1e-4 said nothing of any layer before the last few.
    Only the batch norms run in training mode (no dropout), and the images come from a generator of
    their own, so the global seed's sequence, and so every later model, stays as it was."""
    norms = [b for b in model.modules() if isinstance(b, nn.BatchNorm2d)]
    for b in norms:
        b.reset_running_stats()
        b.momentum = None  # a plain average over the batches
    model.eval()
    for b in norms:
        b.train()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(16, 3, size, size, generator=gen))
    model.eval()
    return model


DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, state, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in state.items():
        dtype, np_dtype = DTYPES[t.dtype]
        data = t.detach().cpu().contiguous().numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)

    def write(part):
        with open(part, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for c in chunks:
                f.write(c)
    write_whole(path, write)


def weights_origin(path):
    """The "weights" word of an existing safetensors file's metadata ("imagenet", "state_dict", "random"), "" for a
    file without one, None where there is no readable file."""
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            if n > 100_000_000:
                return None  # not a safetensors file: no weights of anyone's to keep
            return (json.loads(f.read(n)).get("__metadata__") or {}).get("weights", "")
    except (OSError, struct.error, ValueError, AttributeError):
        return None


def write_whole(path, produce):
    """Makes path whole or not at all: produce(part) writes path + ".part", renamed over path once complete. A run
    cut short (a full disk, an interrupt) left a partial file that the bench scripts, which check only that the files
    exist, took for a finished export."""
    path = os.path.realpath(path)  # through a link (weights kept on a larger disk): the file it names, not the link
    part = path + ".part"
    try:
        produce(part)
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


def onnx_export(model, x, path, **options):
    """torch.onnx.export at opset 13 with a dynamic batch, by the TorchScript exporter that netc's importer and its
    fixtures were made with. torch 2.9 made the dynamo exporter the default: it emits opset 18 graphs of other
    patterns and writes weights as external data beside `path` (here the .part name, which the file would then
    name), so it is asked for by name wherever the argument exists."""
    import inspect
    import torch
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **options)


def save_npy(path, array):
    """np.save, whole or not at all (to an open file: np.save would add .npy to the .part name)."""
    def produce(part):
        with open(part, "wb") as f:
            np.save(f, array)
    write_whole(path, produce)


class Normalized(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        return self.model((x - self.mean) / self.std)


def one_line(e, limit=300):
    """An exception's whole message on one line: torch's load_state_dict puts its Missing and Unexpected
    keys on lines of their own, after a first line that names neither; each line is cut to `limit`."""
    parts = [line.strip() for line in str(e).splitlines() if line.strip()]
    parts = [part if len(part) <= limit else f"{part[:limit]}... ({len(part) - limit} more characters)" for part in parts]
    return " ".join(parts) or type(e).__name__


def unwrapped(checkpoint):
    """The state_dict inside a training checkpoint as training scripts save them: under "state_dict" or "model"
    (RepVGG's authors' convert.py unwraps both), its keys prefixed "module." by DataParallel."""
    if isinstance(checkpoint, dict):
        for key in ("state_dict", "model"):
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
        if checkpoint and all(isinstance(k, str) and k.startswith("module.") for k in checkpoint):
            checkpoint = OrderedDict((k[len("module."):], v) for k, v in checkpoint.items())
    return checkpoint


def pretrained(arch):
    """torchvision's ImageNet weights, from its cache or downloaded; offline, one line saying what to do instead."""
    try:
        url = torchvision.models.get_model_weights(arch).IMAGENET1K_V1.url
    except Exception:
        url = "the URL in torchvision.models." + arch
    try:
        return getattr(torchvision.models, arch)(weights="IMAGENET1K_V1")
    except OSError as e:  # urllib.error.URLError, socket errors, a full disk: all OSError
        reason = getattr(e, "reason", None) or e.strerror or e
        sys.exit(f"export_torchvision.py: cannot download torchvision's {arch} weights ({reason}); without internet, fetch {url} "
                 f"on another machine and give it with --state-dict FILE.pth (or put it in {torch.hub.get_dir()}/checkpoints/)")
    except RuntimeError as e:  # a damaged or foreign file in the cache: a hash mismatch, a zip torch cannot read
        sys.exit(f"export_torchvision.py: torchvision's cached {arch} weights do not load ({one_line(e)}); delete the file "
                 f"{torch.hub.get_dir()}/checkpoints/{url.rsplit('/', 1)[-1]} and run again to download it")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=sorted(ARCHS) + ["mobilenet_v2", "repvgg_a0"], default="resnet50")
    p.add_argument("--out", required=True, help="output prefix: writes PREFIX.safetensors (and .onnx, _input.npy, _logits.npy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--size", type=int, default=224, help="input height and width for the fixture and the ONNX export")
    p.add_argument("--batch", type=int, default=2, help="fixture batch size")
    p.add_argument("--pretrained", action="store_true", help="torchvision's ImageNet weights (from its local cache)")
    p.add_argument("--state-dict", help="a local .pth state_dict to export instead of random weights")
    p.add_argument("--onnx", action="store_true", help="also export PREFIX.onnx (opset 13, dynamic batch)")
    p.add_argument("--fixture", action="store_true", help="also write a seeded input and torchvision's logits")
    p.add_argument("--force", action="store_true", help="write random weights over a file of real ones (trained and --state-dict weights are written over anything)")
    a = p.parse_args()
    if not os.path.basename(a.out) or os.path.isdir(a.out):  # "build/r50/" wrote build/r50/.safetensors, a hidden file
        p.error(f"--out {a.out!r}: a prefix of file names (build/r50 writes build/r50.safetensors), not a folder")
    for name in ("width", "classes", "size", "batch"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    if a.arch == "repvgg_a0" and a.width < 4:
        p.error(f"--width {a.width}: repvgg_a0's first stage has width * 3 / 4 channels, none below 4")
    if a.pretrained and a.arch == "repvgg_a0":
        p.error("--pretrained: torchvision has no RepVGG weights; give the authors' training-time checkpoint with --state-dict")
    if a.pretrained and (a.state_dict or a.width != 64 or a.classes != 1000):
        # torchvision's weights are its own network: these would be ignored, not applied
        p.error("--pretrained exports torchvision's own weights (width 64, 1000 classes): "
                "it takes no --state-dict, --width or --classes")

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    if a.pretrained:
        model = pretrained(a.arch)
    else:
        model = build(a.arch, a.width, a.classes)
        if a.state_dict:
            try:
                # weights_only (torch 1.13 on): tensors and plain containers only, so a hostile .pth cannot run
                # code while it is unpickled; a checkpoint that needs more is refused, an UnpicklingError
                model.load_state_dict(unwrapped(torch.load(a.state_dict, map_location="cpu", weights_only=True)))
            # RuntimeError: keys or shapes that do not match, a damaged zip; UnpicklingError: not a
            # checkpoint, or refused by weights_only; EOFError: cut short; TypeError: no state_dict in it
            except (OSError, RuntimeError, pickle.UnpicklingError, EOFError, TypeError) as e:
                sys.exit(f"export_torchvision.py: cannot load --state-dict {a.state_dict}: {one_line(e)}")
        else:
            randomize_batchnorm(model, gen)
            # at one size whatever --size is, so the fixtures of one seed at two sizes share their weights (make_fixtures.sh)
            calibrate_batchnorm(model, a.seed + 2, CALIBRATION_SIZE)
    model.eval()

    # what the weights are, for netc to say so: "random" ones (seeded) make a model whose answers mean nothing
    origin = "imagenet" if a.pretrained else "state_dict" if a.state_dict else "random"
    meta = {"producer": "weights/export_torchvision.py", "arch": a.arch, "width": str(a.width), "weights": origin,
            "seed": str(a.seed), "torch": torch.__version__, "torchvision": torchvision.__version__}
    if a.fixture:
        x = torch.rand(a.batch, 3, a.size, a.size, generator=gen)
        with torch.no_grad():
            mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
            logits = model((x - mean) / std)
        # before any file is written: a refused fixture leaves the committed set as it was
        if origin == "random" and a.batch > 1 and not input_dependence(logits) > 1e-2:  # also NaN
            sys.exit(f"export_torchvision.py: {a.arch}: the logits of the batch's first two images differ by {input_dependence(logits):.3g}"
                     " of their largest: they hardly depend on the input, so matching them would say little of the early layers")
    existing = weights_origin(a.out + ".safetensors")
    if origin == "random" and existing not in (None, "random") and not a.force:
        # ./netc demo picks up weights/resnet50.safetensors by itself: trained weights replaced by random ones unnoticed
        sys.exit(f"export_torchvision.py: {a.out}.safetensors holds {existing or 'unmarked'} weights; random ones would replace them"
                 " (--force writes them anyway, or give another --out)")
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    write_safetensors(a.out + ".safetensors", model.state_dict(), meta)
    print(f"wrote {a.out}.safetensors")

    if a.fixture:
        save_npy(a.out + "_input.npy", x.numpy().astype(np.float32))
        save_npy(a.out + "_logits.npy", logits.numpy().astype(np.float32))
        print(f"wrote {a.out}_input.npy {tuple(x.shape)} and {a.out}_logits.npy {tuple(logits.shape)}")

    if a.onnx:
        wrapped = Normalized(model).eval()
        dummy = torch.rand(1, 3, a.size, a.size)
        write_whole(a.out + ".onnx", lambda part: onnx_export(wrapped, dummy, part))
        print(f"wrote {a.out}.onnx")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:  # an output that cannot be written: one line, not a traceback
        sys.exit(f"export_torchvision.py: {e}")
