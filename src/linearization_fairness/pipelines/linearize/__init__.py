"""linearize: each cell's base model with ReLUs removed by SNL, DeepReDuce or the random control."""

from linearization_fairness.pipelines.linearize.pipeline import create_criticality_pipeline, create_pipeline

__all__ = ["create_criticality_pipeline", "create_pipeline"]
