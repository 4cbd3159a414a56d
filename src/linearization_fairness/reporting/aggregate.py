"""From the evaluate stage's per-seed `group_metrics` table to means and confidence intervals.

`group_metrics` has one row per (experiment, method, budget, seed, variant, group). Every number
the report shows is a mean over seeds with a 95% confidence interval, because small test sets
make single runs noisy (a few points of gap between seeds on digits).

Column naming of the aggregated table: the key columns, the descriptive columns (constant within
a key, copied from the first seed), `n_seeds`, and for every metric `<metric>_mean`,
`<metric>_std` (sample standard deviation, ddof=1) and `<metric>_ci95` (half-width of the Student-t
95% interval of the mean: t(0.975, k-1) * std / sqrt(k), where k counts the seeds whose value is
not NaN; NaN when k < 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

BASE_METHOD = "base"
CONTROL_METHOD = "finetune_only"
BASE_VARIANT = "base"
PLAIN_VARIANT = "finetune"
MITIGATED_VARIANT = "mitigate"
VARIANT_LABELS = {
    BASE_VARIANT: "all-ReLU model",
    PLAIN_VARIANT: "plain KD finetuning",
    MITIGATED_VARIANT: "fairness-aware finetuning",
}
# Known methods first, in the paper's order; any other linearization method follows alphabetically.
METHOD_ORDER = (BASE_METHOD, CONTROL_METHOD, "snl", "deepreduce", "random")

KEY_COLUMNS = ("experiment", "method", "budget", "variant", "group_id")
MODEL_KEY_COLUMNS = ("experiment", "method", "budget", "variant")
DESCRIPTIVE_COLUMNS = ("dataset", "arch", "group_name", "train_share", "is_minority", "total_relus")
GROUP_METRICS = (
    "n",
    "accuracy",
    "loss",
    "relative_drop",
    "grad_norm",
    "per_sample_grad_norm",
    "prob_margin",
    "logit_margin",
    "hessian_top_eig",
)
MODEL_METRICS = ("relu_count", "overall_accuracy", "worst_group_accuracy", "parity_gap", "param_distance")
METRICS = GROUP_METRICS + MODEL_METRICS
STATISTICS = ("mean", "std", "ci95")
CONFIDENCE = 0.95


def ci95_half_width(std: np.ndarray | pd.Series, count: np.ndarray | pd.Series) -> np.ndarray:
    """Student-t half-width of the 95% interval of a mean of `count` values; NaN where count < 2."""
    std = np.asarray(std, dtype=float)
    count = np.asarray(count, dtype=float)
    enough = count >= 2
    # Degrees of freedom of 1 where there are too few values only keep t.ppf finite; masked below.
    t_quantile = stats.t.ppf(0.5 + CONFIDENCE / 2, np.where(enough, count - 1, 1))
    half_width = t_quantile * std / np.sqrt(np.where(enough, count, 1))
    return np.where(enough, half_width, np.nan)


def aggregate_over_seeds(group_metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (experiment, method, budget, variant, group_id) with mean/std/ci95 of every metric.

    NaN values are left out of each metric's statistics separately. The rows are ordered by
    experiment, method (METHOD_ORDER), budget, variant and group id.
    """
    required = (*KEY_COLUMNS, "seed", *DESCRIPTIVE_COLUMNS, *METRICS)
    missing = [column for column in required if column not in group_metrics.columns]
    if missing:
        raise ValueError(f"group_metrics lacks columns {missing}; pass the evaluate stage's group_metrics table")
    if group_metrics.empty:
        raise ValueError("group_metrics is empty; run the evaluate stage for at least one model first")
    duplicated = group_metrics.duplicated(subset=[*KEY_COLUMNS, "seed"])
    if duplicated.any():
        first = group_metrics.loc[duplicated, [*KEY_COLUMNS, "seed"]].iloc[0].to_dict()
        raise ValueError(f"group_metrics holds the same model, group and seed twice (e.g. {first}); drop duplicates")

    metrics = group_metrics[list(METRICS)].apply(pd.to_numeric, errors="coerce").astype(float)
    grouped = metrics.groupby([group_metrics[key] for key in KEY_COLUMNS], sort=False)
    means, stds, counts = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half_widths = pd.DataFrame(ci95_half_width(stds, counts), index=stds.index, columns=stds.columns)

    by_key = group_metrics.groupby(list(KEY_COLUMNS), sort=False)
    table = by_key[list(DESCRIPTIVE_COLUMNS)].first()
    table["n_seeds"] = by_key["seed"].nunique()
    for metric in METRICS:
        table[f"{metric}_mean"] = means[metric]
        table[f"{metric}_std"] = stds[metric]
        table[f"{metric}_ci95"] = half_widths[metric]
    table = table.reset_index()
    return sort_rows(table)


def variant_label(variant: str) -> str:
    """Readable name of a variant for legends and sentences (unknown variants keep their name)."""
    return VARIANT_LABELS.get(variant, variant)


def method_rank(method: str) -> tuple[int, str]:
    """Sort key: METHOD_ORDER first, then other methods alphabetically."""
    return (METHOD_ORDER.index(method), "") if method in METHOD_ORDER else (len(METHOD_ORDER), method)


def sort_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by experiment, method rank, then the remaining key columns present."""
    keys = [column for column in KEY_COLUMNS if column in table.columns and column not in ("experiment", "method")]
    ranked = table.assign(_method_rank=[method_rank(method)[0] for method in table["method"]])
    ranked = ranked.sort_values(["experiment", "_method_rank", "method", *keys], kind="stable")
    return ranked.drop(columns="_method_rank").reset_index(drop=True)


def model_summary(aggregated: pd.DataFrame) -> pd.DataFrame:
    """One row per model (experiment, method, budget, variant) with the per-model metric columns.

    The per-model metrics are repeated on every group row of `group_metrics`, so any one group row
    of a model carries them; `n_seeds` is the largest over the model's groups.
    """
    statistic_columns = [f"{metric}_{statistic}" for metric in MODEL_METRICS for statistic in STATISTICS]
    by_model = aggregated.groupby(list(MODEL_KEY_COLUMNS), sort=False)
    summary = by_model[["dataset", "arch", "total_relus", *statistic_columns]].first()
    summary.insert(3, "n_seeds", by_model["n_seeds"].max())
    return sort_rows(summary.reset_index())


def linearization_methods(aggregated: pd.DataFrame) -> list[str]:
    """Methods that remove ReLUs (everything but the base model and the finetune-only control), ordered."""
    methods = set(aggregated["method"]) - {BASE_METHOD, CONTROL_METHOD}
    return sorted(methods, key=method_rank)


def lowest_budget_rows(aggregated: pd.DataFrame, method: str, variant: str) -> pd.DataFrame:
    """The rows of `method` and `variant` at that method's lowest budget (empty if there are none)."""
    rows = aggregated[(aggregated["method"] == method) & (aggregated["variant"] == variant)]
    if rows.empty:
        return rows
    return rows[rows["budget"] == rows["budget"].min()]
