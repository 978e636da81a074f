#!/usr/bin/env python3
"""Train examples/digits.net on the UCI handwritten digits and write netc's weights and held-out set.

Runs with Debian's python3-torch, python3-torchvision, python3-sklearn and python3-numpy; about
half a minute on 2 cores:

  /usr/bin/python3 weights/train_digits.py            # writes weights/digits/

The data: sklearn's load_digits (1,797 8x8 grayscale images, ink 0..16), split once with
train_test_split(test_size=0.2, random_state=0, stratify=labels): 1,437 to train, 360 held out.
Pixels are ink / 16, in [0, 1] (exact in float32). The network sees them upscaled to 32x32 by
nearest neighbour x4 (F.interpolate(mode="nearest", scale_factor=4): output pixel (y, x) is input
pixel (y // 4, x // 4), no arithmetic), which netc's demo and test reproduce exactly.

Writes, in weights/digits/, once the held-out accuracy reaches 95% (below it, nothing: exit 1):
  digits.safetensors     the trained state_dict, named as examples/digits.net names its layers
  heldout_images.npy     float32 [360, 1, 8, 8], the held-out digits before upscaling (ink / 16)
  heldout_labels.npy     float32 [360], their true digits (0..9)
  heldout_logits.npy     float32 [360, 10], this model's logits for them (eval mode, upscaled input)

The held-out images are committed at 8x8 (92 KB) rather than upscaled (1.5 MB): the upscale is an
index copy, so both sides compute the same 32x32 input bit for bit.

Deterministic: seeded (torch.manual_seed, a seeded generator for shuffling and augmentation),
torch.use_deterministic_algorithms(True), and a fixed thread count, since the order of a parallel
reduction changes float rounding. A different torch build or CPU may still give slightly different
weights; the committed fixtures are what the tests check against.
"""
import argparse
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from torchvision.models.resnet import BasicBlock
except ImportError as e:
    sys.exit(f"train_digits.py: {e}: install Debian's python3-torch, python3-torchvision, python3-sklearn and "
             "python3-numpy and run it with /usr/bin/python3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import save_npy, write_safetensors  # noqa: E402  (the same writers as the ResNet fixtures)

UPSCALE = 4          # 8x8 -> 32x32, examples/digits.net's input
WIDTH = 8            # examples/digits.net's `width`
CLASSES = 10
HELD_OUT = 0.2       # fraction of the 1,797 digits never trained on
SPLIT_SEED = 0
REQUIRED_ACCURACY = 0.95


class Digits(nn.Module):
    """examples/digits.net in torch: a 3x3 stem, three stages of one torchvision BasicBlock, a linear head."""

    def __init__(self, width=WIDTH, classes=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(width, width))
        self.layer2 = nn.Sequential(stage(width, width * 2))
        self.layer3 = nn.Sequential(stage(width * 2, width * 4))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 4, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def stage(inplanes, planes):
    """A stride-2 basic block with torchvision's projection shortcut (named downsample.0 / downsample.1)."""
    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=2, bias=False), nn.BatchNorm2d(planes))
    return BasicBlock(inplanes, planes, stride=2, downsample=down)


def upscale(x8):
    """[N, 1, 8, 8] -> [N, 1, 32, 32], nearest: out[y, x] = in[y // 4, x // 4]."""
    return F.interpolate(x8, scale_factor=UPSCALE, mode="nearest")


def shift(x8, gen):
    """Augmentation: each digit moved by up to one pixel (of 8) each way, zeros shifted in."""
    n = x8.shape[0]
    padded = F.pad(x8, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (n,), generator=gen)
    dx = torch.randint(0, 3, (n,), generator=gen)
    return torch.stack([padded[i, :, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8] for i in range(n)])


def train(model, x8, y, epochs, gen):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps_per_epoch = (len(y) + 63) // 64
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=epochs * steps_per_epoch)
    for epoch in range(epochs):
        model.train()  # batch norm updates its running statistics, which eval mode (and netc) then uses
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        for i in range(0, len(y), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(upscale(shift(x8[idx], gen))), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1:2d}/{epochs}: loss {total / len(y):.4f}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits"),
                   help="output directory (default weights/digits next to this script)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch threads; fixed, since it changes float rounding")
    a = p.parse_args()
    if a.epochs < 1 or a.threads < 1:
        p.error(f"--epochs and --threads must be at least 1, got {a.epochs} and {a.threads}")

    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(a.seed)

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=HELD_OUT,
                                                        random_state=SPLIT_SEED, stratify=labels)
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    print(f"{len(y_train)} digits to train on, {len(y_test)} held out")

    model = Digits()
    t0 = time.time()
    train(model, x_train, y_train, a.epochs, gen)
    model.eval()
    with torch.no_grad():
        logits = model(upscale(torch.from_numpy(x_test)))
    accuracy = float((logits.argmax(1).numpy() == y_test).mean())
    print(f"trained in {time.time() - t0:.0f} s; held-out accuracy {accuracy:.2%} ({len(y_test)} digits)")
    # before anything is written: the default output is the committed weights/digits/, which a failed run keeps
    if accuracy < REQUIRED_ACCURACY:
        sys.exit(f"train_digits.py: held-out accuracy {accuracy:.2%} is below the required {REQUIRED_ACCURACY:.0%}; "
                 f"nothing written to {a.out}")

    os.makedirs(a.out, exist_ok=True)
    # num_batches_tracked is training bookkeeping, not a weight: left out so every tensor binds
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    meta = {"producer": "weights/train_digits.py", "seed": str(a.seed), "epochs": str(a.epochs),
            "threads": str(a.threads), "torch": torch.__version__, "heldout_accuracy": f"{accuracy:.4f}"}
    # the four files go together (new weights beside old logits would fail every comparison): each written whole
    # into .staged/ first and renamed into place only once all four are, so a failed write leaves the committed set
    # as it was (an interrupt during the four renames themselves could still mix them)
    staged = os.path.join(a.out, ".staged")
    os.makedirs(staged, exist_ok=True)
    try:
        write_safetensors(os.path.join(staged, "digits.safetensors"), state, meta)
        save_npy(os.path.join(staged, "heldout_images.npy"), x_test.astype("<f4"))
        save_npy(os.path.join(staged, "heldout_labels.npy"), y_test.astype("<f4"))
        save_npy(os.path.join(staged, "heldout_logits.npy"), logits.numpy().astype("<f4"))
        for name in ("heldout_images.npy", "heldout_labels.npy", "heldout_logits.npy", "digits.safetensors"):
            os.replace(os.path.join(staged, name), os.path.join(a.out, name))
    finally:
        for name in os.listdir(staged):
            os.remove(os.path.join(staged, name))
        os.rmdir(staged)
    print(f"wrote {a.out}/digits.safetensors, heldout_images.npy, heldout_labels.npy, heldout_logits.npy")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:  # an output that cannot be written: one line, not a traceback
        sys.exit(f"train_digits.py: {e}")
