from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from torch import nn

from linearization_fairness.fairness import FinetuneConfig, MitigateConfig, fig_multipliers, multiplier_history
from linearization_fairness.fairness import finetune as run_finetune
from linearization_fairness.fairness import mitigate as run_mitigate
from linearization_fairness.models import ModelArtifact, ModelConfig
from linearization_fairness.pipelines.common import checkpoint_file, split_tensors
from linearization_fairness.sweep import Cell


def _finetuned_artifact(model: nn.Module, student: ModelArtifact, variant: str, epoch: int) -> ModelArtifact:
    metadata = {**student.metadata, "variant": variant, "epoch": epoch}
    return ModelArtifact.from_model(
        model, ModelConfig(**student.model_config), student.in_shape, student.num_classes, metadata
    )


def finetune_model(
    splits: dict[str, np.ndarray],
    student: ModelArtifact,
    base_model: ModelArtifact,
    finetune: FinetuneConfig,
    cell: Cell,
    checkpoint_dir: str,
) -> tuple[ModelArtifact, pd.DataFrame]:
    """Plain KD finetuning of `student` (masks frozen) from the base model of the same seed."""
    result = run_finetune(
        student.build(), base_model.build(), split_tensors(splits, "train"), split_tensors(splits, "val"), finetune,
        cell.seed, checkpoint_file(checkpoint_dir, cell, "finetune"),
    )  # fmt: skip
    return _finetuned_artifact(result.model, student, "finetune", result.best_epoch), result.history


def mitigate_model(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    student: ModelArtifact,
    base_model: ModelArtifact,
    mitigate: MitigateConfig,
    cell: Cell,
    checkpoint_dir: str,
) -> tuple[ModelArtifact, pd.DataFrame, Figure]:
    """The paper's fairness-aware finetuning of `student`, with its multipliers' history drawn."""
    result = run_mitigate(
        student.build(), base_model.build(), split_tensors(splits, "train"), split_tensors(splits, "val"), mitigate,
        len(data_info["group_names"]), cell.seed, checkpoint_file(checkpoint_dir, cell, "mitigate"),
    )  # fmt: skip
    figure = fig_multipliers(multiplier_history(result.history), data_info["group_names"])
    return _finetuned_artifact(result.model, student, "mitigate", result.best_epoch), result.history, figure
