import math

import pandas as pd
import pytest

from linearization_fairness.metrics.group import (
    GROUP_TABLE_COLUMNS,
    accuracy_parity_gap,
    group_accuracy_table,
    overall_accuracy,
    worst_group_accuracy,
)
from linearization_fairness.metrics.table import with_relative_drop

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
    model = group_accuracy_table(hand_made_predictions(), NAMES).assign(variant="finetune", seed=0)
    base = base_table().assign(variant="base", seed=0)
    other_base = base_table().assign(variant="base", seed=1, accuracy=0.5)  # another seed's: never compared to
    rows = pd.concat([model, base, other_base], ignore_index=True).assign(experiment="toy")
    drops = with_relative_drop(rows)

    finetuned = drops[drops["variant"] == "finetune"].set_index("group_id")["relative_drop"]
    assert finetuned[0] == pytest.approx((0.8 - 2 / 3) / 0.8)
    assert finetuned[2] == 0.0
    assert math.isnan(finetuned[1]), "a base accuracy of 0 leaves the drop undefined"
    base_drops = drops[(drops["variant"] == "base") & (drops["seed"] == 0)].set_index("group_id")["relative_drop"]
    assert base_drops[0] == base_drops[2] == 0.0 and math.isnan(base_drops[1])
    assert len(drops) == len(rows)


def test_unnamed_group_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"group ids \[2\] have no name"):
        group_accuracy_table(hand_made_predictions(), ["cat", "dog"])


def test_missing_prediction_columns_are_rejected() -> None:
    with pytest.raises(ValueError, match="lack columns"):
        group_accuracy_table(hand_made_predictions().drop(columns="loss"), NAMES)
