"""One model's measurements: its group rows and its model-level numbers (see results/schema.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from linearization_fairness.metrics.config import MetricsConfig
from linearization_fairness.metrics.distance import parameter_distance
from linearization_fairness.metrics.gradients import group_mean_loss_grad_norm, group_means, per_sample_grad_norms
from linearization_fairness.metrics.group import (
    accuracy_parity_gap,
    group_accuracy_table,
    overall_accuracy,
    worst_group_accuracy,
)
from linearization_fairness.metrics.hessian import group_hessian_top_eigenvalue
from linearization_fairness.metrics.predictions import predict

def measure_model(
    model: nn.Module,
    base_model: nn.Module,
    test: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    group_names: Sequence[str],
    config: MetricsConfig,
    device: torch.device | str | None = None,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    """(per-group metrics, per-model metrics, per-sample predictions) of `model` on the split
    `test` = (x, y, group)."""
    x, y, group = test
    predictions = predict(model, x, y, group, config.prediction_batch_size, device)
    table = group_accuracy_table(predictions, group_names).rename(
        columns={"mean_loss": "loss", "mean_prob_margin": "prob_margin", "mean_logit_margin": "logit_margin"}
    )
    grad_norm = group_mean_loss_grad_norm(model, x, y, group, config.grad_norm_batch_size, device)
    per_sample = group_means(per_sample_grad_norms(model, x, y, config.per_sample_batch_size, device), group)
    hessian = group_hessian_top_eigenvalue(
        model, x, y, group, config.hessian_batch_size, config.hessian_iters, config.hessian_tol, config.hessian_seed, device
    )
    table["grad_norm"] = table["group_id"].map(grad_norm)
    table["per_sample_grad_norm"] = table["group_id"].map(per_sample)
    table["hessian_top_eig"] = table["group_id"].map(hessian)
    model_metrics = {
        "overall_accuracy": overall_accuracy(table),
        "worst_group_accuracy": worst_group_accuracy(table),
        "parity_gap": accuracy_parity_gap(table),
        "param_distance": parameter_distance(model.cpu(), base_model.cpu()),
    }
    return table, model_metrics, predictions


def with_relative_drop(group_metrics: pd.DataFrame) -> pd.DataFrame:
    """`relative_drop` = (acc_base - acc) / acc_base per group, against the base model of the same
    experiment and seed (0 for the base model itself; NaN where the base accuracy is 0)."""
    base = group_metrics.loc[group_metrics["variant"] == "base", ["experiment", "seed", "group_id", "accuracy"]]
    base = base.rename(columns={"accuracy": "base_accuracy"})
    merged = group_metrics.merge(base, on=["experiment", "seed", "group_id"], how="left", validate="many_to_one")
    base_accuracy = merged["base_accuracy"].where(merged["base_accuracy"] > 0)
    merged["relative_drop"] = (base_accuracy - merged["accuracy"]) / base_accuracy
    return merged.drop(columns="base_accuracy")
