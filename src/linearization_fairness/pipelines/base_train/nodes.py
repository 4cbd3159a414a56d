from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from linearization_fairness.models import ModelArtifact, build_model
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.sweep import Cell
from linearization_fairness.training import CrossEntropy, plot_history, train


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


def plot_base_history(history: pd.DataFrame, base_model: ModelArtifact) -> Figure:
    """The base training's curves, titled with its cell and marking the epoch it kept."""
    return plot_history(history, f"{base_model.metadata['cell']}: base training", base_model.metadata["epoch"])
