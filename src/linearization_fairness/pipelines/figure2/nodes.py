from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from linearization_fairness.figure2 import Figure2Config, make_task, train_from_scratch
from linearization_fairness.figure2.report import accuracy_table, aggregate_accuracy, draw_figure2, figure2_html
from linearization_fairness.models import MLPConfig, ModelArtifact


def make_splits(*, config: Figure2Config) -> dict[str, np.ndarray]:
    return make_task(config.task)


def train_model(splits: dict[str, np.ndarray], *, config: Figure2Config, rule: str | None, seed: int) -> tuple[ModelArtifact, pd.DataFrame]:
    """One model of one seed trained from scratch: all-ReLU (`rule` None) or half-linear by `rule`."""
    result = train_from_scratch(splits, config.hidden_sizes, rule, config.train, seed)
    metadata = {"rule": rule or "none", "seed": seed, "epoch": result.best_epoch, "stopped": result.stopped_reason}
    model_config = MLPConfig(arch="mlp", hidden_sizes=config.hidden_sizes)
    return ModelArtifact.from_model(result.model, model_config, (2,), 2, metadata), result.history


def measure(splits: dict[str, np.ndarray], *models: ModelArtifact, names: list[str]) -> pd.DataFrame:
    """Every model's global and per-class accuracy on the test split (`names`: model name per artifact)."""
    return accuracy_table(splits, list(zip(names, models)))


def aggregate(accuracy: pd.DataFrame) -> pd.DataFrame:
    return aggregate_accuracy(accuracy)


def draw(splits: dict[str, np.ndarray], aggregated: pd.DataFrame, *models: ModelArtifact, names: list[str], config: Figure2Config) -> Figure:
    return draw_figure2(splits, aggregated, {name: model.build() for name, model in zip(names, models)}, config)


def write_report(aggregated: pd.DataFrame, accuracy: pd.DataFrame, png: bytes, *, config: Figure2Config) -> str:
    return figure2_html(aggregated, accuracy, png, config)

