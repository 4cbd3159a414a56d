"""base_train: the all-ReLU model of every seed, teacher and starting point of every later stage."""

from linearization_fairness.pipelines.base_train.pipeline import create_pipeline

__all__ = ["create_pipeline"]
