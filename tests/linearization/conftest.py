"""Tiny models and data: a two-stage ResNet on 1x8x8 inputs (768 ReLUs) and a few dozen samples."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
from torch import nn

from linearization_fairness.models import ModelConfig, build_model

Split = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
TINY_RESNET = ModelConfig(arch="resnet", widths=[4, 8], blocks=[1, 1])


@pytest.fixture
def tiny_resnet() -> nn.Module:
    torch.manual_seed(0)
    return build_model(TINY_RESNET, (1, 8, 8), 3)


@pytest.fixture
def tiny_mlp() -> nn.Module:
    torch.manual_seed(0)
    return build_model(ModelConfig(arch="mlp", hidden_sizes=[6, 5]), (2,), 3)


@pytest.fixture
def images() -> Callable[[int, int], Split]:
    def make(count: int, seed: int) -> Split:
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(count, 1, 8, 8, generator=generator)
        y = torch.randint(0, 3, (count,), generator=generator)
        return x, y, y

    return make


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the shared CPU has two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
