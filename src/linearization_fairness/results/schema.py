"""Schemas of the results tables (pandera), and the one definition of a minority group.

Two tables per experiment, at two levels, each row keyed once:
- `model_metrics`: one row per evaluated model, keyed by MODEL_KEYS + seed;
- `group_metrics`: one row per group of an evaluated model, keyed by GROUP_KEYS + seed.
A model is named by its method, its `budget` as the sweep declares it ("250", "p5", "14t";
"all" for all-ReLU models), the ReLUs it keeps (`relus_kept`) and its `variant` (the model:
"base", or the finetune variant that made it). Per-model numbers live in `model_metrics` only.
The seed aggregates (`aggregated_schema`) keep the keys without the seed and give each metric
as `<metric>_mean`, `<metric>_std` and `<metric>_ci95`.

The comparison tables (`differences_schema`, see reporting/statistics.py) pair two models of one
seed, keyed by the compared model's keys and the `reference` variant it is compared against,
per group or per pair, per seed or aggregated; `accuracy_intervals_schema` is the group accuracy
over seeds beside its interval over test samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
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

    relative_drop: Series[float] = pa.Field(le=1, nullable=True)


class MitigationDiagnostics(_ModelKeys):
    """One row per group of one fairness-aware finetuned model: its multiplier after the last
    epoch, the mean (over epochs) and last violation that drove it (NaN where never measured),
    the violation's form (`penalty`: gap |L_g - L| or excess (L_g - L)_+) and where it was
    measured (`violations_on`)."""

    group_id: Series[int] = pa.Field(ge=0)
    group_name: Series[str]
    penalty: Series[str] = pa.Field(isin=["gap", "excess"])
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


DIFFERENCE_KEYS = (*MODEL_KEYS, "reference")
GROUP_DIFFERENCE_KEYS = (*DIFFERENCE_KEYS, "group_id")
# Each comparison statistic and the range of its values (None: unbounded); see reporting/statistics.py.
GROUP_DIFFERENCES = {"difference": (-1, 1), "relative_drop": (None, 1), "excess_drop": (-2, 2), "flip_rate": (0, 1)}
MODEL_DIFFERENCES = {
    "overall_difference": (-1, 1),
    "worst_group_difference": (-1, 1),
    "max_excess_drop": (-2, 2),
    "flip_rate": (0, 1),
    "minority_relative_drop": (None, 1),
    "majority_relative_drop": (None, 1),
    "minority_gap": (None, None),
}


def _checked_ranges(*tables: type[pa.DataFrameModel]) -> dict[str, tuple[float | None, float | None]]:
    """The (low, high) bounds the tables' schemas check on each float column (None: unchecked)."""
    ranges = {}
    for table in tables:
        for name, column in table.to_schema().columns.items():
            if column.dtype is not None and "float" in str(column.dtype):
                bounds = {check.name: check.statistics for check in column.checks}
                low = bounds.get("greater_than_or_equal_to", {}).get("min_value")
                high = bounds.get("less_than_or_equal_to", {}).get("max_value")
                ranges[name] = (low, high)
    return ranges


# Where every metric and comparison statistic of the results tables lives (None: unbounded), so
# the report cuts each interval over seeds at one set of bounds, in its tables, sentences and
# figures alike: a t-interval over few seeds can reach past them (an accuracy above 100%). The
# largest Hessian eigenvalue of a trained model is not negative; its column does not check that,
# as power iteration can return a negative estimate away from a minimum.
VALUE_RANGES = _checked_ranges(ModelMetrics, GroupMetrics) | {"hessian_top_eig": (0, None)} | GROUP_DIFFERENCES | MODEL_DIFFERENCES
PER_SEED_BOUNDS = ("", "_low", "_high")  # the seed's value and its test-sample interval
AGGREGATED_BOUNDS = ("_mean", "_std", "_ci95", "_sample_low", "_sample_high")


def _statistic_columns(statistics: dict[str, tuple[float | None, float | None]], suffixes: tuple[str, ...]) -> dict[str, pa.Column]:
    columns = {}
    for name, (low, high) in statistics.items():
        for suffix in suffixes:
            within = suffix not in ("_std", "_ci95") and (low is not None or high is not None)
            checks = [pa.Check.in_range(low if low is not None else -np.inf, high if high is not None else np.inf)] if within else []
            columns[f"{name}{suffix}"] = pa.Column(float, checks, nullable=True)
    return columns


def _keys(names: tuple[str, ...]) -> dict[str, pa.Column]:
    keys = _ModelKeys.to_schema().columns | {"reference": pa.Column(str), "group_id": pa.Column(int, pa.Check.ge(0))}
    return {name: keys[name] for name in names}


GROUP_COLUMNS = {
    "group_name": pa.Column(str),
    "train_share": pa.Column(float, pa.Check.in_range(0, 1)),
    "is_minority": pa.Column(bool),
    "n": pa.Column(int, pa.Check.ge(1)),
}


def differences_schema(level: Literal["group", "model"], aggregated: bool = False) -> pa.DataFrameSchema:
    """A comparison table: per seed, each statistic with its test-sample interval (`_low`, `_high`)
    and at model level the group of the largest excess drop; over seeds, the keys without the seed,
    `n_seeds` and each statistic's mean, std, ci95 and test-sample interval of the mean
    (`_sample_low`, `_sample_high`), at model level with the count of seeds above 0."""
    keys = GROUP_DIFFERENCE_KEYS if level == "group" else DIFFERENCE_KEYS
    statistics = GROUP_DIFFERENCES if level == "group" else MODEL_DIFFERENCES
    columns = _keys(keys) | (GROUP_COLUMNS if level == "group" else {})
    if aggregated:
        columns |= {"n_seeds": pa.Column(int, pa.Check.ge(1)), **_statistic_columns(statistics, AGGREGATED_BOUNDS)}
        if level == "model":
            columns |= {f"{name}_positive_seeds": pa.Column(int, pa.Check.ge(0)) for name in statistics}
    else:
        columns |= {"seed": pa.Column(int, pa.Check.ge(0)), "cell": pa.Column(str)}
        columns |= _statistic_columns(statistics, PER_SEED_BOUNDS)
        if level == "model":
            columns["max_excess_group"] = pa.Column(str, nullable=True)
    unique = list(keys) if aggregated else [*keys, "seed"]
    return pa.DataFrameSchema(columns, strict=True, coerce=True, unique=unique)


def accuracy_intervals_schema() -> pa.DataFrameSchema:
    """Per model and group: the accuracy over seeds (mean, std, Student-t ci95) beside the
    test-sample interval of that mean (`accuracy_sample_low`, `accuracy_sample_high`)."""
    columns = _keys(GROUP_KEYS) | GROUP_COLUMNS | {"n_seeds": pa.Column(int, pa.Check.ge(1))}
    columns |= _statistic_columns({"accuracy": (0, 1)}, AGGREGATED_BOUNDS)
    return pa.DataFrameSchema(columns, strict=True, coerce=True, unique=list(GROUP_KEYS))


FIGURE2_GROUPS = ("global", "majority", "minority")


class Figure2Accuracy(pa.DataFrameModel):
    """The Figure 2 study (figure2/): one row per model, seed, split (val: for choosing the task's
    settings; test: for the findings) and group ("global" is every point of the split). `model` is
    all_relu or half_<rule>; `best_epoch` the kept epoch."""

    model: Series[str]
    split: Series[str] = pa.Field(isin=("val", "test"))
    relus_kept: Series[int] = pa.Field(ge=0)
    total_relus: Series[int] = pa.Field(ge=1)
    seed: Series[int] = pa.Field(ge=0)
    best_epoch: Series[int] = pa.Field(ge=1)
    group: Series[str] = pa.Field(isin=FIGURE2_GROUPS)
    n: Series[int] = pa.Field(ge=1)
    accuracy: Series[float] = pa.Field(ge=0, le=1)

    class Config:
        strict = True
        coerce = True
        unique = ["model", "seed", "split", "group"]


class Figure2Aggregated(pa.DataFrameModel):
    """Figure2Accuracy over seeds, per model, split and group: accuracy mean / std / Student-t ci95, and
    `drop` = all-ReLU minus this model's accuracy, paired by seed (0 for the all-ReLU model itself),
    its mean, ci95 and `seeds_worse`, the seeds where the model is below its all-ReLU twin."""

    model: Series[str]
    split: Series[str] = pa.Field(isin=("val", "test"))
    relus_kept: Series[int] = pa.Field(ge=0)
    group: Series[str] = pa.Field(isin=FIGURE2_GROUPS)
    n_seeds: Series[int] = pa.Field(ge=1)
    accuracy_mean: Series[float] = pa.Field(ge=0, le=1)
    accuracy_std: Series[float] = pa.Field(nullable=True)
    accuracy_ci95: Series[float] = pa.Field(nullable=True)
    drop_mean: Series[float]
    drop_ci95: Series[float] = pa.Field(nullable=True)
    seeds_worse: Series[int] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True
        unique = ["model", "split", "group"]


class GroupLabelMetrics(_ModelKeys):
    """One row per (group, label) of one evaluated model, for a group that is not the label:
    `n` test samples and their accuracy. For a binary target (class 1 positive), `tpr` and `fpr`
    are the group's rates (the same on both label rows of a group) and `equalized_odds_difference`
    the model's (the same on all its rows); NaN for other targets."""

    group_id: Series[int] = pa.Field(ge=0)
    group_name: Series[str]
    label: Series[int] = pa.Field(ge=0)
    n: Series[int] = pa.Field(ge=1)
    accuracy: Series[float] = pa.Field(ge=0, le=1)
    tpr: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    fpr: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    equalized_odds_difference: Series[float] = pa.Field(ge=0, le=1, nullable=True)

    class Config:
        unique = [*GROUP_KEYS, "label", "seed"]
