"""The control for both methods: keep a uniformly random set of ReLU pixels of a given size.

If SNL's learned placement matters, SNL at a budget should beat this at the same budget; if the
disparate impact comes from the count alone, it should show here too.
"""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from linearization_fairness.linearization.budgets import Budgets, resolve_budget
from linearization_fairness.linearization.method import LinearizeResult, Run
from linearization_fairness.linearization.sites import linearizable_copy, masks_from_flat
from linearization_fairness.models import freeze_masks, total_relu_sites


class RandomConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    budgets: Budgets


def random_linearize(base_model: nn.Module, budget: int, seed: int) -> nn.Module:
    """A copy of `base_model` keeping exactly `budget` ReLU pixels drawn uniformly over all sites."""
    model = linearizable_copy(base_model)
    total = total_relu_sites(model)
    if not 1 <= budget <= total:
        raise ValueError(f"random budget={budget} must be a ReLU count in 1..{total}; resolve fractions first")
    # A private generator: the draw depends on `seed` alone, not on what ran before.
    generator = torch.Generator().manual_seed(seed)
    keep = torch.zeros(total, dtype=torch.bool)
    keep[torch.randperm(total, generator=generator)[:budget]] = True
    freeze_masks(model, masks_from_flat(model, keep))
    return model


def linearize(base_model: nn.Module, budget: int | float, config: RandomConfig, run: Run) -> LinearizeResult:
    """The registry's entry point: the cell's seed draws the pixels."""
    return LinearizeResult(random_linearize(base_model, resolve_budget(budget, total_relu_sites(base_model)), run.seed))
