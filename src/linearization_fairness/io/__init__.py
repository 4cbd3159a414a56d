"""Kedro datasets (catalog I/O) for this project's artifacts: models, splits, figures."""

from linearization_fairness.io.atomic_dataset import AtomicDataset
from linearization_fairness.io.figure import FigureDataset
from linearization_fairness.io.model_artifact import ModelArtifactDataset
from linearization_fairness.io.npz import NpzDataset

__all__ = ["AtomicDataset", "FigureDataset", "ModelArtifactDataset", "NpzDataset"]
