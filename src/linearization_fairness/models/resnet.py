"""ResNets with maskable ReLUs, laid out as SNL's `resnet18_in` / `resnet34_in`.

A 3x3 stride-1 stem conv + BN with no ReLU and no max-pool, then stages of BasicBlocks
(the first stage at stride 1, every later one halving the resolution). Each block has two
ReLU sites, `relu1` after the first BN and `relu2` after the residual add, named
`layer{stage}.{block}.relu{1|2}` so that DeepReDuce can cull stages and thin blocks.
Sites know their activation shape at construction, hence the input size is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from linearization_fairness.models.masks import MaskableReLU

RESNET18_BLOCKS = (2, 2, 2, 2)
RESNET34_BLOCKS = (3, 4, 6, 3)
IMAGENET_STYLE_WIDTHS = (64, 128, 256, 512)


def _output_size(size: int, stride: int) -> int:
    # Same formula for the 3x3/padding-1 convs and the 1x1/padding-0 shortcut convs.
    return (size - 1) // stride + 1


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, in_hw: tuple[int, int]) -> None:
        super().__init__()
        self.out_hw = (_output_size(in_hw[0], stride), _output_size(in_hw[1], stride))
        site_shape = (out_channels, *self.out_hw)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = MaskableReLU(site_shape)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu2 = MaskableReLU(site_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(
        self,
        in_shape: tuple[int, int, int],
        num_classes: int,
        widths: tuple[int, ...],
        blocks: tuple[int, ...],
    ) -> None:
        super().__init__()
        if len(in_shape) != 3:
            raise ValueError(f"ResNet needs image input (C, H, W); got in_shape={tuple(in_shape)}")
        if len(widths) != len(blocks) or not widths:
            raise ValueError(f"ResNet needs one width per stage; got widths={widths}, blocks={blocks}")
        in_channels, height, width = in_shape
        self.num_stages = len(widths)
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        hw = (height, width)
        channels = widths[0]
        for stage, (stage_width, stage_blocks) in enumerate(zip(widths, blocks), start=1):
            stage_layers = []
            for block_index in range(stage_blocks):
                stride = 2 if stage > 1 and block_index == 0 else 1
                block = BasicBlock(channels, stage_width, stride, hw)
                stage_layers.append(block)
                hw, channels = block.out_hw, stage_width
            setattr(self, f"layer{stage}", nn.Sequential(*stage_layers))
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.conv1(x))
        for stage in range(1, self.num_stages + 1):
            out = getattr(self, f"layer{stage}")(out)
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


def scaled_widths(widths: tuple[int, ...], width_multiplier: float) -> tuple[int, ...]:
    return tuple(max(1, round(w * width_multiplier)) for w in widths)


def resnet18(in_shape: tuple[int, int, int], num_classes: int, width_multiplier: float = 1.0) -> ResNet:
    return ResNet(in_shape, num_classes, scaled_widths(IMAGENET_STYLE_WIDTHS, width_multiplier), RESNET18_BLOCKS)


def resnet34(in_shape: tuple[int, int, int], num_classes: int, width_multiplier: float = 1.0) -> ResNet:
    return ResNet(in_shape, num_classes, scaled_widths(IMAGENET_STYLE_WIDTHS, width_multiplier), RESNET34_BLOCKS)


@dataclass(frozen=True)
class ResNetSite:
    stage: int  # 1-based
    block: int  # 0-based, as in the module name
    position: int  # 1: after the first BN, 2: after the residual add


_SITE_NAME = re.compile(r"^layer(\d+)\.(\d+)\.relu([12])$")


def parse_site_name(name: str) -> ResNetSite:
    match = _SITE_NAME.match(name)
    if match is None:
        raise ValueError(f"site name {name!r} is not a ResNet site; expected 'layer<stage>.<block>.relu<1|2>'")
    stage, block, position = (int(group) for group in match.groups())
    return ResNetSite(stage=stage, block=block, position=position)
