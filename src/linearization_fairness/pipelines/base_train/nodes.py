from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from linearization_fairness.models import ModelArtifact, build_model
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.sweep import Cell
from linearization_fairness.training import CrossEntropy, train


def train_base_model(splits: dict[str, np.ndarray], data_info: dict[str, Any], *, cell: Cell) -> tuple[ModelArtifact, pd.DataFrame]:
    """Train the all-ReLU network of `cell.seed`; the kept epoch is the best on validation."""
    in_shape, num_classes = tuple(data_info["input_shape"]), int(data_info["num_classes"])
    torch.manual_seed(cell.seed)
    network = build_model(cell.config.model, in_shape, num_classes)
    result = train(
        network, split_tensors(splits, "train"), split_tensors(splits, "val"), cell.config.base_train, CrossEntropy(),
        checkpoint_path=cell.checkpoint("train_base_model"), seed=cell.seed,
    )  # fmt: skip
    metadata = {"variant": "base", "cell": cell.name, "seed": cell.seed, "epoch": result.best_epoch, "stopped": result.stopped_reason}
    return ModelArtifact.from_model(result.model, cell.config.model, in_shape, num_classes, metadata), result.history
