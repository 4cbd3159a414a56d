from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.metrics import MetricsConfig
from linearization_fairness.metrics.table import measure_model
from linearization_fairness.models import ModelArtifact
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.sweep import Cell
from linearization_fairness.training import resolve_device


def evaluate_model(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    model: ModelArtifact,
    base_model: ModelArtifact,
    evaluate: MetricsConfig,
    cell: Cell,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's rows of `group_metrics` (all but `relative_drop`, which needs every cell) and
    its per-sample test predictions."""
    table, predictions = measure_model(
        model.build(), base_model.build(), split_tensors(splits, "test"), data_info["group_names"], evaluate,
        resolve_device("auto"),
    )  # fmt: skip
    groups, counts = np.unique(splits["train_group"], return_counts=True)
    train_share = pd.Series(counts / counts.sum(), index=groups)
    num_groups = len(data_info["group_names"])
    description = {
        "experiment": cell.experiment,
        "dataset": data_info["dataset"],
        "arch": model.model_config["arch"],
        "method": cell.method,
        "budget": int(model.metadata.get("budget", model.metadata["total_relu_sites"])),
        "cell": cell.name,
        "relu_count": int(model.metadata["relu_count"]),
        "total_relus": int(model.metadata["total_relu_sites"]),
        "seed": cell.seed,
        "variant": model.metadata["variant"],
    }
    table = table.assign(**description)
    table["train_share"] = table["group_id"].map(train_share).fillna(0.0)
    table["is_minority"] = table["train_share"] < 1.0 / num_groups
    predictions = predictions.assign(split="test", variant=description["variant"], cell=cell.name)
    return table, predictions


def evaluate_base_model(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    base_model: ModelArtifact,
    evaluate: MetricsConfig,
    cell: Cell,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return evaluate_model(splits, data_info, base_model, base_model, evaluate, cell)
