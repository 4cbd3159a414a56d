from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.finetuning import VARIANTS, multiplier_summary
from linearization_fairness.finetuning.multipliers import MULTIPLIER_COLUMN
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
    """`student` (masks frozen) finetuned by `variant` from the base model of the same seed. A
    Lagrangian variant's model also carries its multiplier summary (see `multiplier_summary`): the
    history's timings change on every run, the model's bytes do not, so what reads the summary
    from the model stays fresh after an identical rerun."""
    result = VARIANTS[variant].run(
        student.build(), base_model.build(), split_tensors(splits, "train"), split_tensors(splits, "val"),
        getattr(cell.config, variant), len(data_info["group_names"]), cell.seed, cell.checkpoint(variant),
    )  # fmt: skip
    metadata = {**student.metadata, "variant": variant, "epoch": result.best_epoch}
    if any(MULTIPLIER_COLUMN.fullmatch(column) for column in result.history.columns):
        metadata["multipliers"] = multiplier_summary(result.history).to_dict(orient="list")
    return student.derived(result.model, metadata), result.history
