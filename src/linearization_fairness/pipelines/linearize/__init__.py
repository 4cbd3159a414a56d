"""linearize: each cell's base model with ReLUs removed by SNL, DeepReDuce or the random control;
SNL's cells of a seed by one search."""

from linearization_fairness.pipelines.linearize.pipeline import (
    create_criticality_pipeline,
    create_pipeline,
    create_search_pipeline,
)

__all__ = ["create_criticality_pipeline", "create_pipeline", "create_search_pipeline"]
