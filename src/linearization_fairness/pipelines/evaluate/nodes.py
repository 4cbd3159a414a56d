from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.metrics.table import measure_model
from linearization_fairness.models import ModelArtifact
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.results import MODEL_KEYS, CellGroupMetrics, MitigationDiagnostics, ModelMetrics, is_minority
from linearization_fairness.sweep import Cell
from linearization_fairness.training import resolve_device

logger = logging.getLogger(__name__)


def evaluate_model(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    model: ModelArtifact,
    base_model: ModelArtifact,
    *,
    cell: Cell,
    variant: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The model's row of `model_metrics`, its rows of `group_metrics` (all but `relative_drop`,
    which needs the base model's cell) and its per-sample test predictions."""
    groups, model_values, predictions = measure_model(
        model.build(), base_model.build(), split_tensors(splits, "test"), data_info["group_names"],
        cell.config.evaluate, resolve_device("auto"),
    )  # fmt: skip
    keys = {
        "experiment": cell.experiment.name,
        "method": cell.method,
        "budget": cell.budget_label,
        "relus_kept": int(model.metadata["relu_count"]),
        "variant": variant,
        "seed": cell.seed,
        "cell": cell.name,
    }
    description = {"dataset": data_info["dataset"], "arch": model.model_config["arch"], "total_relus": int(model.metadata["total_relu_sites"])}
    model_row = ModelMetrics.validate(pd.DataFrame([keys | description | model_values]))
    ids, counts = np.unique(splits["train_group"], return_counts=True)
    train_share = groups["group_id"].map(pd.Series(counts / counts.sum(), index=ids)).fillna(0.0)
    groups = groups.assign(**keys, train_share=train_share, is_minority=is_minority(train_share, len(data_info["group_names"])))
    group_rows = CellGroupMetrics.validate(groups[list(CellGroupMetrics.to_schema().columns)])
    worst = groups.loc[groups["accuracy"].idxmin()]
    logger.info(
        "%s.%s %s: global accuracy %.1f%%, worst group %.1f%% (%s)", cell.experiment.name, cell.name, variant,
        100 * model_values["overall_accuracy"], 100 * worst["accuracy"], worst["group_name"],
    )  # fmt: skip
    return model_row, group_rows, predictions.assign(split="test", variant=variant, cell=cell.name)


def diagnose_mitigation(data_info: dict[str, Any], model_metrics: pd.DataFrame, model: ModelArtifact, *, cell: Cell) -> pd.DataFrame:
    """Per group of the cell's fairness-aware finetuned model: its final multiplier and the
    violations that drove it (the summary its finetune stored with it), keyed as its
    `model_metrics` row."""
    summary = pd.DataFrame(model.metadata["multipliers"])
    keys = model_metrics[[*MODEL_KEYS, "seed", "cell"]].iloc[0].to_dict()
    names = [data_info["group_names"][group_id] for group_id in summary["group_id"]]
    mitigate = cell.config.mitigate
    table = summary.assign(**keys, group_name=names, penalty=mitigate.penalty, violations_on=mitigate.violations_on)
    return MitigationDiagnostics.validate(table[list(MitigationDiagnostics.to_schema().columns)])
