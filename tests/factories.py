"""The tiny models and data splits that the tests build, in one place.

A model factory seeds torch's global generator before it builds, so building twice gives the same
weights twice; a split draws from a generator of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from linearization_fairness.models import MLPConfig, ResNetConfig, StandardResNetConfig, build_model
from linearization_fairness.training.engine import Split

# A two-stage ResNet on 1x8x8 images: sites of 4x8x8 and 8x4x4, 768 ReLUs in all.
TINY_RESNET = ResNetConfig(widths=[4, 8], blocks=[1, 1])
IMAGE_SHAPE = (1, 8, 8)
POINT_SHAPE = (2,)


def tiny_resnet(seed: int = 0, num_classes: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(TINY_RESNET, IMAGE_SHAPE, num_classes)


def tiny_mlp(hidden_sizes: Sequence[int], seed: int = 0, num_classes: int = 3) -> nn.Module:
    """An MLP on 2-D points, with one ReLU site per hidden layer."""
    torch.manual_seed(seed)
    return build_model(MLPConfig(arch="mlp", hidden_sizes=list(hidden_sizes)), POINT_SHAPE, num_classes)


def cifar_resnet18(device: str = "cpu") -> nn.Module:
    """SNL's ResNet18 on 3x32x32 images, 10 classes (491,520 ReLUs); on device "meta" it has shapes only."""
    torch.manual_seed(0)
    with torch.device(device):
        return build_model(StandardResNetConfig(arch="resnet18"), (3, 32, 32), 10)


def tiny_split(count: int, seed: int, shape: tuple[int, ...] = IMAGE_SHAPE, num_classes: int = 3) -> Split:
    """`count` Gaussian inputs with uniformly random labels; the group is the label."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(count, *shape, generator=generator)
    y = torch.randint(0, num_classes, (count,), generator=generator)
    return x, y, y
