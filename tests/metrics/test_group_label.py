import pandas as pd
import pytest

from linearization_fairness.metrics.group_label import binary_group_rates, group_label_accuracy

# Group 0: positives 4 (3 found), negatives 4 (1 false alarm). Group 1: positives 2 (1 found),
# negatives 4 (2 false alarms). TPR 0.75 / 0.5, FPR 0.25 / 0.5: equalized-odds difference 0.25.
PLANTED = pd.DataFrame(
    {
        "group": [0] * 8 + [1] * 6,
        "label": [1, 1, 1, 1, 0, 0, 0, 0] + [1, 1, 0, 0, 0, 0],
        "prediction": [1, 1, 1, 0, 1, 0, 0, 0] + [1, 0, 1, 1, 0, 0],
    }
)


def test_accuracy_per_group_and_label_counts_each_cell():
    table = group_label_accuracy(PLANTED).set_index(["group", "label"])
    assert table["n"].to_dict() == {(0, 0): 4, (0, 1): 4, (1, 0): 4, (1, 1): 2}
    assert table["accuracy"].to_dict() == pytest.approx({(0, 0): 0.75, (0, 1): 0.75, (1, 0): 0.5, (1, 1): 0.5})
    # where the group is the label, only the pairs that occur are rows
    diagonal = group_label_accuracy(PLANTED.assign(group=PLANTED["label"]))
    assert list(zip(diagonal["group"], diagonal["label"])) == [(0, 0), (1, 1)]


def test_binary_rates_and_equalized_odds_on_planted_predictions():
    table = binary_group_rates(PLANTED).set_index("group")
    assert table["tpr"].to_dict() == pytest.approx({0: 0.75, 1: 0.5})
    assert table["fpr"].to_dict() == pytest.approx({0: 0.25, 1: 0.5})
    assert table["equalized_odds_difference"].tolist() == pytest.approx([0.25, 0.25])
    # group 1 now: TPR 1, FPR 0.75; the FPR gap, 0.5, is the larger
    shifted = PLANTED.assign(prediction=[1, 1, 1, 0, 1, 0, 0, 0] + [1, 1, 1, 1, 1, 0])
    assert binary_group_rates(shifted)["equalized_odds_difference"].tolist() == pytest.approx([0.5, 0.5])


def test_a_multiclass_target_has_no_binary_rates():
    with pytest.raises(ValueError, match="need a binary target"):
        binary_group_rates(PLANTED.assign(label=2))
