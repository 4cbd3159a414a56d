"""What every linearization method gives the sweep, so that adding one is a module and a registry entry.

A method owns a conf block (`linearize.<name>`, validated by its `config` class, with a list of
`budgets`), says how many ReLUs a budget keeps on a model (checked at start-up on a meta-device
model), and turns a base model into a linearized one. A method that trains on the data does so
in one search per seed for all its budgets (`search`), which the sweep runs instead of
`linearize` once per cell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel
from torch import nn

from linearization_fairness.linearization.budgets import budget_label, count_cell_label
from linearization_fairness.training.engine import Split


@dataclass(frozen=True)
class Run:
    """What a method may use besides the base model: the data, the cell's seed, where to checkpoint."""

    train: Split | None  # None for methods that do not search
    val: Split | None
    seed: int
    checkpoint_path: str | os.PathLike | None = None


@dataclass
class LinearizeResult:
    model: nn.Module  # binarised, frozen masks; not yet finetuned
    message: str = ""  # how the method ended, in one line
    reached_budget: bool = True  # False: a search ran out of epochs (logged as a warning)
    history: pd.DataFrame | None = None  # methods that search: one row per search epoch


@dataclass(frozen=True)
class LinearizationMethod:
    name: str
    config: type[BaseModel]  # the block under linearize.<name>; has `budgets`
    linearize: Callable[[nn.Module, Any, Any, Run], LinearizeResult]  # (base model, budget, config, run)
    relus_kept: Callable[[Any, nn.Module], int]  # (budget, model); a ValueError when the model cannot take it
    budget_label: Callable[[Any], str] = budget_label  # the budget in tables: "250", "p5", "14t"
    cell_label: Callable[[Any], str] = count_cell_label  # the budget in cell names: "b250", "p5", "c14t"
    # (base model, budgets, config, run) -> one result per budget, each what `linearize` gives that
    # budget: methods that train on the data (need the splits) and write a search history.
    search: Callable[[nn.Module, Sequence[Any], Any, Run], list[LinearizeResult]] | None = None
