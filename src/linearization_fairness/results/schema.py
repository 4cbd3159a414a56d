"""Schemas of the results tables (pandera), and the one definition of a minority group.

Two tables per experiment, at two levels, each row keyed once:
- `model_metrics`: one row per evaluated model, keyed by MODEL_KEYS + seed;
- `group_metrics`: one row per group of an evaluated model, keyed by GROUP_KEYS + seed.
A model is named by its method, its `budget` as the sweep declares it ("250", "p5", "14t";
"all" for all-ReLU models), the ReLUs it keeps (`relus_kept`) and its `variant` (the model:
"base", or the finetune variant that made it). Per-model numbers live in `model_metrics` only.
The seed aggregates (`aggregated_schema`) keep the keys without the seed and give each metric
as `<metric>_mean`, `<metric>_std` and `<metric>_ci95`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

MODEL_KEYS = ("experiment", "method", "budget", "relus_kept", "variant")
GROUP_KEYS = (*MODEL_KEYS, "group_id")
MODEL_METRICS = ("overall_accuracy", "worst_group_accuracy", "parity_gap", "param_distance")
# diagnostics_n, hessian_iters and hessian_converged say how a model's diagnostics were measured;
# they vary with the model, so they are aggregated too (the mean of hessian_converged is the share
# of seeds whose value converged).
GROUP_METRICS = (
    "n",
    "accuracy",
    "loss",
    "relative_drop",
    "diagnostics_n",
    "grad_norm",
    "per_sample_grad_norm",
    "prob_margin",
    "logit_margin",
    "hessian_top_eig",
    "hessian_iters",
    "hessian_converged",
)


def is_minority(train_share: pd.Series, num_groups: int) -> pd.Series:
    """A group is a minority when its share of the training split is below the uniform share
    1 / G: the thinned classes of an artificially unbalanced dataset, the rare ones of a
    naturally unbalanced one."""
    return train_share < 1.0 / num_groups


class _ModelKeys(pa.DataFrameModel):
    experiment: Series[str]
    method: Series[str]
    budget: Series[str]
    relus_kept: Series[int] = pa.Field(ge=0)
    variant: Series[str]
    seed: Series[int] = pa.Field(ge=0)
    cell: Series[str]

    class Config:
        strict = True
        coerce = True


class ModelMetrics(_ModelKeys):
    """One row per evaluated model."""

    dataset: Series[str]
    arch: Series[str]
    total_relus: Series[int] = pa.Field(ge=1)
    overall_accuracy: Series[float] = pa.Field(ge=0, le=1)
    worst_group_accuracy: Series[float] = pa.Field(ge=0, le=1)
    parity_gap: Series[float] = pa.Field(ge=0, le=1)
    param_distance: Series[float] = pa.Field(ge=0)

    class Config:
        unique = [*MODEL_KEYS, "seed"]


class CellGroupMetrics(_ModelKeys):
    """One row per group of one evaluated model, as its cell writes it (no `relative_drop` yet:
    it needs the base model of the same seed, from another cell).

    `n` test samples measure accuracy, loss and margins; `diagnostics_n` of them (see the
    `evaluate:` block) the gradient norms and the Hessian. `hessian_iters` counts the
    Hessian-vector products of the group's longest power iteration, and `hessian_converged` says
    whether every one of them met its residual test (false: the value may be an under-estimate)."""

    group_id: Series[int] = pa.Field(ge=0)
    group_name: Series[str]
    train_share: Series[float] = pa.Field(ge=0, le=1)
    is_minority: Series[bool]
    n: Series[int] = pa.Field(ge=1)
    accuracy: Series[float] = pa.Field(ge=0, le=1)
    loss: Series[float] = pa.Field(ge=0)
    diagnostics_n: Series[int] = pa.Field(ge=1)
    grad_norm: Series[float] = pa.Field(ge=0, nullable=True)
    per_sample_grad_norm: Series[float] = pa.Field(ge=0, nullable=True)
    prob_margin: Series[float] = pa.Field(ge=0, le=1)
    logit_margin: Series[float] = pa.Field(ge=0)
    hessian_top_eig: Series[float] = pa.Field(nullable=True)
    hessian_iters: Series[int] = pa.Field(ge=1)
    hessian_converged: Series[bool]

    class Config:
        unique = [*GROUP_KEYS, "seed"]


class GroupMetrics(CellGroupMetrics):
    """An experiment's group rows: (acc_base - acc) / acc_base against the base model of the same
    seed; NaN where the base accuracy is 0."""

    relative_drop: Series[float] = pa.Field(nullable=True)


class MitigationDiagnostics(_ModelKeys):
    """One row per group of one fairness-aware finetuned model: its multiplier after the last
    epoch, the mean (over epochs) and last violation |L_g - L| that drove it (NaN where never
    measured), and where the violations were measured (`violations_on`)."""

    group_id: Series[int] = pa.Field(ge=0)
    group_name: Series[str]
    violations_on: Series[str]
    final_lambda: Series[float] = pa.Field(ge=0)
    mean_violation: Series[float] = pa.Field(ge=0, nullable=True)
    final_violation: Series[float] = pa.Field(ge=0, nullable=True)

    class Config:
        unique = [*GROUP_KEYS, "seed"]


def aggregated_schema(table: type[pa.DataFrameModel], metrics: tuple[str, ...]) -> pa.DataFrameSchema:
    """The seed aggregate of `table`: its columns but the seed, cell and metrics; `n_seeds`; and
    mean, std and ci95 of each metric (NaN std and ci95 with a single seed)."""
    schema = table.to_schema()
    kept = {name: column for name, column in schema.columns.items() if name not in (*metrics, "seed", "cell")}
    statistics = {
        f"{metric}_{statistic}": pa.Column(float, nullable=True)
        for metric in metrics
        for statistic in ("mean", "std", "ci95")
    }
    return pa.DataFrameSchema(
        {**kept, "n_seeds": pa.Column(int, pa.Check.ge(1)), **statistics},
        strict=True,
        coerce=True,
        unique=[key for key in schema.unique if key not in ("seed",)],
    )
