"""Tiny models shared by the metrics tests: a convnet with BatchNorm and a trainable ReLU mask."""

import pytest
import torch
from torch import nn

from tests.factories import tiny_split


class MaskedReLU(nn.Module):
    """SNL-style mixing of ReLU and identity through a trainable mask called `alpha`."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((channels, 1, 1), 0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.alpha * torch.relu(x) + (1 - self.alpha) * x


def build_convnet(seed: int = 0) -> nn.Sequential:
    """Conv + BatchNorm (with non-trivial running statistics) + masked ReLU + dropout + linear head."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 2, kernel_size=3, padding=1),
        nn.BatchNorm2d(2),
        MaskedReLU(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(2 * 4 * 4, 3),
    )
    with torch.no_grad():
        model[1].running_mean.copy_(torch.tensor([0.3, -0.2]))
        model[1].running_var.copy_(torch.tensor([2.0, 0.5]))
        model[1].weight.copy_(torch.tensor([1.5, 0.7]))
        model[1].bias.copy_(torch.tensor([0.1, -0.3]))
    return model


@pytest.fixture
def convnet() -> nn.Sequential:
    return build_convnet()


@pytest.fixture
def image_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """12 one-channel 4x4 images, 3 classes; group 2 is absent from the second batch of 5."""
    x, y, _ = tiny_split(12, seed=1, shape=(1, 4, 4))
    return x, y, torch.tensor([0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 2, 2])
