"""figure2: the paper's Figure 2 from scratch, a study of its own with a standalone report page."""

from linearization_fairness.pipelines.figure2.pipeline import create_pipeline

__all__ = ["create_pipeline"]
