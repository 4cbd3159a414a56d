"""The tiny models, data splits and project copies that the tests build, in one place.

A model factory seeds torch's global generator before it builds, so building twice gives the same
weights twice; a split draws from a generator of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

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


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def copy_project(root: Path) -> Path:
    """The project's conf (without conf/local's contents) and pyproject in `root`, with empty data
    layers: a Kedro project that writes into `root` (the package itself is installed)."""
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "data" / "01_raw").mkdir(parents=True)
    (root / "src").mkdir()  # bootstrap_project insists on it
    return root

