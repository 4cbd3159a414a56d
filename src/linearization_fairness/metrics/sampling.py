"""Which test samples the diagnostics measure: the whole split, or a seeded subsample per group.

Predictions (accuracy, loss, margins) cost one forward pass per sample and always cover the whole
test split. The diagnostics (gradient norms, per-sample gradient norms, Hessian eigenvalues) cost a
backward pass per group and batch, one per sample, and a Hessian-vector product per power-iteration
step, so an experiment may measure them on a fixed number of samples per group, or on a share of
each group (a stratified subsample: the split's group proportions, and with them the group counts
per batch that the gradient norm's batch convention depends on, are kept).

The draw depends only on the split's group labels and the seed, so every model of an experiment is
measured on the same samples; a larger count extends a smaller one's samples.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import torch
from pydantic import BeforeValidator


def _checked(value: Any) -> Any:
    # bool is an int to Python, and a YAML `true` here is a typo, not one sample per group.
    is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    is_share = isinstance(value, float) and 0.0 < value < 1.0
    if value is not None and not (is_count or is_share):
        raise ValueError(
            f"{value!r} is neither a number of samples per group (an integer >= 1) nor a share of each group "
            "in (0, 1); use e.g. 100 or 0.1, or null for the whole test split"
        )
    return value


# A count of samples per group, a share of each group, or None for the whole split.
SamplesPerGroup = Annotated[int | float | None, BeforeValidator(_checked)]


def kept_count(per_group: int | float | None, members: int) -> int:
    """How many of a group's `members` samples the diagnostics measure (a share keeps at least one)."""
    if per_group is None:
        return members
    if isinstance(_checked(per_group), float):
        return max(1, round(per_group * members))
    return min(per_group, members)


def diagnostic_positions(group: torch.Tensor, per_group: int | float | None, seed: int) -> torch.Tensor:
    """Sorted positions of the samples to measure: per group (in increasing id order) a uniform draw
    without replacement of `kept_count` of its samples; every position when `per_group` is None.

    Sorted, so the subsample keeps the split's order and its batches mix the groups as the split's do.
    """
    if per_group is None:
        return torch.arange(len(group))
    labels = group.cpu().numpy()
    rng = np.random.default_rng(seed)
    chosen = []
    for group_id in np.unique(labels):
        members = np.flatnonzero(labels == group_id)
        # The whole permutation is drawn whatever the count, so counts share their draws.
        chosen.append(rng.permutation(members)[: kept_count(per_group, len(members))])
    return torch.from_numpy(np.sort(np.concatenate(chosen)))
