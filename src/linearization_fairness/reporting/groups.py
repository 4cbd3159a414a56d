"""What a report needs when the protected group is not the label, and the three finetunes compared.

`group_label_metrics` measures every evaluated model per (group, label) from its test predictions;
`paired_finetune_differences` compares each finetune variant with plain finetuning at the same
method, budget and seed, so that seed-to-seed variation shared by both cancels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linearization_fairness.metrics.group_label import binary_group_rates, group_label_accuracy
from linearization_fairness.reporting.aggregate import PLAIN_VARIANT, ci95_half_width, sort_rows
from linearization_fairness.results import MODEL_KEYS, GroupLabelMetrics

KEY_COLUMNS = [*MODEL_KEYS, "seed", "cell"]


def group_label_metrics(model_metrics: pd.DataFrame, predictions: Sequence[pd.DataFrame], group_names: Sequence[str]) -> pd.DataFrame:
    """GroupLabelMetrics rows of every model whose test predictions are given (keys from `model_metrics`)."""
    keys = model_metrics.set_index(["cell", "variant"])
    rows = []
    for frame in predictions:
        cell, variant = frame["cell"].iloc[0], frame["variant"].iloc[0]
        table = group_label_accuracy(frame)
        binary = set(frame["label"]) | set(frame["prediction"]) <= {0, 1}
        rates = binary_group_rates(frame) if binary else pd.DataFrame({"group": table["group"].unique()})
        table = table.merge(rates, on="group", how="left")
        model = keys.loc[(cell, variant)]
        rows.append(table.assign(**{key: model[key] for key in MODEL_KEYS if key != "variant"}, variant=variant, seed=model["seed"], cell=cell))
    combined = pd.concat(rows, ignore_index=True).rename(columns={"group": "group_id"})
    combined["group_name"] = [group_names[group_id] for group_id in combined["group_id"]]
    for column in ("tpr", "fpr", "equalized_odds_difference"):
        combined[column] = combined.get(column, np.nan)
    return GroupLabelMetrics.validate(combined[list(GroupLabelMetrics.to_schema().columns)])


def paired_finetune_differences(model_metrics: pd.DataFrame, metrics: Sequence[str] = ("worst_group_accuracy", "overall_accuracy")) -> pd.DataFrame:
    """Per linearized model and finetune variant other than plain: the mean over seeds of
    (variant - plain) of each metric, with its Student-t 95% half-width; seeds lacking either are left out."""
    keys = ["experiment", "method", "budget", "relus_kept"]
    plain = model_metrics[model_metrics["variant"] == PLAIN_VARIANT][[*keys, "seed", *metrics]]
    others = model_metrics[~model_metrics["variant"].isin([PLAIN_VARIANT, "base"])]
    paired = others.merge(plain, on=[*keys, "seed"], suffixes=("", "_plain"))
    if paired.empty:
        return pd.DataFrame(columns=[*keys, "variant", "n_seeds"])
    for metric in metrics:
        paired[f"{metric}_difference"] = paired[metric] - paired[f"{metric}_plain"]
    grouped = paired.groupby([*keys, "variant"], sort=False)
    table = grouped["seed"].nunique().rename("n_seeds").to_frame()
    for metric in metrics:
        differences = grouped[f"{metric}_difference"]
        table[f"{metric}_difference_mean"] = differences.mean()
        table[f"{metric}_difference_ci95"] = ci95_half_width(differences.std(ddof=1), differences.count())
    return sort_rows(table.reset_index())
