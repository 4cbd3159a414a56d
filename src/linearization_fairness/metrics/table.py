"""One model's measurements: its group rows and its model-level numbers (see results/schema.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

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
from linearization_fairness.metrics.sampling import diagnostic_positions

logger = logging.getLogger(__name__)


@contextmanager
def _timing(seconds: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - started


def measure_model(
    model: nn.Module,
    base_model: nn.Module,
    test: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    group_names: Sequence[str],
    config: MetricsConfig,
    device: torch.device | str | None = None,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    """(per-group metrics, per-model metrics, per-sample predictions) of `model` on the split
    `test` = (x, y, group): predictions on the whole split, the diagnostics on the samples that
    `config.diagnostics_per_group` selects (see metrics/sampling.py)."""
    x, y, group = test
    seconds: dict[str, float] = {}
    with _timing(seconds, "predictions"):
        predictions = predict(model, x, y, group, config.prediction_batch_size, device)
    table = group_accuracy_table(predictions, group_names).rename(
        columns={"mean_loss": "loss", "mean_prob_margin": "prob_margin", "mean_logit_margin": "logit_margin"}
    )
    chosen = diagnostic_positions(group, config.diagnostics_per_group, config.diagnostics_seed)
    x, y, group = x[chosen], y[chosen], group[chosen]
    with _timing(seconds, "group gradient norms"):
        grad_norm = group_mean_loss_grad_norm(model, x, y, group, config.grad_norm_batch_size, device)
    with _timing(seconds, "per-sample gradient norms"):
        per_sample = group_means(per_sample_grad_norms(model, x, y, config.per_sample_batch_size, device), group)
    with _timing(seconds, "Hessian"):
        hessian = group_hessian_top_eigenvalue(
            model, x, y, group, config.hessian_batch_size, config.hessian_iters, config.hessian_tol,
            config.hessian_seed, device,
        )  # fmt: skip
    ids = table["group_id"]
    table["diagnostics_n"] = ids.map(pd.Series(group.cpu().numpy()).value_counts())
    table["grad_norm"] = ids.map(grad_norm)
    table["per_sample_grad_norm"] = ids.map(per_sample)
    table["hessian_top_eig"] = ids.map({group_id: e.value for group_id, e in hessian.items()})
    table["hessian_iters"] = ids.map({group_id: e.iterations for group_id, e in hessian.items()})
    table["hessian_converged"] = ids.map({group_id: e.converged for group_id, e in hessian.items()})
    # The cost of each measurement, a debug line unless a Hessian value did not converge; the
    # seconds also travel as a record attribute, for whoever weighs evaluation's cost.
    measured = ", ".join(f"{name} {took:.1f} s" for name, took in seconds.items())
    unconverged = table.loc[~table["hessian_converged"], "group_name"].tolist()
    if unconverged:
        logger.warning(
            "measured %d test samples, diagnostics on %d: %s; the Hessian power iteration of %s stopped at "
            "evaluate.hessian_iters=%d before its residual reached hessian_tol=%g, so those values may be "
            "under-estimates (hessian_converged is false): raise hessian_iters",
            len(predictions), len(chosen), measured, unconverged, config.hessian_iters, config.hessian_tol,
            extra={"seconds": seconds},
        )  # fmt: skip
    else:
        logger.debug(
            "measured %d test samples, diagnostics on %d: %s", len(predictions), len(chosen), measured,
            extra={"seconds": seconds},
        )  # fmt: skip
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
