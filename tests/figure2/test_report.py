"""The study's seed aggregate against a hand computation on a planted table, and its findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from linearization_fairness.figure2.report import aggregate_accuracy, findings


def _planted() -> pd.DataFrame:
    """Three seeds: the half-linear model loses 0.10, 0.05, 0.00 on the minority and nothing elsewhere."""
    rows = []
    for seed, minority_drop in enumerate([0.10, 0.05, 0.00]):
        for model, kept, minority in (("all_relu", 8, 0.90 + 0.01 * seed), ("half_random", 4, 0.90 + 0.01 * seed - minority_drop)):
            for group, accuracy in (("global", 0.95), ("majority", 1.0), ("minority", minority)):
                for split in ("val", "test"):
                    rows.append({"model": model, "split": split, "relus_kept": kept, "total_relus": 8, "seed": seed,
                                 "best_epoch": 3, "group": group, "n": 10, "accuracy": accuracy})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_drop_is_paired_by_seed_with_a_student_t_interval() -> None:
    table = aggregate_accuracy(_planted()).set_index(["model", "split", "group"])
    minority = table.loc[("half_random", "test", "minority")]
    drops = np.array([0.10, 0.05, 0.00])
    assert minority["drop_mean"] == pytest.approx(drops.mean())
    assert minority["drop_ci95"] == pytest.approx(stats.t.ppf(0.975, 2) * drops.std(ddof=1) / np.sqrt(3))
    assert minority["seeds_worse"] == 2 and minority["n_seeds"] == 3 and minority["relus_kept"] == 4
    assert minority["accuracy_mean"] == pytest.approx(np.mean([0.80, 0.86, 0.92]))
    assert table.loc[("half_random", "test", "majority"), "drop_mean"] == pytest.approx(0.0)
    assert table.loc[("all_relu", "test", "minority"), "seeds_worse"] == 0


def test_findings_state_each_drop_with_its_interval_and_flag_those_that_include_zero() -> None:
    (sentence,) = findings(aggregate_accuracy(_planted()))
    assert sentence.startswith("half_random (4 ReLUs kept)")
    assert "minority +5.0 ± 12.4 points (2 of 3 seeds worse; CI includes zero)" in sentence
    assert "majority +0.0 ± 0.0 points (0 of 3 seeds worse; CI includes zero)" in sentence


def test_without_all_relu_rows_there_is_nothing_to_pair_against() -> None:
    planted = _planted()
    with pytest.raises(ValueError, match="no all_relu rows"):
        aggregate_accuracy(planted[planted["model"] != "all_relu"])
