"""The Figure 2 study: the same MLP trained from scratch all-ReLU and with half its ReLUs replaced
by identity, each by the project's one training loop, then measured per class on the test split.

A half-linear model is made before training, not after: its mask is frozen on the freshly
initialised network (same initial weights as the all-ReLU model of its seed), so both models are
trained from scratch as in the paper, and neither is a linearized copy of the other. Which half is
linearized is a rule from HALF_RULES: a seeded uniform draw over all ReLUs (the sweep's random
control, `random_linearize`), or every other neuron of each hidden layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import torch
from torch import nn

from linearization_fairness.figure2.task import CLASS_NAMES
from linearization_fairness.linearization.random_control import random_linearize
from linearization_fairness.linearization.sites import masks_from_flat
from linearization_fairness.models import MLPConfig, build_model, freeze_masks, relu_sites, total_relu_sites
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.training import CrossEntropy, TrainConfig, TrainResult, evaluate_logits, train

ALL_RELU = "all_relu"


def _random_half(model: nn.Module, seed: int) -> nn.Module:
    return random_linearize(model, total_relu_sites(model) // 2, seed)


def _every_other(model: nn.Module, seed: int) -> nn.Module:
    # Neurons 0, 2, 4, ... of each layer keep their ReLU; with even widths that is exactly half.
    keep = torch.cat([torch.arange(site.numel()) % 2 == 0 for _, site in relu_sites(model)])
    freeze_masks(model, masks_from_flat(model, keep))
    return model


# How a half-linear model chooses the half of its ReLUs that become identity: (fresh model, seed) -> model.
HALF_RULES: dict[str, Callable[[nn.Module, int], nn.Module]] = {"random": _random_half, "every_other": _every_other}


def initial_model(hidden_sizes: list[int], rule: str | None, seed: int) -> nn.Module:
    """The seed's freshly initialised MLP on 2-D points, all-ReLU (`rule` None) or half-linear by `rule`."""
    torch.manual_seed(seed)
    model = build_model(MLPConfig(arch="mlp", hidden_sizes=hidden_sizes), (2,), len(CLASS_NAMES))
    if rule is None:
        return model
    if rule not in HALF_RULES:
        raise ValueError(f"half-linear rule {rule!r} is unknown; use one of: {', '.join(HALF_RULES)}")
    return HALF_RULES[rule](model, seed)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    # A step of these MLPs is a few thousand FLOPs: a second intra-op thread only adds
    # synchronisation (6x the CPU time of one thread on 2 cores), and with one thread the numbers
    # are the same under every runner and machine core count.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def train_from_scratch(arrays: dict[str, np.ndarray], hidden_sizes: list[int], rule: str | None, config: TrainConfig, seed: int) -> TrainResult:
    """One model of the study trained from its initialisation; the kept epoch is the best on validation."""
    with _one_thread():
        model = initial_model(hidden_sizes, rule, seed)
        return train(model, split_tensors(arrays, "train"), split_tensors(arrays, "val"), config, CrossEntropy(), seed=seed)


def class_accuracy(model: nn.Module, arrays: dict[str, np.ndarray], split_name: str) -> dict[str, float]:
    """Global accuracy and that of each class on one split, as fractions."""
    x, y, _ = split_tensors(arrays, split_name)
    predicted = evaluate_logits(model, x).argmax(dim=1)
    hits = (predicted == y).double()
    return {"global": float(hits.mean())} | {name: float(hits[y == label].mean()) for label, name in enumerate(CLASS_NAMES)}


def accuracy_rows(model: nn.Module, arrays: dict[str, np.ndarray], model_name: str, seed: int) -> pd.DataFrame:
    """One row per group (global, majority, minority) of one model on the test split."""
    accuracy = class_accuracy(model, arrays, "test")
    return pd.DataFrame({"model": model_name, "seed": seed, "group": list(accuracy), "accuracy": list(accuracy.values())})
