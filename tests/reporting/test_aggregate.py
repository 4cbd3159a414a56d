import math

import numpy as np
import pandas as pd
import pytest

from linearization_fairness.reporting.aggregate import (
    aggregate_over_seeds,
    budget_text,
    ci95_half_width,
    linearization_methods,
    lowest_budget_rows,
)
from linearization_fairness.results import GROUP_KEYS, GROUP_METRICS, MODEL_KEYS, MODEL_METRICS


def one_group_over_seeds(accuracies: list[float], grad_norms: list[float], make_tables) -> pd.DataFrame:
    """The snl/4000/finetune rows of group 0, one per seed, with the given accuracy and grad_norm values."""
    groups, _ = make_tables(
        seeds=(0,), methods=("snl",), levels=("high",), variants=("finetune",), with_references=False
    )
    row = groups[groups["group_id"] == 0].iloc[[0]]
    rows = pd.concat([row.assign(seed=seed) for seed in range(len(accuracies))], ignore_index=True)
    return rows.assign(accuracy=accuracies, grad_norm=grad_norms)


def test_mean_std_and_student_t_interval_by_hand(make_tables) -> None:
    rows = one_group_over_seeds([0.8, 0.9, 1.0], [1.0, np.nan, 3.0], make_tables)

    (result,) = aggregate_over_seeds(rows, GROUP_KEYS, GROUP_METRICS).to_dict("records")

    assert result["n_seeds"] == 3
    assert result["accuracy_mean"] == pytest.approx(0.9)
    assert result["accuracy_std"] == pytest.approx(0.1)
    # t(0.975, df=2) = 4.302653; half-width = t * s / sqrt(3)
    assert result["accuracy_ci95"] == pytest.approx(4.302653 * 0.1 / math.sqrt(3), rel=1e-6)
    # the NaN seed is left out: two values, df=1, t(0.975, 1) = 12.706205
    assert result["grad_norm_mean"] == pytest.approx(2.0)
    assert result["grad_norm_std"] == pytest.approx(math.sqrt(2))
    assert result["grad_norm_ci95"] == pytest.approx(12.706205 * math.sqrt(2) / math.sqrt(2), rel=1e-6)


def test_single_seed_has_no_interval_and_all_nan_metric_stays_nan(make_tables) -> None:
    rows = one_group_over_seeds([0.7], [np.nan], make_tables)

    (result,) = aggregate_over_seeds(rows, GROUP_KEYS, GROUP_METRICS).to_dict("records")

    assert result["accuracy_mean"] == pytest.approx(0.7)
    assert math.isnan(result["accuracy_std"]) and math.isnan(result["accuracy_ci95"])
    assert math.isnan(result["grad_norm_mean"])


def test_ci95_half_width_is_nan_below_two_values() -> None:
    half_widths = ci95_half_width(np.array([1.0, 1.0, 1.0]), np.array([0, 1, 4]))
    assert np.isnan(half_widths[:2]).all()
    assert half_widths[2] == pytest.approx(3.182446 / 2, rel=1e-6)


def test_one_row_per_model_and_group_with_every_statistic(aggregated) -> None:
    groups, _ = aggregated

    # base + finetune_only + 3 methods x 2 budgets x 2 variants = 14 models, 3 groups each
    assert len(groups) == 42
    assert (groups["n_seeds"] == 2).all()
    for metric in GROUP_METRICS:
        for statistic in ("mean", "std", "ci95"):
            assert f"{metric}_{statistic}" in groups.columns
    assert not {"seed", "cell", "overall_accuracy_mean", "total_relus"} & set(groups.columns)
    assert list(groups["method"].drop_duplicates()) == ["base", "finetune_only", "snl", "deepreduce", "random"]
    frog = groups[(groups["method"] == "snl") & (groups["budget"] == "1000")
                  & (groups["variant"] == "finetune") & (groups["group_name"] == "frog")].iloc[0]
    # accuracies 0.8 * 0.6 and 0.81 * 0.6 over the two seeds
    assert frog["accuracy_mean"] == pytest.approx((0.80 + 0.81) / 2 * 0.6)
    assert bool(frog["is_minority"]) and frog["train_share"] == pytest.approx(0.1)


def test_model_table_has_one_row_per_model_with_its_descriptive_columns(aggregated) -> None:
    _, models = aggregated

    assert len(models) == 14
    assert not models.duplicated(list(MODEL_KEYS)).any()
    assert {"dataset", "arch", "total_relus", "n_seeds"} <= set(models.columns)
    for metric in MODEL_METRICS:
        assert f"{metric}_ci95" in models.columns
    assert not {"seed", "cell", "group_id", "accuracy_mean"} & set(models.columns)
    # param_distance 5 * 10,000 / 1,000 + seed offsets 0 and 0.01
    snl = models[(models["method"] == "snl") & (models["relus_kept"] == 1000) & (models["variant"] == "finetune")]
    assert snl["param_distance_mean"].iloc[0] == pytest.approx(50.005)
    assert linearization_methods(models) == ["snl", "deepreduce", "random"]


def test_deepreduce_and_fractional_budgets_are_kept_as_declared(aggregated) -> None:
    for table in aggregated:
        budgets = table.drop_duplicates(["method", "budget"]).set_index(["method", "budget"])["relus_kept"]
        assert budgets[("deepreduce", "14t")] == 768 and budgets[("deepreduce", "2t")] == 3072
        assert budgets[("random", "p5")] == 500 and budgets[("random", "p40")] == 4000
        assert budgets[("base", "all")] == 10_000
        # within a method, fewest ReLUs first
        deepreduce = table[table["method"] == "deepreduce"]
        assert list(deepreduce["budget"].drop_duplicates()) == ["14t", "2t"]


def test_lowest_budget_means_fewest_relus_kept_and_budgets_read_well(aggregated) -> None:
    groups, _ = aggregated
    # as strings, "2t" < "14t" would be false and "p40" < "p5" true: the count decides
    assert set(lowest_budget_rows(groups, "deepreduce", "finetune")["budget"]) == {"14t"}
    assert set(lowest_budget_rows(groups, "random", "finetune")["budget"]) == {"p5"}
    assert lowest_budget_rows(groups, "snl", "no such variant").empty

    assert budget_text("250", 250) == "250 ReLUs"
    assert budget_text("14t", 768) == "14t (768 ReLUs)"
    assert budget_text("12", 512) == "12 (512 ReLUs)"  # DeepReDuce stages 1 and 2, not a count
    assert budget_text("1000", 1000, 10_000) == "1,000 of 10,000 ReLUs (10.0%)"
    assert budget_text("p5", 500, 10_000) == "p5 (500 of 10,000 ReLUs, 5.0%)"


def test_missing_columns_and_duplicate_seeds_are_refused(tables) -> None:
    groups, models = tables
    with pytest.raises(ValueError, match="lacks columns .*hessian_top_eig"):
        aggregate_over_seeds(groups.drop(columns="hessian_top_eig"), GROUP_KEYS, GROUP_METRICS)
    with pytest.raises(ValueError, match="lacks columns .*group_id"):
        aggregate_over_seeds(models, GROUP_KEYS, GROUP_METRICS)  # the model table passed as the group table
    with pytest.raises(ValueError, match="same key and seed twice"):
        aggregate_over_seeds(pd.concat([models, models.iloc[[0]]]), MODEL_KEYS, MODEL_METRICS)
    with pytest.raises(ValueError, match="empty"):
        aggregate_over_seeds(groups.iloc[0:0], GROUP_KEYS, GROUP_METRICS)
