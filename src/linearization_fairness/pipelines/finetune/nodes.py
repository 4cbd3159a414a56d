from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.finetuning import VARIANTS
from linearization_fairness.models import ModelArtifact
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.sweep import Cell


def finetune(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    student: ModelArtifact,
    base_model: ModelArtifact,
    *,
    cell: Cell,
    variant: str,
) -> tuple[ModelArtifact, pd.DataFrame]:
    """`student` (masks frozen) finetuned by `variant` from the base model of the same seed."""
    result = VARIANTS[variant].run(
        student.build(), base_model.build(), split_tensors(splits, "train"), split_tensors(splits, "val"),
        getattr(cell.config, variant), len(data_info["group_names"]), cell.seed, cell.checkpoint(variant),
    )  # fmt: skip
    return student.derived(result.model, {**student.metadata, "variant": variant, "epoch": result.best_epoch}), result.history
