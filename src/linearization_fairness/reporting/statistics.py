"""Paired comparisons of models on the same test samples, with intervals over seeds and over samples.

Two models are compared on one seed: every linearized model (and the finetune-only control)
against the all-ReLU model of its seed (reference "base"), and the fairness-aware finetune
against the plain one of the same cell (reference "finetune"). Per group g of a pair (reference
A, model B): `difference` = acc_B,g - acc_A,g; `relative_drop` = (acc_A,g - acc_B,g) / acc_A,g
(NaN where acc_A,g is 0; the group_metrics column of the same name for reference "base"); `excess_drop` psi_g = (acc_A,g - acc_B,g) -
(acc_A - acc_B), how much more group g loses than the model as a whole; `flip_rate`, the share
of the group's samples whose predicted class differs between A and B. Per pair:
`overall_difference`, `worst_group_difference` (min_g acc_B,g - min_g acc_A,g), `max_excess_drop`
(max_g psi_g), `flip_rate` over all samples, `minority_relative_drop` and
`majority_relative_drop` (the mean relative drop (acc_A,g - acc_B,g) / acc_A,g of the minority
groups, of the majority groups) and `minority_gap` (the first minus the second).

Intervals over test samples come from a bootstrap of the test split: replicate r draws n of the
n samples with replacement and recomputes every statistic, the 2.5% and 97.5% quantiles of the
replicates bound the 95% interval (a replicate that draws no sample of a group is left out of
that group's interval). The draws are fairlearn's MetricFrame's (`n_boot`,
`random_state`: one seed per replicate from numpy's default_rng, then pandas' sample), so a
group accuracy's interval equals MetricFrame's `by_group_ci`; the replicates are counted as a
weight matrix instead of MetricFrame's per-replicate groupby, which costs about 50 ms per
replicate and metric here (minutes per experiment for the statistics below). The test split is
the same for every seed, so one replicate resamples every model alike: pairs stay paired, and the
interval of a seed mean resamples the samples under all seeds at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from linearization_fairness.reporting.aggregate import (
    BASE_METHOD,
    BASE_VARIANT,
    CONFIDENCE,
    PLAIN_VARIANT,
    aggregate_over_seeds,
)
from linearization_fairness.results.schema import (
    DIFFERENCE_KEYS,
    GROUP_DIFFERENCE_KEYS,
    GROUP_DIFFERENCES,
    GROUP_KEYS,
    MODEL_DIFFERENCES,
    MODEL_KEYS,
    VALUE_RANGES,
)

QUANTILES = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]


def seed_interval(mean: ArrayLike, half_width: ArrayLike, column: str, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The interval over seeds, mean ± its Student-t half-width, cut at the column's VALUE_RANGES
    (`scale`: the unit of mean and half-width, 100 for percent)."""
    low, high = VALUE_RANGES.get(column, (None, None))
    bounds = (-np.inf if low is None else scale * low, np.inf if high is None else scale * high)
    mean, half_width = np.asarray(mean, dtype=float), np.asarray(half_width, dtype=float)
    return np.clip(mean - half_width, *bounds), np.clip(mean + half_width, *bounds)


def interval_text(mean: float, half_width: float, column: str, scale: float = 100.0, decimals: int = 1) -> str:
    """" ± 0.4", or " +0.4/-2.1" where the interval over seeds is cut at the column's range; empty
    with one seed (no interval)."""
    if pd.isna(half_width):
        return ""
    low, high = seed_interval(mean, half_width, column)
    below, above = scale * (mean - low), scale * (high - mean)
    if f"{below:.{decimals}f}" == f"{above:.{decimals}f}":
        return f" ± {above:,.{decimals}f}"
    return f" +{above:,.{decimals}f}/-{below:,.{decimals}f}"


class StatisticsConfig(BaseModel):
    """The bootstrap over test samples behind every interval that is not over seeds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bootstrap_samples: int = Field(1000, ge=100, description="Bootstrap replicates of the test split.")
    bootstrap_seed: int = Field(0, ge=0, description="Seed of the replicates' draws (fairlearn's random_state).")


def bootstrap_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    """(replicates, n): how often each of n samples is drawn in each replicate, drawn as fairlearn's
    MetricFrame draws them with `n_boot=replicates, random_state=seed`."""
    seeds = np.random.default_rng(seed).integers(0, np.iinfo(np.uint32).max, size=replicates, dtype=np.uint32)
    draws = np.stack([np.random.RandomState(one).choice(n, size=n, replace=True) for one in seeds])
    offsets = draws + n * np.arange(replicates)[:, None]
    return np.bincount(offsets.ravel(), minlength=n * replicates).reshape(replicates, n).astype(float)


def group_means(weights: np.ndarray, values: np.ndarray, groups: np.ndarray, num_groups: int) -> np.ndarray:
    """(R, K, G): the weighted mean of each of K per-sample columns (`values`, (n, K)) within each
    group, under each of R weightings (`weights`, (R, n)); NaN where a group has no weight."""
    means = np.full((len(weights), values.shape[1], num_groups), np.nan)
    for group in range(num_groups):
        members = groups == group
        with np.errstate(invalid="ignore", divide="ignore"):
            means[:, :, group] = weights[:, members] @ values[members] / weights[:, members].sum(axis=1, keepdims=True)
    return means


def _overall(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(R, K): the weighted mean of each column over all samples."""
    return weights @ values / weights.sum(axis=1, keepdims=True)


def _nan_reduce(reduce, array: np.ndarray, **kwargs) -> np.ndarray:
    # A replicate may miss a group, a model may have no minority: NaN there, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return reduce(array, **kwargs)


def _pair_statistics(
    accuracy: np.ndarray, overall: np.ndarray, flips: np.ndarray, overall_flips: np.ndarray,
    reference: np.ndarray, compared: np.ndarray, minority: np.ndarray, majority: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Group statistics (R, P, G) and pair statistics (R, P) of P pairs from the models' group
    accuracies (R, M, G) and overall accuracies (R, M): `reference` and `compared` index the
    models of each pair, `flips` (R, P, G) and `overall_flips` (R, P) are the pairs' flip rates."""
    acc_a, acc_b = accuracy[:, reference], accuracy[:, compared]
    drop = acc_a - acc_b
    excess = drop - (overall[:, reference] - overall[:, compared])[:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(acc_a > 0, drop / acc_a, np.nan)
    group_stats = {"difference": acc_b - acc_a, "relative_drop": relative, "excess_drop": excess, "flip_rate": flips}
    minority_drop = _nan_reduce(np.nanmean, relative[:, :, minority], axis=2)
    majority_drop = _nan_reduce(np.nanmean, relative[:, :, majority], axis=2)
    pair_stats = {
        "overall_difference": overall[:, compared] - overall[:, reference],
        "worst_group_difference": _nan_reduce(np.nanmin, acc_b, axis=2) - _nan_reduce(np.nanmin, acc_a, axis=2),
        "max_excess_drop": _nan_reduce(np.nanmax, excess, axis=2),
        "flip_rate": overall_flips,
        "minority_relative_drop": minority_drop,
        "majority_relative_drop": majority_drop,
        "minority_gap": minority_drop - majority_drop,
    }
    return group_stats, pair_stats


def _test_samples(
    predictions: Mapping[tuple[str, str], pd.DataFrame],
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """(group of each test sample, correctness and predicted class per model), in sample order,
    after checking that every model saw the same samples, so that a replicate resamples them alike."""
    (first_key, first), *_ = predictions.items()
    samples = first.sort_values("index")[["index", "label", "group"]].reset_index(drop=True)
    correct, predicted = {}, {}
    for key, table in predictions.items():
        table = table.sort_values("index").reset_index(drop=True)
        if not table[["index", "label", "group"]].equals(samples):
            raise ValueError(
                f"the predictions of {key} are on other test samples than those of {first_key}; "
                "rerun the evaluate stage so that every model is measured on the experiment's test split"
            )
        correct[key] = table["correct"].to_numpy(dtype=float)
        predicted[key] = table["prediction"].to_numpy()
    return samples["group"].to_numpy(), correct, predicted


def comparisons(models: pd.DataFrame) -> pd.DataFrame:
    """The pairs to compare, one row each: the compared model's keys, seed and cell, `reference`
    (the variant it is compared against) and `reference_cell`: every model but the base ones
    against the base model of its seed, every other finetune (fairness-aware, label-free) against
    the plain one of its cell."""
    models = models[["experiment", "method", "budget", "relus_kept", "variant", "seed", "cell"]]
    base = models.loc[models["method"] == BASE_METHOD, ["experiment", "seed", "cell"]]
    against_base = models[models["variant"] != BASE_VARIANT].merge(
        base.rename(columns={"cell": "reference_cell"}), on=["experiment", "seed"], validate="many_to_one"
    )
    plain = models.loc[models["variant"] == PLAIN_VARIANT, ["experiment", "seed", "cell"]]
    others = ~models["variant"].isin([BASE_VARIANT, PLAIN_VARIANT])
    against_plain = models[others].merge(plain, on=["experiment", "seed", "cell"])
    return pd.concat(
        [
            against_base.assign(reference=BASE_VARIANT),
            against_plain.assign(reference=PLAIN_VARIANT, reference_cell=against_plain["cell"]),
        ],
        ignore_index=True,
    )


def _with_bounds(table: pd.DataFrame, replicates: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """`table` with `<stat>_low`, `<stat>_high` after each statistic: its rows' test-sample intervals
    from `replicates` (stat -> (R, rows))."""
    columns = {}
    for stat, values in replicates.items():
        columns[f"{stat}_low"], columns[f"{stat}_high"] = _interval(values)
    return table.assign(**columns)


def _interval(replicates: np.ndarray) -> np.ndarray:
    """The bounds of the 95% interval of each column of `replicates` (R, columns), as fairlearn
    computes them (np.quantile), with the NaN replicates of a column left out."""
    return _nan_reduce(np.nanquantile, replicates, q=QUANTILES, axis=0)


def _seed_aggregate(
    table: pd.DataFrame, keys: list[str], replicates: Mapping[str, np.ndarray], positive_seeds: bool = False
) -> pd.DataFrame:
    """aggregate_over_seeds of the per-seed `table` (one row per replicate column of `replicates`)
    plus `<stat>_sample_low`, `<stat>_sample_high`: the test-sample interval of the seed mean, whose
    replicates average the seeds' replicates (NaN ones left out, as aggregate_over_seeds does)."""
    stats = list(replicates)
    bounds = [f"{stat}_{side}" for stat in stats for side in ("low", "high")]
    aggregated = aggregate_over_seeds(table.drop(columns=bounds, errors="ignore"), keys, stats)
    codes = table.groupby(keys, sort=False).ngroup().to_numpy()
    membership = np.eye(codes.max() + 1)[codes]
    sample = table[keys].drop_duplicates().reset_index(drop=True)
    for stat, values in replicates.items():
        known = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            means = (np.where(known, values, 0.0) @ membership) / (known @ membership)
        sample[f"{stat}_sample_low"], sample[f"{stat}_sample_high"] = _interval(means)
        if positive_seeds:
            sample[f"{stat}_positive_seeds"] = (table[stat] > 0).groupby(codes).sum().to_numpy()
    return aggregated.merge(sample, on=keys, how="left", validate="one_to_one")


def paired_statistics(
    models: pd.DataFrame,
    groups: pd.DataFrame,
    predictions: Mapping[tuple[str, str], pd.DataFrame],
    config: StatisticsConfig,
) -> dict[str, pd.DataFrame]:
    """The comparison tables, per seed and over seeds, and the group accuracies' intervals.

    `models` and `groups`: the experiment's per-seed model_metrics and group_metrics;
    `predictions`: (cell, variant) -> that model's per-sample predictions. Returns
    `group_differences` and `model_differences` (per seed, each statistic with its test-sample
    interval `_low`, `_high`); `aggregated_group_differences` and `aggregated_model_differences`
    (aggregate_over_seeds' columns, plus `_sample_low`, `_sample_high`: the test-sample interval
    of the seed mean; at model level also `_positive_seeds`, the count of seeds above 0); and
    `group_accuracy_intervals` (per model and group: the seed mean of the accuracy and its
    Student-t half-width, beside the test-sample interval of that mean).
    """
    model_keys = list(zip(models["cell"], models["variant"]))
    missing = sorted(set(model_keys) - set(predictions))
    if missing:
        raise ValueError(f"no predictions for the models {missing}; run their evaluate nodes first")
    sample_groups, correct_of, predicted_of = _test_samples(predictions)
    info = groups.drop_duplicates("group_id").set_index("group_id").sort_index()
    num_groups = int(max(info.index.max(), sample_groups.max())) + 1
    present = np.isin(np.arange(num_groups), info.index)
    minority = np.zeros(num_groups, dtype=bool)
    minority[info.index] = info["is_minority"].astype(bool).to_numpy()

    pairs = comparisons(models)
    reference_keys = list(zip(pairs["reference_cell"], pairs["reference"]))
    compared_keys = list(zip(pairs["cell"], pairs["variant"]))
    position = {key: index for index, key in enumerate(model_keys)}
    correct = np.column_stack([correct_of[key] for key in model_keys])
    flipped = np.column_stack([predicted_of[a] != predicted_of[b] for a, b in zip(reference_keys, compared_keys)]).astype(float)

    def measure(weights: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        accuracy = group_means(weights, correct, sample_groups, num_groups)
        group_stats, pair_stats = _pair_statistics(
            accuracy, _overall(weights, correct),
            group_means(weights, flipped, sample_groups, num_groups), _overall(weights, flipped),
            np.array([position[key] for key in reference_keys], dtype=int),
            np.array([position[key] for key in compared_keys], dtype=int),
            minority & present, ~minority & present,
        )  # fmt: skip
        return accuracy, group_stats, pair_stats

    point_accuracy, point_groups, point_pairs = measure(np.ones((1, len(sample_groups))))
    replicates = bootstrap_weights(len(sample_groups), config.bootstrap_samples, config.bootstrap_seed)
    boot_accuracy, boot_groups, boot_pairs = measure(replicates)

    pair_columns = [*DIFFERENCE_KEYS, "seed", "cell"]
    group_columns = ["group_id", "group_name", "train_share", "is_minority"]
    counts = pd.Series(sample_groups).value_counts()
    ids = np.flatnonzero(present)

    def per_group(rows: pd.DataFrame, values: Mapping[str, np.ndarray]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """One row per row of `rows` and present group; values (R, rows, G) flattened alike."""
        table = rows.loc[rows.index.repeat(len(ids))].reset_index(drop=True)
        table["group_id"] = np.tile(ids, len(rows))
        table = table.merge(info[group_columns[1:]], left_on="group_id", right_index=True, how="left")
        table["n"] = table["group_id"].map(counts).astype(int)
        return table, {stat: array[:, :, ids].reshape(len(array), -1) for stat, array in values.items()}

    group_table, group_replicates = per_group(pairs[pair_columns], boot_groups)
    _, group_points = per_group(pairs[pair_columns], point_groups)
    group_table = _with_bounds(group_table.assign(**{s: v[0] for s, v in group_points.items()}), group_replicates)

    model_table = pairs[pair_columns].assign(**{stat: values[0] for stat, values in point_pairs.items()})
    excess = point_groups["excess_drop"][0][:, ids]
    model_table["max_excess_group"] = info["group_name"].reindex(ids).to_numpy()[np.argmax(np.nan_to_num(excess, nan=-np.inf), axis=1)]
    model_table = _with_bounds(model_table, boot_pairs)

    accuracy_rows = models[[*MODEL_KEYS, "seed", "cell"]].reset_index(drop=True)
    accuracy_table, accuracy_replicates = per_group(accuracy_rows, {"accuracy": boot_accuracy})
    accuracy_table["accuracy"] = point_accuracy[0][:, ids].reshape(-1)

    return {
        "group_differences": group_table,
        "model_differences": model_table,
        "aggregated_group_differences": _seed_aggregate(group_table, list(GROUP_DIFFERENCE_KEYS), group_replicates),
        "aggregated_model_differences": _seed_aggregate(
            model_table.drop(columns="max_excess_group"), list(DIFFERENCE_KEYS), boot_pairs, positive_seeds=True
        ),
        "group_accuracy_intervals": _seed_aggregate(accuracy_table, list(GROUP_KEYS), accuracy_replicates),
    }


def zero_inside(row: pd.Series, stat: str) -> list[str]:
    """Which of the aggregated statistic's 95% intervals include 0: "seeds" (Student-t over the
    seeds, when there are several), "test samples" (the bootstrap of the seed mean)."""
    mean, half_width = row[f"{stat}_mean"], row[f"{stat}_ci95"]
    low, high = row[f"{stat}_sample_low"], row[f"{stat}_sample_high"]
    inside = []
    if pd.notna(half_width) and mean - half_width <= 0 <= mean + half_width:
        inside.append("seeds")
    if pd.notna(low) and low <= 0 <= high:
        inside.append("test samples")
    return inside


def zero_flag(inside: list[str]) -> str:
    """" (CI includes 0 over seeds)" and the like; empty when no interval includes 0."""
    return f" (CI includes 0 over {' and '.join(inside)})" if inside else ""


def claim(row: pd.Series, stat: str, unit: str = " points", scale: float = 100.0, signed: bool = True) -> str:
    """An aggregated statistic for a sentence: its seed mean, both 95% intervals, at model level how
    many seeds lie above 0, and the flag where an interval includes 0, e.g. "+13.6 points (95% CI
    over 3 seeds [+5.0, +22.2], over test samples [+9.1, +18.0]; 3 of 3 seeds above 0)". The
    interval over seeds is cut at the statistic's range (see seed_interval), as the figures cut
    theirs: a t-interval over few seeds can pass it (a relative drop above 100%)."""

    def number(value: float) -> str:
        return f"{scale * value:+.1f}" if signed else f"{scale * value:.1f}"

    mean, half_width, seeds = row[f"{stat}_mean"], row[f"{stat}_ci95"], int(row["n_seeds"])
    seed_low, seed_high = seed_interval(mean, half_width, stat)
    over_seeds = "one seed" if pd.isna(half_width) else (
        f"95% CI over {seeds} seeds [{number(seed_low)}, {number(seed_high)}]"
    )  # fmt: skip
    parts = [f"{over_seeds}, over test samples [{number(row[f'{stat}_sample_low'])}, {number(row[f'{stat}_sample_high'])}]"]
    if f"{stat}_positive_seeds" in row.index:
        parts.append(f"{int(row[f'{stat}_positive_seeds'])} of {seeds} seeds above 0")
    return f"{number(mean)}{unit} ({'; '.join(parts)}){zero_flag(zero_inside(row, stat))}"


def cell_text(row: pd.Series, stat: str, scale: float = 100.0) -> str:
    """A table cell: "+13.6 ± 8.6 [+9.1, +18.0]", the seed mean ± the Student-t half-width over
    seeds (see interval_text), [the test-sample interval], flagged where an interval includes 0."""
    mean, half_width = row[f"{stat}_mean"], row[f"{stat}_ci95"]
    if pd.isna(mean):
        return "–"
    sample = f" [{scale * row[f'{stat}_sample_low']:+.1f}, {scale * row[f'{stat}_sample_high']:+.1f}]"
    return f"{scale * mean:+.1f}{interval_text(mean, half_width, stat, scale)}{sample}{zero_flag(zero_inside(row, stat))}"
