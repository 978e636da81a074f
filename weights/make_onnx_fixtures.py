#!/usr/bin/env python3
"""ONNX fixtures for netc's importer: small torchvision-family models exported by torch.onnx.export
(opset 13, dynamic batch), a fixed input and torch's outputs at batch 1 and 2.

Runs with Debian's python3-torch, python3-torchvision, python3-numpy and python3-onnx:
  /usr/bin/python3 weights/make_onnx_fixtures.py [--part2] ... [--part12]   # only part 2's, part 3's grouped-conv, part 4's Winograd, part 5's Inception-E, part 6's gated, part 7's Linear-gated, part 8's ShuffleNet and Split, part 9's ConvNeXt, part 10's RepVGG, part 11's hand-built, or part 12's transform_input, models (each given; none: all); writes weights/fixtures/onnx/NAME{.onnx,_input.npy,_logits_b1.npy,_logits_b2.npy}

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
  mobilenet_v2    torchvision MobileNetV2(num_classes=10, width_mult=0.25) with 11 of its 17 blocks (every stage,
                  fewer repeats) and its last 1x1 conv cut from 1280 to 128 channels (1280 alone would be
                  400 KB): ReLU6 as Clip, depthwise convs, residuals.
  vgg_tiny        torchvision VGG over make_layers([8, M, 16, M, 32, 32, M], batch_norm=True), the average
                  pool to 1x1 and a small classifier (Linear, ReLU, Dropout, Linear).
  resnext_tiny    ResNet(Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=32) at width 4 (grouped 3x3s;
                  width_per_group=4 would leave no channels at this width).
  wide_resnet_tiny ResNet(Bottleneck, [1, 1, 1, 1], width_per_group=128) at width 4: bottlenecks twice as wide.
  pools           ceil-mode MaxPool, AvgPool2d(count_include_pad=False) with ceil mode, zero pads before
                  convs (folded into their padding, asymmetric) and before a max pool (a pad layer),
                  ReLU6 and a clamp to [-0.5, 0.5].
  squeezenet      torchvision's SqueezeNet (version 1_1, its own Fire modules and layer names) at a quarter
                  of the width: fire modules are parallel branches joined by Concat. Its max pools
                  have torchvision's ceil_mode=True (MaxPool ceil_mode=1 in the ONNX file); on 32x32
                  inputs, as on 224x224 ones, the maps are the sizes floor mode gives (15, 7, 3, 1).
  densenet        torchvision's DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16): dense
                  layers are a concat of the input with a branch (8 channels: partial channel blocks),
                  standalone batch norms, average-pooling transitions.
  inception       two of torchvision's GoogLeNet Inception modules (four branches from one input, conv + batch
                  norm + relu each, a max-pool branch) behind a stride-2 stem; their pool branch uses
                  ceil_mode=False (torchvision's ceil_mode=True gives the same size at stride 1).
                  Branches of 16 and 32 channels lie in place, those of 8 are copied.
  mobilenet_v2_relu  torchvision MobileNetV2 at width 0.5 (channels rounded to 4, so 8, 12, 48, 72: not
                  blocks of 16) with its first three stages (depthwise 3x3 convs at stride 1 and 2, inverted residuals), a 1x1 conv to 128 channels and 10 classes, its
                  ReLU6 replaced by ReLU (Clip is not the grouped-conv work's); batch norms folded.
  resnext         torchvision ResNet(Bottleneck, groups=8, width_per_group=16) with [1, 1, 1] units at
                  width 8 (ResNeXt's grouped 3x3 convs: 2, 4 and 8 channels a group), no layer4.
  unsupported     a conv followed by an Elu, which netc does not support (for the error message): its .onnx only.
  vgg_winograd    torchvision VGG over make_layers([24, 32, 32, M, 48], batch_norm=True) and a linear classifier:
                  3x3 convs of 24 and 32 input channels on 32x32 maps (netc's Winograd F(4x4,3x3)) and
                  of 32 on 16x16 (F(2x2,3x3)); the first conv reads the input (a direct conv).
  inception_e     a stem and two modules shaped as torchvision's InceptionE (Inception v3's last two): a
                  branch that forks again into a 1x3 and a 3x1 conv, whose outputs torch.onnx.export
                  writes straight into the module's Concat (one Concat of six inputs for
                  cat([b1, cat([b2a, b2b]), cat([b3a, b3b]), b4])); the head is x.mean([2, 3]) (a
                  ReduceMean with keepdims 0, as MnasNet's) and a linear layer.
  mobilenet_v3    torchvision's MobileNetV3 small at width 0.25, its first 8 of 11 blocks (its own squeeze-and-excitation blocks:
                  ReLU and Hardsigmoid gates, exported as HardSigmoid; hardswish exported as x *
                  HardSigmoid(x) at opset 13), last channel 64, 10 classes.
  efficientnet    torchvision's EfficientNet-B0 at width 0.25 and depth 0.25, its first 5 of 7 stages (MBConv blocks: SiLU,
                  exported as x * Sigmoid(x), and sigmoid gates), last channel 64, 10 classes.
  se_linear       three residual blocks with a squeeze-and-excitation each, written with Linear layers as
                  hand-written models do: senet.pytorch's view()/expand_as (Reshape, MatMul, Expand), torch.flatten
                  and two unsqueezes (Flatten, Gemm, HardSigmoid, Unsqueeze), x.mean((2, 3)) and reshape
                  (ReduceMean with keepdims 0, Reshape to [-1, C, 1, 1]); 16, 24 and 32 channels.
  shufflenet      torchvision's ShuffleNetV2 with [2, 2, 2] units of 24, 48 and 96 channels (halves of 12, 24, 48:
                  partial channel blocks), last conv 64, 10 classes: torch's chunk exported as two Slices with
                  computed split points, its channel shuffle as Reshape, Transpose, Reshape.
  inception_transform  inception's model behind torchvision's own transform_input (GoogLeNet's and Inception v3's with
                  pretrained weights): each channel a Gather, an Unsqueeze, a Mul and an Add, the three joined by a
                  Concat, which netc imports as one scale and shift a channel (a batchnorm).
  split_concat    torch.split into parts of 8, 16 and 16 channels (a Split), the middle one convolved, concatenated
                  as [third, second, first].
  convnext        torchvision's ConvNeXt with stages of 16 (one block) and 24 channels (two blocks: partial channel
                  blocks), 10 classes: LayerNorm2d and the blocks' channels-last LayerNorm (exported as
                  ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add between Transposes), Linear
                  layers as MatMul + Add, GELU as Div, Erf, Add, Mul, Mul, the layer scale as a Mul (set
                  to 0.3-0.7: torchvision's 1e-6 would make each block the identity).
  repvgg          RepVGG's training-time blocks (a 3x3 and a 1x1 conv with batch norms, and a batch norm of the
                  input where the shape is kept, added, then ReLU) in stages of 16, 24 and 32 channels: two or
                  three paths of one shape joined by Adds, netc's sum; batch norms folded into the convs, the
                  identity's standalone.
  conv_bn_pads    a graph built with onnx.helper (outputs by torch's functional ops), as other exporters write
                  what torch.onnx.export does not: a Conv with auto_pad SAME_UPPER and an even kernel (the
                  padding at the end), a BatchNormalization after it left unfolded (epsilon 1e-3), an
                  AveragePool with asymmetric pads and count_include_pad 0, Flatten and Gemm.
  resnet18_w4_s32 the example ResNet-18 (examples/resnet18.net -D width=4 -D size=32 -D classes=10) as
                  export_torchvision.py writes it: ONNX, the same weights as safetensors for the spec,
                  input and torch's logits, so a test can check that import and spec agree.
  resnet50_w2_s32 the same for the example ResNet-50 (examples/resnet50.net -D width=2 -D size=32 -D classes=10):
                  bottleneck blocks, 2 to 64 channels (partial channel blocks throughout).
"""
import argparse
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
    import onnx  # noqa: F401  part 11 builds its graph with it: checked before any fixture is rewritten
except ImportError as e:
    sys.exit(f"make_onnx_fixtures.py: {e}: run with /usr/bin/python3 (Debian's python3-torchvision and python3-onnx)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import (Normalized, RepVGGBlock, at_width, calibrate_batchnorm, input_dependence, onnx_export,  # noqa: E402
                                randomize_batchnorm, save_npy, write_whole)
from torchvision.models.resnet import ResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "onnx")
SIZE = 32


def resnet(block, width, classes=10, **kwargs):
    """torchvision's ResNet with [1, 1, 1, 1] units at another width, built with its own helpers
    (kwargs: its groups and width_per_group, which must be set before the layers are made)."""
    return at_width(ResNet(block, [1, 1, 1, 1], num_classes=classes, **kwargs), block, width, [1, 1, 1, 1], classes)


def squeezenet(classes=10):
    """SqueezeNet 1_1 with every width divided by 4 (its names: features.3.expand1x1, classifier.1)."""
    model = SqueezeNet(version="1_1", num_classes=classes)
    model.features = nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(16, 4, 16, 16),
        Fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(32, 8, 32, 32),
        Fire(64, 8, 32, 32),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
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
        final.weight.mul_(2.5)  # the features, not the bias, decide the logits (no logit left at 0 by the ReLU)
        final.bias.add_(0.3)
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


class TinyInceptionE(nn.Module):
    """Two modules shaped as torchvision's InceptionE (its own BasicConv2d), narrowed, and a mean head."""

    def __init__(self, classes=10):
        super().__init__()
        from torchvision.models.inception import InceptionE
        self.conv1 = BasicConv2d(3, 16, kernel_size=3, stride=2, padding=1)
        self.mixed_a = InceptionE(16)
        self.mixed_b = InceptionE(48)
        firsts = ("branch1x1", "branch3x3_1", "branch3x3dbl_1", "branch_pool")  # the convs that read the module's input
        for block, channels in ((self.mixed_a, 16), (self.mixed_b, 48)):  # every conv to 8 channels: 8 + 16 + 16 + 8 out
            for name, module in list(block.named_children()):
                conv = module.conv
                setattr(block, name, BasicConv2d(channels if name in firsts else 8, 8, kernel_size=conv.kernel_size, padding=conv.padding))
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        x = self.mixed_b(self.mixed_a(self.conv1(x)))
        return self.fc(x.mean([2, 3]))


class SEView(nn.Module):
    """The squeeze-and-excitation of senet.pytorch: Linear layers (no biases: MatMul) on the pooled
    vector, view() back to [b, c, 1, 1] (a Reshape), expand_as(x) (an Expand)."""

    def __init__(self, c, r=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(c, c // r, bias=False), nn.ReLU(inplace=True), nn.Linear(c // r, c, bias=False), nn.Sigmoid())

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


class SEUnsqueeze(nn.Module):
    """A squeeze-and-excitation by torch.flatten, Linear layers with biases (Gemm), a hardsigmoid, and
    two unsqueezes back (Unsqueeze); the multiply broadcasts."""

    def __init__(self, c, r=4):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, c // r), nn.Linear(c // r, c)

    def forward(self, x):
        y = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        y = nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(y))))
        return x * y.unsqueeze(-1).unsqueeze(-1)


class SEMean(nn.Module):
    """A squeeze-and-excitation by x.mean((2, 3)) (a ReduceMean with keepdims 0), Linear layers and
    reshape(-1, c, 1, 1)."""

    def __init__(self, c, r=4):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, c // r), nn.Linear(c // r, c)

    def forward(self, x):
        y = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3))))))
        return x * y.reshape(-1, x.shape[1], 1, 1)


class SEBlock(nn.Module):
    """A residual block (conv, batch norm, ReLU, conv, batch norm) with a squeeze-and-excitation
    before the add, as SE-ResNet places it; a 1x1 conv shortcut where the shape changes."""

    def __init__(self, cin, cout, stride, se):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.se = se
        self.shortcut = nn.Sequential() if stride == 1 and cin == cout else \
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.se(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))
        return torch.relu(y + self.shortcut(x))


class SEResNet(nn.Module):
    """Three SE blocks, one of each way of writing the squeeze-and-excitation with Linear layers."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = SEBlock(16, 16, 1, SEView(16))
        self.layer2 = SEBlock(16, 24, 2, SEUnsqueeze(24))
        self.layer3 = SEBlock(24, 32, 2, SEMean(32))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


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
    """resnet() of Bottlenecks as ResNeXt (8 groups, 16 channels a group in the 3x3 convs), without layer4."""
    model = resnet(Bottleneck, width, classes, groups=8, width_per_group=16)
    model.layer4 = nn.Identity()
    model.fc = nn.Linear(width * 4 * Bottleneck.expansion, classes)
    return model


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return nn.functional.elu(self.conv(x))


class Pools(nn.Module):
    """Pooling modes, asymmetric padding, Pad and Clip (issue 17, part 2)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = nn.Conv2d(8, 12, 2)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.conv3 = nn.Conv2d(12, 12, 3)
        self.pool3 = nn.MaxPool2d(2, stride=2)
        self.fc = nn.Linear(12 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool1(nn.functional.relu6(self.conv1(x)))  # 32 -> 16 -> 8 (ceil; floor would give 7)
        x = torch.clamp(self.conv2(nn.functional.pad(x, (1, 0, 1, 0))), -0.5, 0.5)  # 'same' for an even kernel, as SAME_LOWER: 8
        x = self.pool2(x)  # 8 -> 5 (ceil; floor 4): the last window over one input row, one of padding, one past it
        x = self.conv3(nn.functional.pad(x, (0, 1, 0, 1)))  # 5 -> 6 -> 4
        x = self.pool3(nn.functional.pad(x, (0, 1, 1, 0)))  # zeros, not -inf: 4 -> 5 -> 2
        return self.fc(torch.flatten(x, 1))


def mobilenet_v2():
    from torchvision.models import MobileNetV2
    from torchvision.ops.misc import Conv2dNormActivation
    # torchvision's stages (t, c, n, s) with fewer repeats of the wide ones: at 0.25 the full 17 blocks are 580 KB
    stages = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 2, 1], [6, 160, 1, 2], [6, 320, 1, 1]]
    model = MobileNetV2(num_classes=10, width_mult=0.25, inverted_residual_setting=stages)
    last = 128
    model.features[-1] = Conv2dNormActivation(model.features[-1][0].in_channels, last, kernel_size=1,
                                              norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
    model.classifier[-1] = nn.Linear(last, 10)
    return model


def vgg_tiny():
    from torchvision.models.vgg import VGG, make_layers
    model = VGG(make_layers([8, "M", 16, "M", 32, 32, "M"], batch_norm=True), num_classes=10)
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Sequential(nn.Linear(32, 24), nn.ReLU(True), nn.Dropout(), nn.Linear(24, 10))
    return model


def vgg_winograd():
    from torchvision.models.vgg import VGG, make_layers
    model = VGG(make_layers([24, 32, 32, "M", 48], batch_norm=True), num_classes=10)
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Linear(48, 10)
    return model


def grouped_resnet(groups, width_per_group):
    """resnet() of Bottlenecks at width 4 with torchvision's groups and width_per_group (ResNeXt, Wide ResNet)."""
    return resnet(Bottleneck, 4, groups=groups, width_per_group=width_per_group)


def part2(gen):
    """The fixtures of issue 17, part 2."""
    torch.manual_seed(17)
    for name, model in [("mobilenet_v2", mobilenet_v2()), ("vgg_tiny", vgg_tiny()), ("resnext_tiny", grouped_resnet(4, 32)),
                        ("wide_resnet_tiny", grouped_resnet(1, 128)), ("pools", Pools())]:
        randomize_batchnorm(model, gen)
        export(name, model)


def part3():
    """The grouped-conv models: seeds of their own, so each set regenerates alone."""
    torch.manual_seed(31)
    gen = torch.Generator().manual_seed(31)
    mobilenet = mobilenet_v2_relu()
    randomize_batchnorm(mobilenet, gen)
    export("mobilenet_v2_relu", mobilenet)
    next_ = resnext()
    randomize_batchnorm(next_, gen)
    export("resnext", next_)


def part4():
    """The Winograd F(4x4,3x3) model: a seed of its own, so it regenerates alone."""
    torch.manual_seed(41)
    model = vgg_winograd()
    randomize_batchnorm(model, torch.Generator().manual_seed(41))
    export("vgg_winograd", model)


def part5():
    """The Inception-E model (a Concat the exporter flattened, a ReduceMean head): a seed of its own."""
    torch.manual_seed(53)
    model = TinyInceptionE()
    randomize_batchnorm(model, torch.Generator().manual_seed(53))
    export("inception_e", model)


def gated(model):
    """Weights that make each image's features, not the biases, decide the logits: random batch-norm scales
    and shifts (export() measures their statistics), and a last linear layer scaled up (torchvision's init
    gives it std 0.01 and zero bias)."""
    randomize_batchnorm(model, torch.Generator().manual_seed(61))
    last = model.classifier[-1]
    last.weight.data *= 30
    return model


def part6():
    """The squeeze-and-excitation models (gates, SiLU, hardswish): a seed of their own."""
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
    from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf
    torch.manual_seed(61)
    settings, _ = _mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    export("mobilenet_v3", gated(MobileNetV3(settings[:8], last_channel=64, num_classes=10)))  # its widest three blocks cut
    settings, _ = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.25)
    export("efficientnet", gated(EfficientNet(settings[:5], dropout=0.2, num_classes=10, last_channel=64)))  # and its widest two stages


def part7():
    """The squeeze-and-excitations written with Linear layers: a seed of their own."""
    torch.manual_seed(71)
    model = SEResNet()
    randomize_batchnorm(model, torch.Generator().manual_seed(71))
    model.fc.weight.data *= 10  # the features, not the biases, decide the logits
    export("se_linear", model)


class SplitConcat(nn.Module):
    """torch.split into three unequal parts along the channels (a Split with its sizes as an input),
    one convolved, concatenated in another order."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 40, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(40, classes)

    def forward(self, x):
        a, b, c = torch.split(torch.relu(self.conv1(x)), [8, 16, 16], dim=1)
        x = torch.cat([c, torch.relu(self.conv2(b)), a], 1)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def part8():
    """ShuffleNetV2 (torch's chunk as Slice, its channel shuffle): a seed of its own."""
    from torchvision.models.shufflenetv2 import ShuffleNetV2
    torch.manual_seed(83)
    model = ShuffleNetV2([2, 2, 2], [8, 24, 48, 96, 64], num_classes=10)
    randomize_batchnorm(model, torch.Generator().manual_seed(83))
    model.fc.weight.data *= 10  # the features, not the biases, decide the logits
    export("shufflenet", model)
    export("split_concat", SplitConcat())


def part9():
    """ConvNeXt (channels-last blocks: LayerNorm, Linear, GELU, layer scale): a seed of its own."""
    from torchvision.models.convnext import ConvNeXt, CNBlockConfig
    torch.manual_seed(97)
    model = ConvNeXt([CNBlockConfig(16, 24, 1), CNBlockConfig(24, None, 2)], num_classes=10)
    gen = torch.Generator().manual_seed(97)
    for name, p in model.named_parameters():
        if name.endswith("layer_scale"):  # torchvision's 1e-6 would leave each block the identity
            p.data = 0.3 + 0.4 * torch.rand(p.shape, generator=gen)
        elif p.dim() == 1:  # layer norms' weights and biases, linear and conv biases
            p.data += 0.2 * torch.randn(p.shape, generator=gen)
    model.classifier[-1].weight.data *= 10
    export("convnext", model)


class TinyRepVGG(nn.Module):
    """RepVGG-A's plan at a tiny width, of export_torchvision's blocks (the authors' names): a stride-2 stage entry
    (two branches) then kept-shape blocks (three)."""

    def __init__(self, classes=10):
        super().__init__()
        self.stage0 = RepVGGBlock(3, 16, stride=2)
        self.stage1 = nn.Sequential(RepVGGBlock(16, 24, stride=2), RepVGGBlock(24, 24))
        self.stage2 = nn.Sequential(RepVGGBlock(24, 32, stride=2), RepVGGBlock(32, 32), RepVGGBlock(32, 32))
        self.linear = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stage2(self.stage1(self.stage0(x)))
        return self.linear(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def part10():
    """RepVGG's training-time blocks (paths of one shape added: netc's sum): a seed of its own."""
    torch.manual_seed(101)
    model = TinyRepVGG()
    randomize_batchnorm(model, torch.Generator().manual_seed(101))
    model.linear.weight.data *= 10  # the features, not the biases, decide the logits
    export("repvgg", model)


def part11():
    """Operators torch.onnx.export does not write this way, as other exporters (tf2onnx, hand-built graphs) do: a
    graph written with onnx.helper, torch's functional ops computing its outputs. A seed of its own."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import torch.nn.functional as F
    gen = torch.Generator().manual_seed(111)
    w = torch.randn(8, 3, 2, 2, generator=gen) * 0.5
    b = torch.randn(8, generator=gen) * 0.1
    gamma, beta = 0.5 + torch.rand(8, generator=gen), torch.randn(8, generator=gen) * 0.2
    mean, var = torch.randn(8, generator=gen) * 0.3, 0.5 + torch.rand(8, generator=gen)
    fc = torch.randn(10, 8 * 16 * 16, generator=gen) * 0.05
    fc_b = torch.randn(10, generator=gen) * 0.1
    eps = 1e-3
    nodes = [
        # SAME_UPPER with an even kernel: the one pixel of padding a side needs goes at the end (bottom, right)
        helper.make_node("Conv", ["input", "w", "b"], ["c"], name="conv_same", kernel_shape=[2, 2], auto_pad="SAME_UPPER"),
        # a batch norm after a conv, not folded by the exporter
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn", epsilon=eps),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        # asymmetric pads (bottom and right only), the pixels outside not counted
        helper.make_node("AveragePool", ["r"], ["p"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1],
                         count_include_pad=0),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    inits = [numpy_helper.from_array(t.numpy().astype(np.float32), n) for n, t in
             [("w", w), ("b", b), ("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var), ("fc", fc), ("fc_b", fc_b)]]
    graph = helper.make_graph(nodes, "conv_bn_pads", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, SIZE, SIZE])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="weights/make_onnx_fixtures.py")
    onnx.checker.check_model(model)

    def forward(x):
        y = F.conv2d(F.pad(x, (0, 1, 0, 1)), w, b)
        y = torch.relu(F.batch_norm(y, mean, var, gamma, beta, training=False, eps=eps))
        padded = F.pad(y, (0, 1, 0, 1))
        sums = F.avg_pool2d(padded, 3, 2, count_include_pad=True) * 9
        counts = F.avg_pool2d(F.pad(torch.ones_like(y[:1, :1]), (0, 1, 0, 1)), 3, 2, count_include_pad=True) * 9
        return F.linear(torch.flatten(sums / counts, 1), fc, fc_b)

    name = "conv_bn_pads"
    path = os.path.join(OUT, name + ".onnx")
    write_whole(path, lambda part: onnx.save(model, part))
    x = torch.rand(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(11))
    with torch.no_grad():
        save_npy(os.path.join(OUT, name + "_input.npy"), x.numpy().astype(np.float32))
        save_npy(os.path.join(OUT, name + "_logits_b1.npy"), forward(x[:1]).numpy().astype(np.float32))
        save_npy(os.path.join(OUT, name + "_logits_b2.npy"), forward(x).numpy().astype(np.float32))
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


class TransformedInception(TinyInception):
    """TinyInception behind torchvision's own transform_input (GoogLeNet's and Inception v3's with pretrained weights:
    each channel taken apart, scaled and shifted, and concatenated again)."""

    def __init__(self, classes=10):
        super().__init__(classes)
        self.transform_input = True

    def forward(self, x):
        from torchvision.models.googlenet import GoogLeNet
        return super().forward(GoogLeNet._transform_input(self, x))


def part12():
    """torchvision's transform_input in front of an Inception network: a seed of its own."""
    torch.manual_seed(121)
    model = TransformedInception()
    randomize_batchnorm(model, torch.Generator().manual_seed(121))
    export("inception_transform", model)


def export(name, model, folding=True, outputs=True):
    """NAME.onnx, and with `outputs` NAME_input.npy and torch's NAME_logits_b1.npy and _b2.npy for it."""
    # batch-norm running statistics as training leaves them (calibrate_batchnorm): random ones let the signal fade,
    # and logits that hardly depend on the input say little of the layers that made them
    if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        calibrate_batchnorm(model, 13, SIZE)
    model.eval()
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(2, 3, SIZE, SIZE, generator=gen)
    path = os.path.join(OUT, name + ".onnx")
    if outputs:  # checked before any file is written: a refused model leaves its committed files as they were
        with torch.no_grad():
            logits = model(x)
        if not input_dependence(logits.reshape(2, -1)) > 1e-2:  # also NaN
            sys.exit(f"make_onnx_fixtures.py: {name}: the logits of its two images differ by {input_dependence(logits.reshape(2, -1)):.3g}"
                     " of their largest: they hardly depend on the input")
    # each file whole or not at all (export_torchvision's NAME.part, renamed once complete)
    write_whole(path, lambda part: onnx_export(model, x[:1], part, do_constant_folding=folding))
    if outputs:
        with torch.no_grad():
            save_npy(os.path.join(OUT, name + "_input.npy"), x.numpy().astype(np.float32))
            save_npy(os.path.join(OUT, name + "_logits_b1.npy"), model(x[:1]).numpy().astype(np.float32))
            save_npy(os.path.join(OUT, name + "_logits_b2.npy"), logits.numpy().astype(np.float32))
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


def main():
    # each part seeds itself, so one regenerates alone, leaving the committed fixtures of the others as they
    # are, and several give what the full run gives them
    parts = {2: lambda: part2(torch.Generator().manual_seed(23)), 3: part3, 4: part4, 5: part5, 6: part6, 7: part7,
             8: part8, 9: part9, 10: part10, 11: part11, 12: part12}
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for n, part in parts.items():
        p.add_argument(f"--part{n}", action="store_true", help=f"regenerate only part {n}'s models (and those of any other --partN given)")
    a = p.parse_args()  # anything else is a usage error, not a full run over the committed fixtures
    chosen = [part for n, part in parts.items() if getattr(a, f"part{n}")]
    os.makedirs(OUT, exist_ok=True)
    if chosen:
        for part in chosen:
            part()
        return 0
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
    # netc refuses it before any input is read, so only its .onnx is committed (and the tests read only that)
    export("unsupported", Unsupported(), outputs=False)
    # after the others: the random state they are made with stays as it was when it was added
    export("squeezenet", squeezenet())
    dense = DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=10)
    randomize_batchnorm(dense, gen)
    export("densenet", dense)
    inception = TinyInception()
    randomize_batchnorm(inception, gen)
    export("inception", inception)
    part2(torch.Generator().manual_seed(23))
    part3()
    part4()
    part5()
    part6()
    part7()
    part8()
    part9()
    part10()
    part11()
    part12()
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_torchvision.py"),
                    "--arch", "resnet18", "--width", "4", "--size", "32", "--classes", "10", "--seed", "7", "--batch", "2",
                    "--fixture", "--onnx", "--out", os.path.join(OUT, "resnet18_w4_s32")], check=True)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_torchvision.py"),
                    "--arch", "resnet50", "--width", "2", "--size", "32", "--classes", "10", "--seed", "7", "--batch", "2",
                    "--fixture", "--onnx", "--out", os.path.join(OUT, "resnet50_w2_s32")], check=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:  # an output that cannot be written: one line, not a traceback
        sys.exit(f"make_onnx_fixtures.py: {e}")
    except subprocess.CalledProcessError as e:  # the export it ran said why on its own line
        sys.exit(e.returncode)
