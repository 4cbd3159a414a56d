import pandas as pd
import pytest

from linearization_fairness.reporting.groups import group_label_metrics, paired_finetune_differences
from linearization_fairness.reporting.html import comparison_table, group_label_table


def _models(worst: dict[tuple[str, int], float]) -> pd.DataFrame:
    rows = []
    for (variant, seed), value in worst.items():
        rows.append({
            "experiment": "e", "method": "random", "budget": "250", "relus_kept": 250, "variant": variant, "seed": seed,
            "cell": f"random_b250_s{seed}", "worst_group_accuracy": value, "overall_accuracy": 0.9,
        })  # fmt: skip
    return pd.DataFrame(rows)


def test_differences_are_paired_by_seed_and_exclude_plain_finetuning():
    # label_free - plain per seed: +0.1, +0.3, +0.2 (its spread over seeds is small, unlike the raw values')
    models = _models({
        ("finetune", 0): 0.2, ("finetune", 1): 0.6, ("finetune", 2): 0.4,
        ("label_free", 0): 0.3, ("label_free", 1): 0.9, ("label_free", 2): 0.6, ("mitigate", 0): 0.1,
    })  # fmt: skip
    table = paired_finetune_differences(models).set_index("variant")
    assert set(table.index) == {"label_free", "mitigate"}
    assert table.loc["label_free", "worst_group_accuracy_difference_mean"] == pytest.approx(0.2)
    # t(0.975, 2) * std / sqrt(3), std of (0.1, 0.3, 0.2) = 0.1
    assert table.loc["label_free", "worst_group_accuracy_difference_ci95"] == pytest.approx(4.302653 * 0.1 / 3**0.5)
    assert table.loc["mitigate", "n_seeds"] == 1 and table.loc["mitigate", "worst_group_accuracy_difference_mean"] == pytest.approx(-0.1)
    assert "20.0 ± 24.8" in comparison_table(table.reset_index()).to_string()


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
