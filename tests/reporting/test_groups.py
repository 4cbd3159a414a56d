import pandas as pd
import pytest

from linearization_fairness.reporting.groups import group_label_metrics
from linearization_fairness.reporting.html import group_label_table


def _models(worst: dict[tuple[str, int], float]) -> pd.DataFrame:
    rows = []
    for (variant, seed), value in worst.items():
        rows.append({
            "experiment": "e", "method": "random", "budget": "250", "relus_kept": 250, "variant": variant, "seed": seed,
            "cell": f"random_b250_s{seed}", "worst_group_accuracy": value, "overall_accuracy": 0.9,
        })  # fmt: skip
    return pd.DataFrame(rows)


def test_group_label_rows_carry_their_model_s_keys_and_the_binary_rates():
    models = _models({("finetune", 0): 0.5})
    predictions = pd.DataFrame({
        "group": [0, 0, 1, 1], "label": [0, 1, 0, 1], "prediction": [0, 1, 1, 1],
        "cell": "random_b250_s0", "variant": "finetune",
    })  # fmt: skip
    table = group_label_metrics(models.assign(dataset="d", arch="a", total_relus=1), [predictions], ["a", "b"])
    assert table[["group_name", "label", "accuracy"]].values.tolist() == [["a", 0, 1.0], ["a", 1, 1.0], ["b", 0, 0.0], ["b", 1, 1.0]]
    assert table["equalized_odds_difference"].tolist() == pytest.approx([1.0] * 4)  # FPR 0 vs 1
    assert (table["relus_kept"] == 250).all() and (table["seed"] == 0).all()
    wide = group_label_table(table)
    assert wide["b, label 0"].tolist() == [0.0] and wide["equalized-odds difference"].tolist() == [1.0]
