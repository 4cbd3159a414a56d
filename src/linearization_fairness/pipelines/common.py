"""What every stage's nodes need: tensors from the stored splits, and a node bound to its cell."""

from __future__ import annotations

from functools import partial, update_wrapper
from typing import Any, Callable

import numpy as np
import torch
from kedro.pipeline import Node, node

from linearization_fairness.fingerprints import semantic


def split_tensors(splits: dict[str, np.ndarray], name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, y, group) of one split ("train", "val" or "test") as CPU tensors; the engine moves them."""
    return tuple(torch.from_numpy(np.ascontiguousarray(splits[f"{name}_{part}"])) for part in ("x", "y", "group"))


def bound_node(
    function: Callable[..., Any], inputs: Any, outputs: Any, name: str, tags: str, depends_on: Any, **settings: Any
) -> Node:
    """A node running `function` on its catalog inputs, with its settings (its cell, experiment,
    variant) bound as keyword arguments when the pipeline is built. `depends_on`: the resolved
    settings its result depends on, which its outputs' fingerprints hash (see fingerprints.py)."""
    bound = update_wrapper(partial(function, **settings), function)
    bound.depends_on = semantic(depends_on)
    return node(bound, inputs, outputs, name=name, tags=tags)
