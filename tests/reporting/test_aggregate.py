import math

import numpy as np
import pandas as pd
import pytest

from linearization_fairness.reporting.aggregate import (
    METRICS,
    aggregate_over_seeds,
    ci95_half_width,
    linearization_methods,
    model_summary,
)


def one_group_over_seeds(accuracies: list[float], grad_norms: list[float], build) -> pd.DataFrame:
    """The snl/4000/finetune rows of group 0, one per seed, with the given accuracy and grad_norm values."""
    seeds = list(range(len(accuracies)))
    table = build(seeds=(0,), methods=("snl",), budgets=(4000,), variants=("finetune",), with_references=False)
    row = table[table["group_id"] == 0].iloc[[0]]
    rows = pd.concat([row.assign(seed=seed) for seed in seeds], ignore_index=True)
    return rows.assign(accuracy=accuracies, grad_norm=grad_norms)


def test_mean_std_and_student_t_interval_by_hand(make_group_metrics) -> None:
    rows = one_group_over_seeds([0.8, 0.9, 1.0], [1.0, np.nan, 3.0], make_group_metrics)

    (result,) = aggregate_over_seeds(rows).to_dict("records")

    assert result["n_seeds"] == 3
    assert result["accuracy_mean"] == pytest.approx(0.9)
    assert result["accuracy_std"] == pytest.approx(0.1)
    # t(0.975, df=2) = 4.302653; half-width = t * s / sqrt(3)
    assert result["accuracy_ci95"] == pytest.approx(4.302653 * 0.1 / math.sqrt(3), rel=1e-6)
    # the NaN seed is left out: two values, df=1, t(0.975, 1) = 12.706205
    assert result["grad_norm_mean"] == pytest.approx(2.0)
    assert result["grad_norm_std"] == pytest.approx(math.sqrt(2))
    assert result["grad_norm_ci95"] == pytest.approx(12.706205 * math.sqrt(2) / math.sqrt(2), rel=1e-6)


def test_single_seed_has_no_interval_and_all_nan_metric_stays_nan(make_group_metrics) -> None:
    rows = one_group_over_seeds([0.7], [np.nan], make_group_metrics)

    (result,) = aggregate_over_seeds(rows).to_dict("records")

    assert result["accuracy_mean"] == pytest.approx(0.7)
    assert math.isnan(result["accuracy_std"]) and math.isnan(result["accuracy_ci95"])
    assert math.isnan(result["grad_norm_mean"])


def test_ci95_half_width_is_nan_below_two_values() -> None:
    half_widths = ci95_half_width(np.array([1.0, 1.0, 1.0]), np.array([0, 1, 4]))
    assert np.isnan(half_widths[:2]).all()
    assert half_widths[2] == pytest.approx(3.182446 / 2, rel=1e-6)


def test_one_row_per_model_and_group_with_every_statistic(group_metrics) -> None:
    aggregated = aggregate_over_seeds(group_metrics)

    # base + finetune_only + 2 methods x 2 budgets x 2 variants = 10 models, 3 groups each
    assert len(aggregated) == 30
    assert (aggregated["n_seeds"] == 2).all()
    for metric in METRICS:
        for statistic in ("mean", "std", "ci95"):
            assert f"{metric}_{statistic}" in aggregated.columns
    assert list(aggregated["method"].drop_duplicates()) == ["base", "finetune_only", "snl", "deepreduce"]
    frog = aggregated[(aggregated["method"] == "snl") & (aggregated["budget"] == 1000)
                      & (aggregated["variant"] == "finetune") & (aggregated["group_name"] == "frog")].iloc[0]
    # accuracies 0.8 * 0.6 and 0.81 * 0.6 over the two seeds
    assert frog["accuracy_mean"] == pytest.approx((0.80 + 0.81) / 2 * 0.6)
    assert bool(frog["is_minority"]) and frog["train_share"] == pytest.approx(0.1)


def test_model_summary_and_linearization_methods(group_metrics) -> None:
    aggregated = aggregate_over_seeds(group_metrics)
    summary = model_summary(aggregated)

    assert len(summary) == 10
    assert not summary.duplicated(["method", "budget", "variant"]).any()
    assert "overall_accuracy_ci95" in summary.columns
    assert linearization_methods(aggregated) == ["snl", "deepreduce"]


def test_missing_columns_and_duplicate_seeds_are_refused(group_metrics) -> None:
    with pytest.raises(ValueError, match="lacks columns .*hessian_top_eig"):
        aggregate_over_seeds(group_metrics.drop(columns="hessian_top_eig"))
    with pytest.raises(ValueError, match="same model, group and seed twice"):
        aggregate_over_seeds(pd.concat([group_metrics, group_metrics.iloc[[0]]]))
    with pytest.raises(ValueError, match="empty"):
        aggregate_over_seeds(group_metrics.iloc[0:0])
