from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from linearization_fairness.models import ModelArtifact, ModelConfig, build_model
from linearization_fairness.pipelines.common import checkpoint_file, split_tensors
from linearization_fairness.sweep import Cell
from linearization_fairness.training import CrossEntropy, TrainConfig, train


def train_base_model(
    splits: dict[str, np.ndarray],
    data_info: dict[str, Any],
    model: ModelConfig,
    base_train: TrainConfig,
    cell: Cell,
    checkpoint_dir: str,
) -> tuple[ModelArtifact, pd.DataFrame]:
    """Train the all-ReLU network of `cell.seed`; the kept epoch is the best on validation."""
    in_shape, num_classes = tuple(data_info["input_shape"]), int(data_info["num_classes"])
    torch.manual_seed(cell.seed)
    network = build_model(model, in_shape, num_classes)
    result = train(
        network,
        split_tensors(splits, "train"),
        split_tensors(splits, "val"),
        base_train.model_copy(update={"seed": cell.seed}),
        CrossEntropy(),
        checkpoint_path=checkpoint_file(checkpoint_dir, cell, "base_train"),
    )
    metadata = {"variant": "base", "cell": cell.name, "seed": cell.seed, "epoch": result.best_epoch, "stopped": result.stopped_reason}
    return ModelArtifact.from_model(result.model, model, in_shape, num_classes, metadata), result.history
