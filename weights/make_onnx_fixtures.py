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
  squeezenet      torchvision's SqueezeNet (version 1_1, its own Fire modules and layer names) at a quarter
                  of the width: fire modules are parallel branches joined by Concat. Its max pools
                  use ceil_mode=False here (torchvision's 1_1 uses ceil_mode=True, which netc gets
                  in another change); on 32x32 inputs the maps are 15, 7, 3, 1 either way but the last.
  densenet        torchvision's DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16): dense
                  layers are a concat of the input with a branch (8 channels: partial channel blocks),
                  standalone batch norms, average-pooling transitions.
  inception       two of torchvision's GoogLeNet Inception modules (four branches from one input, conv + batch
                  norm + relu each, a max-pool branch) behind a stride-2 stem; their pool branch uses
                  ceil_mode=False (torchvision's ceil_mode=True gives the same size at stride 1).
                  Branches of 16 and 32 channels lie in place, those of 8 are copied.
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
    from torchvision.models.densenet import DenseNet
    from torchvision.models.googlenet import BasicConv2d, Inception
    from torchvision.models.resnet import BasicBlock, Bottleneck
    from torchvision.models.squeezenet import Fire, SqueezeNet
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


def squeezenet(classes=10):
    """SqueezeNet 1_1 with every width divided by 4 (its names: features.3.expand1x1, classifier.1)."""
    model = SqueezeNet(version="1_1", num_classes=classes)
    model.features = nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        Fire(16, 4, 16, 16),
        Fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2),
        Fire(32, 8, 32, 32),
        Fire(64, 8, 32, 32),
        nn.MaxPool2d(kernel_size=3, stride=2),
        Fire(64, 12, 48, 48),
        Fire(96, 12, 48, 48),
        Fire(96, 16, 64, 64),
        Fire(128, 16, 64, 64),
    )
    final = nn.Conv2d(128, classes, kernel_size=1)
    model.classifier = nn.Sequential(nn.Dropout(p=0.5), final, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))
    # He initialization keeps the signal through the ReLUs (torch's default for the new modules fades
    # it), random biases and a positive shift on the last conv keep every logit alive past the final
    # ReLU: the two images' logits differ, so a swapped branch shows
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.normal_(0.0, 0.05)
        final.weight.mul_(0.3)
        final.bias.add_(1.0)
    return model


class TinyInception(nn.Module):
    """A stem and two Inception modules (GoogLeNet's names: inception3a.branch2.0.conv), pooled into a linear layer."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = BasicConv2d(3, 16, kernel_size=3, stride=2, padding=1)
        self.inception3a = Inception(16, 16, 8, 16, 4, 8, 8)  # 48 channels: 16 + 16 in place, 8 + 8 copied
        self.inception3b = Inception(48, 16, 16, 32, 8, 16, 16)  # 80 channels, every branch whole blocks
        for block in (self.inception3a, self.inception3b):
            block.branch4[0] = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(80, classes)

    def forward(self, x):
        x = self.inception3b(self.inception3a(self.conv1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


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
    # after the others, so that the random state they are made with, and their files, stay as they were
    export("squeezenet", squeezenet())
    dense = DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=10)
    randomize_batchnorm(dense, gen)
    export("densenet", dense)
    inception = TinyInception()
    randomize_batchnorm(inception, gen)
    export("inception", inception)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_torchvision.py"),
                    "--arch", "resnet18", "--width", "4", "--size", "32", "--classes", "10", "--seed", "7", "--batch", "2",
                    "--fixture", "--onnx", "--out", os.path.join(OUT, "resnet18_w4_s32")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
