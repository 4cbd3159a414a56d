"""evaluate: every model of a cell measured per group on the test split."""

from linearization_fairness.pipelines.evaluate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
