"""Kedro datasets for this project's artifacts."""

from linearization_fairness.datasets.npz import NpzDataset

__all__ = ["NpzDataset"]
