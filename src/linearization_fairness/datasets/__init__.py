"""Kedro datasets for this project's artifacts."""

from linearization_fairness.datasets.model_artifact import ModelArtifactDataset
from linearization_fairness.datasets.npz import NpzDataset

__all__ = ["ModelArtifactDataset", "NpzDataset"]
