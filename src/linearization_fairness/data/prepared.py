"""The prepared splits, their flat-array form for one .npz file, and group counts per split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SPLIT_NAMES = ("train", "val", "test")
SPLIT_FIELDS = ("x", "y", "group", "index")


@dataclass
class SplitArrays:
    """Normalised inputs `x` float32 (N, C, H, W) or (N, 2); `y`, `group`, source `index` int64 (N,).

    The group is the class label for every source, as in the paper; it is stored apart so that
    code computing group metrics never has to know that.
    """

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    index: np.ndarray

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64)
        self.group = np.asarray(self.group, dtype=np.int64)
        self.index = np.asarray(self.index, dtype=np.int64)
        lengths = {len(self.x), len(self.y), len(self.group), len(self.index)}
        if len(lengths) != 1:
            raise ValueError(
                f"split arrays differ in length: x {len(self.x)}, y {len(self.y)}, "
                f"group {len(self.group)}, index {len(self.index)}"
            )

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class PreparedData:
    """Splits "train", "val", "test" and a JSON-serialisable description `info` of the dataset.

    `info` holds: dataset, num_classes, input_shape, class_names, group_names (index = group id),
    normalisation_mean and normalisation_std (per channel, from the train split), seed, and
    rejected_files (malformed source file names; empty where names carry no labels).
    """

    splits: dict[str, SplitArrays]
    info: dict[str, Any]

    def __post_init__(self) -> None:
        if sorted(self.splits) != sorted(SPLIT_NAMES):
            raise ValueError(f"splits are {sorted(self.splits)}; expected exactly {list(SPLIT_NAMES)}")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays "train_x", "train_y", "train_group", "train_index", "val_x", ... (no objects)."""
        return {
            f"{split_name}_{field}": getattr(self.splits[split_name], field)
            for split_name in SPLIT_NAMES
            for field in SPLIT_FIELDS
        }


def group_statistics(prepared: PreparedData) -> pd.DataFrame:
    """One row per split and group (empty groups included): split, group_id, group_name, count, share."""
    group_names = prepared.info["group_names"]
    rows = []
    for split_name in SPLIT_NAMES:
        counts = np.bincount(prepared.splits[split_name].group, minlength=len(group_names))
        total = counts.sum()
        for group_id, group_name in enumerate(group_names):
            rows.append(
                {
                    "split": split_name,
                    "group_id": group_id,
                    "group_name": group_name,
                    "count": int(counts[group_id]),
                    "share": float(counts[group_id] / total) if total else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["split", "group_id", "group_name", "count", "share"])


def group_label_statistics(prepared: PreparedData) -> pd.DataFrame:
    """One row per split, group and label (empty ones included): the count, and its share of the
    group in that split. Where the group is not the label this shows what a group's accuracy
    averages over: a rare style may also be rarer for some digits than for others."""
    group_names, class_names = prepared.info["group_names"], prepared.info["class_names"]
    rows = []
    for split_name in SPLIT_NAMES:
        split = prepared.splits[split_name]
        counts = np.zeros((len(group_names), len(class_names)), dtype=int)
        np.add.at(counts, (split.group, split.y), 1)
        for group_id, group_name in enumerate(group_names):
            group_total = counts[group_id].sum()
            for label, class_name in enumerate(class_names):
                count = int(counts[group_id, label])
                rows.append(
                    {
                        "split": split_name, "group_id": group_id, "group_name": group_name, "label": label,
                        "class_name": class_name, "count": count, "share_of_group": count / group_total if group_total else 0.0,
                    }
                )  # fmt: skip
    return pd.DataFrame(rows, columns=["split", "group_id", "group_name", "label", "class_name", "count", "share_of_group"])
