"""From the evaluate stage's per-seed results tables to means and confidence intervals.

Two tables are aggregated the same way (see `linearization_fairness.results.schema`):
`model_metrics`, keyed by MODEL_KEYS + seed, and `group_metrics`, keyed by GROUP_KEYS + seed.
Every number the report shows is a mean over seeds with a 95% confidence interval, because small
test sets make single runs noisy (a few points of gap between seeds on digits).

Column naming of an aggregated table (`aggregated_schema`): the key columns, the descriptive
columns (every other column but the seed, the cell and the metrics; constant within a key, copied
from the first seed), `n_seeds`, and for every metric `<metric>_mean`, `<metric>_std` (sample
standard deviation, ddof=1) and `<metric>_ci95` (half-width of the Student-t 95% interval of the
mean: t(0.975, k-1) * std / sqrt(k), where k counts the seeds whose value is not NaN; NaN when
k < 2).

A model is named by its declared `budget` ("250", "p5", "14t", "all") and the ReLUs it keeps
(`relus_kept`); budgets are ordered, compared and plotted by `relus_kept`, since the declared
spellings of different methods are not comparable, and written with `budget_text`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from linearization_fairness.finetuning.variants import PLAIN, VARIANTS
from linearization_fairness.linearization.registry import METHODS

BASE_METHOD = "base"
CONTROL_METHOD = "finetune_only"
BASE_VARIANT = "base"
PLAIN_VARIANT = PLAIN
MITIGATED_VARIANT = "mitigate"
VARIANT_LABELS = {BASE_VARIANT: "all-ReLU model"} | {name: variant.label for name, variant in VARIANTS.items()}
# The all-ReLU models first, then the registry's methods in its order; any other method follows
# alphabetically.
METHOD_ORDER = (BASE_METHOD, CONTROL_METHOD, *METHODS)
# Columns that name one run rather than describe the model: dropped by the aggregation.
PER_RUN_COLUMNS = ("seed", "cell")
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


def aggregate_over_seeds(table: pd.DataFrame, keys: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """One row per `keys` with `n_seeds` and mean/std/ci95 of every metric over the seeds.

    `keys` and `metrics` are MODEL_KEYS and MODEL_METRICS for `model_metrics`, GROUP_KEYS and
    GROUP_METRICS for `group_metrics`. NaN values are left out of each metric's statistics
    separately. The rows are ordered as `sort_rows` orders them.
    """
    keys, metrics = list(keys), list(metrics)
    missing = [column for column in (*keys, "seed", *metrics) if column not in table.columns]
    if missing:
        raise ValueError(f"the table lacks columns {missing}; pass the evaluate stage's table with its keys {keys}")
    if table.empty:
        raise ValueError("the table is empty; run the evaluate stage for at least one model first")
    duplicated = table.duplicated(subset=[*keys, "seed"])
    if duplicated.any():
        first = table.loc[duplicated, [*keys, "seed"]].iloc[0].to_dict()
        raise ValueError(f"the table holds the same key and seed twice (e.g. {first}); drop duplicates")

    descriptive = [column for column in table.columns if column not in (*keys, *metrics, *PER_RUN_COLUMNS)]
    values = table[metrics].apply(pd.to_numeric, errors="coerce").astype(float)
    grouped = values.groupby([table[key] for key in keys], sort=False)
    means, stds, counts = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half_widths = pd.DataFrame(ci95_half_width(stds, counts), index=stds.index, columns=stds.columns)

    by_key = table.groupby(keys, sort=False)
    aggregated = by_key[descriptive].first()
    aggregated["n_seeds"] = by_key["seed"].nunique()
    for metric in metrics:
        aggregated[f"{metric}_mean"] = means[metric]
        aggregated[f"{metric}_std"] = stds[metric]
        aggregated[f"{metric}_ci95"] = half_widths[metric]
    return sort_rows(aggregated.reset_index())


def variant_label(variant: str) -> str:
    """Readable name of a variant for legends and sentences (unknown variants keep their name)."""
    return VARIANT_LABELS.get(variant, variant)


def method_rank(method: str) -> tuple[int, str]:
    """Sort key: METHOD_ORDER first, then other methods alphabetically."""
    return (METHOD_ORDER.index(method), "") if method in METHOD_ORDER else (len(METHOD_ORDER), method)


def sort_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by experiment, method rank, ReLUs kept (fewest first), budget, variant, group id."""
    order = [
        column for column in ("relus_kept", "budget", "variant", "group_id") if column in table.columns
    ]
    ranked = table.assign(_method_rank=[method_rank(method)[0] for method in table["method"]])
    ranked = ranked.sort_values(["experiment", "_method_rank", "method", *order], kind="stable")
    return ranked.drop(columns="_method_rank").reset_index(drop=True)


def linearization_methods(table: pd.DataFrame) -> list[str]:
    """Methods that remove ReLUs (everything but the base model and the finetune-only control), ordered."""
    methods = set(table["method"]) - {BASE_METHOD, CONTROL_METHOD}
    return sorted(methods, key=method_rank)


def rows_of(table: pd.DataFrame, method: str, variant: str) -> pd.DataFrame:
    """The rows of one method and variant."""
    return table[(table["method"] == method) & (table["variant"] == variant)]


def lowest_budget_rows(table: pd.DataFrame, method: str, variant: str) -> pd.DataFrame:
    """The rows of `method` and `variant` at that method's lowest budget, the one keeping fewest ReLUs
    (empty if there are none)."""
    rows = rows_of(table, method, variant)
    if rows.empty:
        return rows
    lowest = rows[rows["relus_kept"] == rows["relus_kept"].min()]
    # Two declared budgets may keep as many ReLUs; take one, so that each group appears once.
    return lowest[lowest["budget"] == lowest["budget"].iloc[0]]


def budget_text(budget: object, relus_kept: float, total_relus: float | None = None) -> str:
    """A budget for people: "250 ReLUs" when the declared budget is the count it keeps, else the
    declared budget and the count, "14t (768 ReLUs)"; with `total_relus`, also the share kept,
    "250 of 10,000 ReLUs (2.5%)" or "14t (768 of 10,000 ReLUs, 7.7%)"."""
    count = f"{int(round(relus_kept)):,}"
    share = ""
    if total_relus is not None and pd.notna(total_relus) and total_relus > 0:
        count = f"{count} of {int(round(total_relus)):,}"
        share = f"{relus_kept / total_relus:.1%}"
    if declares_count(budget, relus_kept):
        return f"{count} ReLUs ({share})" if share else f"{count} ReLUs"
    return f"{budget} ({count} ReLUs, {share})" if share else f"{budget} ({count} ReLUs)"


def declares_count(budget: object, relus_kept: float) -> bool:
    """Whether the declared budget is the very ReLU count kept ("250" keeping 250), so that writing
    the count alone says it all. A DeepReDuce budget such as "12" is digits too, but names stages."""
    return str(budget).isdigit() and int(str(budget)) == relus_kept
