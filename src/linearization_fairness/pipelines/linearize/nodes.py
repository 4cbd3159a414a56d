from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.linearization import (
    LinearizeResult,
    Run,
    criticality_order,
    criticality_table,
    declared,
    kept_by_layer,
    propose_culling,
    relus_kept,
)
from linearization_fairness.models import ModelArtifact
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.sweep import Cell, Search

logger = logging.getLogger(__name__)


def linearize(base_model: ModelArtifact, *, cell: Cell) -> tuple[ModelArtifact, pd.DataFrame]:
    """The cell's base model with ReLUs removed by the cell's method at the cell's budget."""
    result = cell.linearization.linearize(base_model.build(), cell.budget, cell.settings, Run(None, None, cell.seed))
    return _linearized(base_model, cell, result)


def search_budgets(base_model: ModelArtifact, splits: dict[str, np.ndarray], *, search: Search) -> tuple[Any, ...]:
    """One search on the splits for every budget of `search`; for each of its cells in turn, the
    linearized model, its kept-by-layer table and the search history up to where that budget stopped."""
    method = search.linearization
    checkpoint = search.checkpoint(f"search_{method.name}")
    run = Run(split_tensors(splits, "train"), split_tensors(splits, "val"), search.seed, checkpoint)
    cells = search.cells
    results = method.search(base_model.build(), [cell.budget for cell in cells], search.settings, run)
    outputs: list[Any] = []
    for cell, result in zip(cells, results):
        outputs += [*_linearized(base_model, cell, result), result.history]
    return tuple(outputs)


def _linearized(base_model: ModelArtifact, cell: Cell, result: LinearizeResult) -> tuple[ModelArtifact, pd.DataFrame]:
    if result.message:
        (logger.info if result.reached_budget else logger.warning)("%s: %s", cell.name, result.message)
    metadata = {"variant": "linearized", "cell": cell.name, "seed": cell.seed, "reached_budget": result.reached_budget}
    artifact = base_model.derived(result.model, metadata | ({"search": result.message} if result.message else {}))
    return artifact, kept_by_layer(result.model)


def rank_stages(
    splits: dict[str, np.ndarray], base_model: ModelArtifact, *, cell: Cell
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DeepReDuce's criticality test on the base model of `cell.seed`, and the culling it proposes
    for each ReLU count the other methods' budgets keep (so DeepReDuce can be compared at those)."""
    model = base_model.build()
    settings = cell.config.linearize.deepreduce.criticality
    table = criticality_table(model, split_tensors(splits, "train"), split_tensors(splits, "val"), settings, cell.seed)
    order = criticality_order(table)
    counts = sorted({
        method.relus_kept(budget, model)
        for method, declared_settings in declared(cell.config.linearize) if method.name != "deepreduce"
        for budget in declared_settings.budgets
    })  # fmt: skip
    proposals = []
    for count in counts:
        try:
            culling = propose_culling(order, model, count)
            proposals.append({"budget": count, "culling": culling, "relus_kept": relus_kept(culling, model)})
        except ValueError as unreachable:
            proposals.append({"budget": count, "culling": None, "relus_kept": None, "note": str(unreachable)})
    table["criticality_rank"] = table["stage"].map({stage: rank for rank, stage in enumerate(order, start=1)})
    return table, pd.DataFrame(proposals, columns=["budget", "culling", "relus_kept", "note"])
