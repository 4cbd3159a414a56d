"""Metrics for a protected group that is not the label, from per-sample predictions (fairlearn).

Where the group is the label, per-group accuracy is per-class recall and says it all; otherwise a
group's accuracy can hide which classes it fails on, so accuracy is also given per (group, label),
and for binary targets the true- and false-positive rate per group with the equalized-odds
difference: the larger of the TPR and FPR gaps between groups (Hardt et al. 2016).
"""

from __future__ import annotations

import pandas as pd
from fairlearn.metrics import MetricFrame, count, equalized_odds_difference, false_positive_rate, true_positive_rate
from sklearn.metrics import accuracy_score


def group_label_accuracy(predictions: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, label) present: group, label, n, accuracy."""
    frame = MetricFrame(
        metrics={"n": count, "accuracy": accuracy_score},
        y_true=predictions["label"],
        y_pred=predictions["prediction"],
        sensitive_features=predictions[["group", "label"]].set_axis(["group", "label_of_sample"], axis=1),
    )
    # MetricFrame crosses every group with every label; drop the pairs no sample has.
    table = frame.by_group.dropna(subset=["n"]).reset_index().rename(columns={"label_of_sample": "label"})
    return table.astype({"group": int, "label": int, "n": int, "accuracy": float})


def binary_group_rates(predictions: pd.DataFrame) -> pd.DataFrame:
    """Binary targets (class 1 positive): per group, tpr, fpr and the model's equalized-odds difference."""
    labels = set(predictions["label"]) | set(predictions["prediction"])
    if not labels <= {0, 1}:
        raise ValueError(f"labels and predictions hold {sorted(labels)}; TPR and FPR need a binary target (0, 1)")
    frame = MetricFrame(
        metrics={"tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=predictions["label"],
        y_pred=predictions["prediction"],
        sensitive_features=predictions["group"],
    )
    difference = equalized_odds_difference(predictions["label"], predictions["prediction"], sensitive_features=predictions["group"])
    table = frame.by_group.reset_index().astype({"group": int})
    return table.assign(equalized_odds_difference=float(difference))
