"""The paired comparisons against hand computations on planted predictions, and the bootstrap
against a direct resample loop and fairlearn's MetricFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from pydantic import ValidationError
from scipy import stats
from sklearn.metrics import accuracy_score

from linearization_fairness.reporting.statistics import (
    comparisons,
    QUANTILES,
    StatisticsConfig,
    bootstrap_weights,
    group_means,
    interval_text,
    paired_statistics,
    seed_interval,
)
from linearization_fairness.results.schema import VALUE_RANGES, accuracy_intervals_schema, differences_schema

# Ten test samples of class 0: group 0 (majority) the first six, group 1 (minority) the last four.
# Predicted classes per seed and model; a wrong prediction is class 1 or 2, so that two wrong
# predictions can still differ (a flip without a change in accuracy).
GROUP = [0] * 6 + [1] * 4
PREDICTED = {
    0: {
        "base": [0, 0, 0, 0, 0, 1] + [0, 0, 0, 2],  # 5/6, 3/4; 8/10 overall
        "finetune": [0, 0, 0, 0, 1, 1] + [0, 1, 1, 1],  # 4/6, 1/4; 5/10
        "mitigate": [0, 0, 0, 0, 0, 1] + [0, 0, 1, 2],  # 5/6, 2/4; 7/10
    },
    1: {
        "base": [0, 0, 0, 0, 0, 0] + [0, 0, 0, 1],  # 6/6, 3/4; 9/10
        "finetune": [0, 0, 0, 0, 0, 2] + [0, 0, 1, 1],  # 5/6, 2/4; 7/10
        "mitigate": [0, 0, 0, 0, 0, 2] + [0, 0, 0, 1],  # 5/6, 3/4; 8/10
    },
}
REPLICATES = 100


def _cell(seed: int, variant: str) -> str:
    return f"base_s{seed}" if variant == "base" else f"snl_b200_s{seed}"


def _planted() -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], pd.DataFrame]]:
    models, predictions = [], {}
    for seed, by_variant in PREDICTED.items():
        for variant, predicted in by_variant.items():
            base = variant == "base"
            models.append(
                {
                    "experiment": "toy", "method": "base" if base else "snl", "budget": "all" if base else "200",
                    "relus_kept": 768 if base else 200, "variant": variant, "seed": seed, "cell": _cell(seed, variant),
                }
            )  # fmt: skip
            predictions[(_cell(seed, variant), variant)] = pd.DataFrame(
                {"index": range(10), "label": 0, "group": GROUP, "prediction": predicted, "correct": np.equal(predicted, 0)}
            )
    groups = pd.DataFrame({"group_id": [0, 1], "group_name": ["big", "small"], "train_share": [0.9, 0.1], "is_minority": [False, True]})
    return pd.DataFrame(models), groups, predictions


@pytest.fixture(scope="module")
def computed() -> dict[str, pd.DataFrame]:
    models, groups, predictions = _planted()
    return paired_statistics(models, groups, predictions, StatisticsConfig(bootstrap_samples=REPLICATES, bootstrap_seed=3))


def _row(table: pd.DataFrame, **keys: object) -> pd.Series:
    selected = table
    for column, value in keys.items():
        selected = selected[selected[column] == value]
    (index,) = selected.index
    return selected.loc[index]


def test_the_tables_match_their_schemas(computed) -> None:
    for level in ("group", "model"):
        differences_schema(level).validate(computed[f"{level}_differences"])
        differences_schema(level, aggregated=True).validate(computed[f"aggregated_{level}_differences"])
    accuracy_intervals_schema().validate(computed["group_accuracy_intervals"])


def test_excess_drop_and_flip_rate_by_hand(computed) -> None:
    groups = computed["group_differences"]
    small = _row(groups, seed=0, variant="finetune", reference="base", group_id=1)
    big = _row(groups, seed=0, variant="finetune", reference="base", group_id=0)
    # psi_g = (acc_base,g - acc_lin,g) - (acc_base - acc_lin): the model loses 0.8 - 0.5 = 0.3
    assert small["excess_drop"] == pytest.approx((3 / 4 - 1 / 4) - 0.3)
    assert big["excess_drop"] == pytest.approx((5 / 6 - 4 / 6) - 0.3)
    assert small["relative_drop"] == pytest.approx((3 / 4 - 1 / 4) / (3 / 4))
    # base [0, 0, 0, 2] against [0, 1, 1, 1]: three of four flip, the last between two wrong classes
    assert small["flip_rate"] == pytest.approx(3 / 4) and big["flip_rate"] == pytest.approx(1 / 6)
    model = _row(computed["model_differences"], seed=0, variant="finetune", reference="base")
    assert model["max_excess_drop"] == pytest.approx(0.2) and model["max_excess_group"] == "small"
    assert model["flip_rate"] == pytest.approx(4 / 10)
    assert model["minority_gap"] == pytest.approx((0.5 / 0.75) - (1 / 6) / (5 / 6))


def test_paired_differences_by_hand(computed) -> None:
    models = computed["model_differences"]
    mitigation = _row(models, seed=0, variant="mitigate", reference="finetune")
    assert mitigation["overall_difference"] == pytest.approx(0.7 - 0.5)
    assert mitigation["worst_group_difference"] == pytest.approx(2 / 4 - 1 / 4)
    linearized = _row(models, seed=1, variant="finetune", reference="base")
    assert linearized["overall_difference"] == pytest.approx(0.7 - 0.9)
    assert linearized["worst_group_difference"] == pytest.approx(2 / 4 - 3 / 4)
    # Over seeds: the mean of the per-seed differences and its Student-t half-width
    per_seed = np.array([2 / 4 - 1 / 4, 3 / 4 - 2 / 4])  # mitigate minus finetune, worst group
    aggregated = _row(computed["aggregated_model_differences"], variant="mitigate", reference="finetune")
    assert aggregated["worst_group_difference_mean"] == pytest.approx(per_seed.mean())
    half_width = stats.t.ppf(0.975, 1) * per_seed.std(ddof=1) / np.sqrt(2)
    assert aggregated["worst_group_difference_ci95"] == pytest.approx(half_width)
    assert aggregated["worst_group_difference_positive_seeds"] == 2 and aggregated["n_seeds"] == 2
    small = _row(computed["aggregated_group_differences"], variant="finetune", reference="base", group_id=1)
    assert small["difference_mean"] == pytest.approx(((1 / 4 - 3 / 4) + (2 / 4 - 3 / 4)) / 2)


def test_the_minority_and_majority_mean_relative_drops_by_hand(computed) -> None:
    # finetune against base: small (the minority) 3/4 -> 1/4 and 3/4 -> 2/4, big 5/6 -> 4/6 and 1 -> 5/6
    per_seed = {"minority_relative_drop": np.array([2 / 3, 1 / 3]), "majority_relative_drop": np.array([1 / 5, 1 / 6])}
    for seed in (0, 1):
        row = _row(computed["model_differences"], seed=seed, variant="finetune", reference="base")
        assert row["minority_relative_drop"] == pytest.approx(per_seed["minority_relative_drop"][seed])
        assert row["majority_relative_drop"] == pytest.approx(per_seed["majority_relative_drop"][seed])
        assert row["minority_gap"] == pytest.approx(row["minority_relative_drop"] - row["majority_relative_drop"])
    aggregated = _row(computed["aggregated_model_differences"], variant="finetune", reference="base")
    for stat, values in per_seed.items():
        assert aggregated[f"{stat}_mean"] == pytest.approx(values.mean())
        assert aggregated[f"{stat}_ci95"] == pytest.approx(stats.t.ppf(0.975, 1) * values.std(ddof=1) / np.sqrt(2))
        assert aggregated[f"{stat}_sample_low"] <= aggregated[f"{stat}_sample_high"] <= 1


def test_the_seed_mean_interval_resamples_every_seed_alike(computed) -> None:
    """A direct resample loop, fairlearn's draws: one replicate resamples the samples of both seeds."""
    seeds = np.random.default_rng(3).integers(0, np.iinfo(np.uint32).max, size=REPLICATES, dtype=np.uint32)
    frame = pd.DataFrame({"group": GROUP, **{f"{variant}{seed}": PREDICTED[seed][variant] for seed in (0, 1) for variant in ("base", "finetune")}})
    replicates = []
    for replicate_seed in seeds:
        sample = frame.sample(frac=1, replace=True, random_state=replicate_seed)
        small = sample[sample["group"] == 1]
        per_seed = [(small[f"finetune{seed}"] == 0).mean() - (small[f"base{seed}"] == 0).mean() for seed in (0, 1)]
        replicates.append(np.mean(per_seed))
    row = _row(computed["aggregated_group_differences"], variant="finetune", reference="base", group_id=1)
    low, high = np.nanquantile(replicates, QUANTILES)  # a replicate without the group has no difference
    assert (row["difference_sample_low"], row["difference_sample_high"]) == pytest.approx((low, high))


def test_the_bootstrap_draws_as_a_direct_loop_and_fairlearn_do() -> None:
    rng = np.random.default_rng(5)
    groups, labels = rng.integers(0, 3, 40), rng.integers(0, 2, 40)
    predicted = np.where(rng.random(40) < 0.7, labels, 1 - labels)
    means = group_means(bootstrap_weights(40, 20, seed=7), (predicted == labels)[:, None].astype(float), groups, 3)[:, 0]

    seeds = np.random.default_rng(7).integers(0, np.iinfo(np.uint32).max, size=20, dtype=np.uint32)
    frame = pd.DataFrame({"group": groups, "correct": predicted == labels})
    direct = [frame.sample(frac=1, replace=True, random_state=seed).groupby("group")["correct"].mean().reindex(range(3)) for seed in seeds]
    np.testing.assert_allclose(means, np.array(direct))

    frame = MetricFrame(
        metrics=accuracy_score, y_true=labels, y_pred=predicted, sensitive_features=groups,
        n_boot=20, ci_quantiles=QUANTILES, random_state=7,
    )  # fmt: skip
    np.testing.assert_allclose(np.quantile(means, QUANTILES, axis=0), [frame.by_group_ci[0], frame.by_group_ci[1]])


def test_group_accuracy_intervals_sit_beside_the_seed_interval(computed) -> None:
    row = _row(computed["group_accuracy_intervals"], variant="base", group_id=0)
    assert row["accuracy_mean"] == pytest.approx((5 / 6 + 1) / 2) and row["n"] == 6
    assert row["accuracy_sample_low"] <= row["accuracy_mean"] <= row["accuracy_sample_high"] <= 1


def test_models_measured_on_other_samples_or_unmeasured_are_refused() -> None:
    models, groups, predictions = _planted()
    config = StatisticsConfig(bootstrap_samples=REPLICATES)
    shifted = dict(predictions)
    shifted[("base_s1", "base")] = predictions[("base_s1", "base")].assign(label=1)
    with pytest.raises(ValueError, match="other test samples"):
        paired_statistics(models, groups, shifted, config)
    del shifted[("base_s1", "base")]
    with pytest.raises(ValueError, match="no predictions for the models"):
        paired_statistics(models, groups, shifted, config)
    with pytest.raises(ValidationError, match="greater than or equal to 100"):
        StatisticsConfig(bootstrap_samples=10)


def test_every_finetune_but_the_plain_one_is_paired_with_the_plain_one_of_its_cell() -> None:
    keys = {"experiment": "x", "budget": "250", "relus_kept": 250, "seed": 0}
    models = pd.DataFrame(
        [{**keys, "method": "base", "budget": "all", "variant": "base", "cell": "base_s0"}]
        + [{**keys, "method": "snl", "variant": variant, "cell": "snl_b250_s0"} for variant in ("finetune", "mitigate", "label_free")]
    )
    pairs = comparisons(models)
    assert set(zip(pairs["variant"], pairs["reference"], pairs["reference_cell"])) == {
        ("finetune", "base", "base_s0"), ("mitigate", "base", "base_s0"), ("label_free", "base", "base_s0"),
        ("mitigate", "finetune", "snl_b250_s0"), ("label_free", "finetune", "snl_b250_s0"),
    }  # fmt: skip


def test_an_interval_over_seeds_is_cut_at_its_value_s_range_and_says_so() -> None:
    # 97% ± 5 points of accuracy would reach 102%: shown as +3.0/-5.0, not ± 5.0
    assert interval_text(0.97, 0.05, "accuracy") == " +3.0/-5.0"
    assert interval_text(0.50, 0.05, "accuracy") == " ± 5.0"
    assert interval_text(0.97, float("nan"), "accuracy") == ""  # one seed: no interval
    # a relative drop stops at 100%, an unbounded statistic nowhere
    low, high = seed_interval([0.9, -3.0], [0.5, 0.5], "relative_drop")
    assert low.tolist() == pytest.approx([0.4, -3.5]) and high.tolist() == pytest.approx([1.0, -2.5])
    low, high = seed_interval(4.0, 10.0, "minority_gap")
    assert (float(low), float(high)) == (-6.0, 14.0)
    # every metric of the results tables has the bounds its schema checks
    assert VALUE_RANGES["worst_group_accuracy"] == (0, 1) and VALUE_RANGES["param_distance"] == (0, None)
