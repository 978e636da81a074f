#!/usr/bin/env python3
"""ONNX fixtures for netc's importer: small torchvision-family models exported by torch.onnx.export
(opset 13, dynamic batch), a fixed input and torch's outputs at batch 1 and 2.

Runs with Debian's python3-torch, python3-torchvision, python3-numpy:
  /usr/bin/python3 weights/make_onnx_fixtures.py   # writes weights/fixtures/onnx/NAME{.onnx,_input.npy,_logits_b1.npy,_logits_b2.npy}

Models (each well under 500 KB):
  resnet_basic    torchvision ResNet(BasicBlock, [1, 1, 1, 1]) at width 8, 10 classes, 32x32 input, with
                  the ImageNet normalization in front as Sub/Div by constants; batch norms folded by
                  the exporter (its default), so convs carry biases.
  resnet_bottle   ResNet(Bottleneck, [1, 1, 1, 1]) at width 4, no normalization in front (torch 1.13
                  folds a batch norm after a conv even without constant folding; misc has a standalone one).
  misc            a sequence of the other operators: conv with groups and dilation, LeakyReLU, MaxPool,
                  a standalone BatchNormalization, AveragePool (behind a zero-width Pad, and behind
                  a Pad of one pixel: AvgPool2d(padding=1)), Sigmoid, Tanh, Dropout, x.view(x.size(0), -1) (the Shape/Gather/Unsqueeze/
                  Concat/Reshape chain), a MatMul + Add linear layer and Softmax.
  mobilenet_v2_relu  torchvision MobileNetV2 at width 0.5 (channels rounded to 4, so 8, 12, 48, 72: not
                  blocks of 16) with its first three stages (depthwise 3x3 convs at stride 1 and 2, inverted residuals), a 1x1 conv to 128 channels and 10 classes, its
                  ReLU6 replaced by ReLU (Clip is not the grouped-conv work's); batch norms folded.
  resnext         torchvision ResNet(Bottleneck, groups=8, width_per_group=16) with [1, 1, 1] units at
                  width 8 (ResNeXt's grouped 3x3 convs: 2, 4 and 8 channels a group), no layer4.
  unsupported     a conv followed by an Elu, which netc does not support (for the error message).
  resnet18_w4_s32 the example ResNet-18 (examples/resnet18.net -D width=4 -D size=32 -D classes=10) as
                  export_torchvision.py writes it: ONNX, the same weights as safetensors for the spec,
                  input and torch's logits, so a test can check that import and spec agree.
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    from torchvision.models.resnet import BasicBlock, Bottleneck
except ImportError as e:
    sys.exit(f"make_onnx_fixtures.py: {e}: run with /usr/bin/python3 (Debian's python3-torchvision)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import Normalized, randomize_batchnorm  # noqa: E402
from torchvision.models.resnet import ResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "onnx")
SIZE = 32


def resnet(block, width, classes=10):
    """torchvision's ResNet with [1, 1, 1, 1] units at another width, built with its own helpers."""
    model = ResNet(block, [1, 1, 1, 1], num_classes=classes)
    model.inplanes = width
    model.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(width)
    model.layer1 = model._make_layer(block, width, 1)
    model.layer2 = model._make_layer(block, width * 2, 1, stride=2)
    model.layer3 = model._make_layer(block, width * 4, 1, stride=2)
    model.layer4 = model._make_layer(block, width * 8, 1, stride=2)
    model.fc = nn.Linear(width * 8 * block.expansion, classes)
    return model


class Misc(nn.Module):
    """The operators a ResNet does not use, in one sequence."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.act1 = nn.LeakyReLU(0.1)
        self.pool1 = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(8)  # after a pool, not a conv: the exporter keeps it as BatchNormalization
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.pool2 = nn.AvgPool2d(2)
        self.conv3 = nn.Conv2d(8, 6, 1, stride=2)
        self.pool3 = nn.AvgPool2d(3, stride=1, padding=1)  # exported as a Pad of zeros, then an unpadded AveragePool
        self.drop = nn.Dropout(0.5)
        self.weight = nn.Parameter(torch.randn(10, 6 * 4 * 4) * 0.2)
        self.bias = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = self.bn(self.pool1(self.act1(self.conv1(x))))
        x = self.pool2(torch.sigmoid(self.conv2(x)))
        x = self.drop(self.pool3(torch.tanh(self.conv3(x))))
        x = x.view(x.size(0), -1)
        return torch.softmax(torch.matmul(x, self.weight.t()) + self.bias, dim=1)


def mobilenet_v2_relu(classes=10):
    """torchvision's MobileNetV2, narrowed and cut after its third stage, with ReLU for ReLU6."""
    from torchvision.models.mobilenetv2 import MobileNetV2
    from torchvision.ops.misc import Conv2dNormActivation
    stages = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]]
    model = MobileNetV2(num_classes=classes, width_mult=0.5, inverted_residual_setting=stages, round_nearest=4)
    model.features[-1] = Conv2dNormActivation(model.features[-2].out_channels, 128, kernel_size=1, activation_layer=nn.ReLU)
    model.classifier[-1] = nn.Linear(128, classes)
    for module in model.modules():
        for name, child in module.named_children():
            if isinstance(child, nn.ReLU6):
                setattr(module, name, nn.ReLU(inplace=True))
    return model


def resnext(width=8, classes=10):
    """torchvision's ResNet as ResNeXt (grouped 3x3 convs in the bottlenecks), [1, 1, 1] units, no layer4."""
    model = ResNet(Bottleneck, [1, 1, 1, 1], num_classes=classes, groups=8, width_per_group=16)
    model.inplanes = width
    model.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(width)
    model.layer1 = model._make_layer(Bottleneck, width, 1)
    model.layer2 = model._make_layer(Bottleneck, width * 2, 1, stride=2)
    model.layer3 = model._make_layer(Bottleneck, width * 4, 1, stride=2)
    model.layer4 = nn.Identity()
    model.fc = nn.Linear(width * 4 * Bottleneck.expansion, classes)
    return model


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return nn.functional.elu(self.conv(x))


def export(name, model, folding=True):
    model.eval()
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(2, 3, SIZE, SIZE, generator=gen)
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, x[:1], path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=folding)
    with torch.no_grad():
        np.save(os.path.join(OUT, name + "_input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + "_logits_b1.npy"), model(x[:1]).numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + "_logits_b2.npy"), model(x).numpy().astype(np.float32))
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(5)
    basic = resnet(BasicBlock, 8)
    randomize_batchnorm(basic, gen)
    export("resnet_basic", Normalized(basic))
    bottle = resnet(Bottleneck, 4)
    randomize_batchnorm(bottle, gen)
    export("resnet_bottle", bottle, folding=False)
    misc = Misc()
    randomize_batchnorm(misc, gen)
    export("misc", misc)
    export("unsupported", Unsupported())
    mobilenet = mobilenet_v2_relu()
    randomize_batchnorm(mobilenet, gen)
    export("mobilenet_v2_relu", mobilenet)
    next_ = resnext()
    randomize_batchnorm(next_, gen)
    export("resnext", next_)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_torchvision.py"),
                    "--arch", "resnet18", "--width", "4", "--size", "32", "--classes", "10", "--seed", "7", "--batch", "2",
                    "--fixture", "--onnx", "--out", os.path.join(OUT, "resnet18_w4_s32")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
