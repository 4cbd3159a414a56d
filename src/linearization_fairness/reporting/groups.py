"""What a report needs when the protected group is not the label: `group_label_metrics` measures
every evaluated model per (group, label) from its test predictions. The finetunes' paired
comparison with plain finetuning is `reporting.statistics`'."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linearization_fairness.metrics.group_label import binary_group_rates, group_label_accuracy
from linearization_fairness.results import MODEL_KEYS, GroupLabelMetrics


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
