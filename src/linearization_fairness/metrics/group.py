"""Per-group accuracy table and the fairness summaries built on it.

Plain pandas groupby rather than fairlearn's MetricFrame: every column of the table is the mean
of a per-sample column of `predict`'s output (accuracy is the mean of `correct`), which is
exactly a groupby-mean. MetricFrame is built around metric(y_true, y_pred) callables, so the
loss and margin columns would have to be disguised as y_true, for an extra dependency.
"""

from collections.abc import Mapping, Sequence

import pandas as pd

GROUP_TABLE_COLUMNS = (
    "group_id",
    "group_name",
    "n",
    "accuracy",
    "mean_loss",
    "mean_prob_margin",
    "mean_logit_margin",
)
_REQUIRED_PREDICTION_COLUMNS = ("group", "correct", "loss", "prob_margin", "logit_margin")


def group_accuracy_table(predictions: pd.DataFrame, group_names: Mapping[int, str] | Sequence[str]) -> pd.DataFrame:
    """One row per group present in `predictions` (the output of `predict`), sorted by group id.

    `group_names` maps group id to name: a sequence is indexed by group id (e.g. CIFAR-10's
    class names), a mapping is looked up. It must name every group present; extra names are
    ignored, so a group absent from the data has no row.
    """
    missing = [column for column in _REQUIRED_PREDICTION_COLUMNS if column not in predictions.columns]
    if missing:
        raise ValueError(f"predictions lack columns {missing}; pass the DataFrame returned by predict()")
    if predictions.empty:
        raise ValueError("predictions is empty; a group table needs at least one sample")
    if isinstance(group_names, str):
        raise ValueError(f"group_names={group_names!r} is a string; pass a list of names or a {{id: name}} mapping")
    names = dict(group_names) if isinstance(group_names, Mapping) else dict(enumerate(group_names))

    table = (
        predictions.groupby("group", sort=True)
        .agg(
            n=("correct", "size"),
            accuracy=("correct", "mean"),
            mean_loss=("loss", "mean"),
            mean_prob_margin=("prob_margin", "mean"),
            mean_logit_margin=("logit_margin", "mean"),
        )
        .reset_index()
        .rename(columns={"group": "group_id"})
    )
    unnamed = sorted(set(table["group_id"]) - set(names))
    if unnamed:
        raise ValueError(f"group ids {unnamed} have no name; group_names names only {sorted(names)}")
    table["group_name"] = table["group_id"].map(names)
    table["accuracy"] = table["accuracy"].astype("float64")
    return table[list(GROUP_TABLE_COLUMNS)]


def overall_accuracy(table: pd.DataFrame) -> float:
    """Sample-weighted accuracy over all groups (equal to the plain accuracy over all samples)."""
    return float((table["n"] * table["accuracy"]).sum() / table["n"].sum())


def worst_group_accuracy(table: pd.DataFrame) -> float:
    """Accuracy of the least accurate group."""
    return float(table["accuracy"].min())


def accuracy_parity_gap(table: pd.DataFrame) -> float:
    """Best group accuracy minus worst group accuracy."""
    return float(table["accuracy"].max() - table["accuracy"].min())
