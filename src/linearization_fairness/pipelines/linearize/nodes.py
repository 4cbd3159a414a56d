from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from torch import nn

from linearization_fairness.linearization import (
    LinearizeConfig,
    criticality_order,
    criticality_table,
    deepreduce_linearize,
    kept_by_layer,
    propose_culling,
    random_linearize,
    relus_kept_by_variant,
    resolve_budget,
    snl_linearize,
)
from linearization_fairness.models import ModelArtifact, ModelConfig
from linearization_fairness.pipelines.common import checkpoint_file, split_tensors
from linearization_fairness.sweep import Cell

logger = logging.getLogger(__name__)


def _linearized_artifact(model: nn.Module, base_model: ModelArtifact, cell: Cell, **metadata: object) -> ModelArtifact:
    artifact = ModelArtifact.from_model(
        model, ModelConfig(**base_model.model_config), base_model.in_shape, base_model.num_classes,
        {"variant": "linearized", "cell": cell.name, "seed": cell.seed, **metadata},
    )  # fmt: skip
    artifact.metadata["budget"] = artifact.metadata["relu_count"]
    return artifact


def linearize_snl(
    splits: dict[str, np.ndarray], base_model: ModelArtifact, linearize: LinearizeConfig, cell: Cell, checkpoint_dir: str
) -> tuple[ModelArtifact, pd.DataFrame, pd.DataFrame]:
    """SNL's mask search from the base model, binarised to exactly the cell's budget."""
    network = base_model.build()
    budget = resolve_budget(cell.budget, base_model.metadata["total_relu_sites"])
    result = snl_linearize(
        network, split_tensors(splits, "train"), split_tensors(splits, "val"), budget, linearize.snl, cell.seed,
        checkpoint_file(checkpoint_dir, cell, "snl_search"),
    )  # fmt: skip
    (logger.info if result.reached_budget else logger.warning)("%s: %s", cell.name, result.message)
    artifact = _linearized_artifact(result.model, base_model, cell, reached_budget=result.reached_budget, search=result.message)
    return artifact, result.history, kept_by_layer(result.model)


def linearize_random(base_model: ModelArtifact, cell: Cell) -> tuple[ModelArtifact, pd.DataFrame]:
    """The control: the cell's budget of ReLUs kept at uniformly random places."""
    budget = resolve_budget(cell.budget, base_model.metadata["total_relu_sites"])
    model = random_linearize(base_model.build(), budget, cell.seed)
    return _linearized_artifact(model, base_model, cell), kept_by_layer(model)


def linearize_deepreduce(base_model: ModelArtifact, cell: Cell) -> tuple[ModelArtifact, pd.DataFrame]:
    """DeepReDuce: whole stages culled, the rest optionally thinned, as the cell's variant says."""
    model = deepreduce_linearize(base_model.build(), cell.variant)
    return _linearized_artifact(model, base_model, cell), kept_by_layer(model)


def rank_stages(
    splits: dict[str, np.ndarray], base_model: ModelArtifact, linearize: LinearizeConfig, cell: Cell
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DeepReDuce's criticality test on the base model of `cell.seed`, and the culling it proposes
    for each SNL / random budget of the sweep (so DeepReDuce can be compared at those budgets)."""
    model = base_model.build()
    table = criticality_table(
        model, split_tensors(splits, "train"), split_tensors(splits, "val"), linearize.deepreduce.criticality, cell.seed
    )
    order = criticality_order(table)
    total = base_model.metadata["total_relu_sites"]
    budgets = sorted({
        resolve_budget(budget, total)
        for method in (linearize.snl, linearize.random) if method is not None for budget in method.budgets
    })  # fmt: skip
    proposals = []
    for budget in budgets:
        try:
            variant = propose_culling(order, model, budget)
            proposals.append({"budget": budget, "variant": variant, "relus_kept": relus_kept_by_variant(model, variant)})
        except ValueError as unreachable:
            proposals.append({"budget": budget, "variant": None, "relus_kept": None, "note": str(unreachable)})
    table["criticality_rank"] = table["stage"].map({stage: rank for rank, stage in enumerate(order, start=1)})
    return table, pd.DataFrame(proposals, columns=["budget", "variant", "relus_kept", "note"])
