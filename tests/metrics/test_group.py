import math

import pandas as pd
import pytest

from linearization_fairness.metrics.group import (
    GROUP_TABLE_COLUMNS,
    accuracy_parity_gap,
    fairness_summary,
    group_accuracy_table,
    overall_accuracy,
    overall_relative_accuracy_drop,
    relative_accuracy_drop,
    worst_group_accuracy,
)

NAMES = ["cat", "dog", "frog"]


def hand_made_predictions() -> pd.DataFrame:
    """Group 0: 2 of 3 right; group 1: 0 of 1 right; group 2: 2 of 2 right (rows deliberately unsorted)."""
    return pd.DataFrame(
        {
            "group": [2, 0, 1, 0, 2, 0],
            "correct": [True, True, False, False, True, True],
            "loss": [0.1, 0.2, 2.0, 1.0, 0.3, 0.6],
            "prob_margin": [0.9, 0.8, 0.1, 0.2, 0.7, 0.5],
            "logit_margin": [4.0, 3.0, 0.5, 1.0, 2.0, 2.0],
        }
    )


def test_group_table_by_hand() -> None:
    table = group_accuracy_table(hand_made_predictions(), NAMES)

    assert list(table.columns) == list(GROUP_TABLE_COLUMNS)
    assert table["group_id"].tolist() == [0, 1, 2]
    assert table["group_name"].tolist() == NAMES
    assert table["n"].tolist() == [3, 1, 2]
    assert table["accuracy"].tolist() == pytest.approx([2 / 3, 0.0, 1.0])
    assert table["mean_loss"].tolist() == pytest.approx([0.6, 2.0, 0.2])
    assert table["mean_prob_margin"].tolist() == pytest.approx([0.5, 0.1, 0.8])
    assert table["mean_logit_margin"].tolist() == pytest.approx([2.0, 0.5, 3.0])


def test_summaries_by_hand() -> None:
    table = group_accuracy_table(hand_made_predictions(), {0: "cat", 1: "dog", 2: "frog", 9: "unused"})
    assert overall_accuracy(table) == pytest.approx(4 / 6)
    assert worst_group_accuracy(table) == 0.0
    assert accuracy_parity_gap(table) == 1.0


def base_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"group_id": [2, 0, 1], "group_name": ["frog", "cat", "dog"], "n": [2, 3, 1], "accuracy": [1.0, 0.8, 0.0]}
    )


def test_relative_drop_by_hand() -> None:
    table = group_accuracy_table(hand_made_predictions(), NAMES)
    drops = relative_accuracy_drop(table, base_table()).set_index("group_id")

    assert drops.loc[0, "base_accuracy"] == 0.8
    assert drops.loc[0, "relative_drop"] == pytest.approx((0.8 - 2 / 3) / 0.8)
    assert drops.loc[2, "relative_drop"] == 0.0
    assert math.isnan(drops.loc[1, "relative_drop"]), "a base accuracy of 0 leaves the drop undefined"
    base_overall = (2 * 1.0 + 3 * 0.8) / 6
    assert overall_relative_accuracy_drop(table, base_table()) == pytest.approx((base_overall - 4 / 6) / base_overall)


def test_fairness_summary_by_hand() -> None:
    table = group_accuracy_table(hand_made_predictions(), NAMES)
    summary = fairness_summary(table, base_table())
    base_overall = (2 * 1.0 + 3 * 0.8) / 6
    assert summary == pytest.approx(
        {
            "overall_accuracy": 4 / 6,
            "worst_group_accuracy": 0.0,
            "accuracy_parity_gap": 1.0,
            "overall_relative_drop": (base_overall - 4 / 6) / base_overall,
            "max_group_relative_drop": (0.8 - 2 / 3) / 0.8,
        }
    )


def test_unnamed_group_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"group ids \[2\] have no name"):
        group_accuracy_table(hand_made_predictions(), ["cat", "dog"])


def test_tables_with_different_groups_are_rejected() -> None:
    table = group_accuracy_table(hand_made_predictions(), NAMES)
    with pytest.raises(ValueError, match="different groups"):
        relative_accuracy_drop(table, base_table().iloc[:2])


def test_missing_prediction_columns_are_rejected() -> None:
    with pytest.raises(ValueError, match="lack columns"):
        group_accuracy_table(hand_made_predictions().drop(columns="loss"), NAMES)
