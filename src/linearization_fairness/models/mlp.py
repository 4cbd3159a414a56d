"""A fully connected network with maskable ReLUs, for 2-D toy data.

Hidden layer i (1-based) is `fc{i}` followed by the site `relu{i}` of shape (hidden size,).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from linearization_fairness.models.masks import MaskableReLU


class MLP(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], num_classes: int, hidden_sizes: tuple[int, ...]) -> None:
        super().__init__()
        if not hidden_sizes:
            raise ValueError("MLP needs at least one hidden layer; set hidden_sizes, e.g. [64, 64]")
        self.num_hidden = len(hidden_sizes)
        features = math.prod(in_shape)
        for layer, size in enumerate(hidden_sizes, start=1):
            setattr(self, f"fc{layer}", nn.Linear(features, size))
            setattr(self, f"relu{layer}", MaskableReLU((size,)))
            features = size
        self.out = nn.Linear(features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in range(1, self.num_hidden + 1):
            x = getattr(self, f"relu{layer}")(getattr(self, f"fc{layer}")(x))
        return self.out(x)
