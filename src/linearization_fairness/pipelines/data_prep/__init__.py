"""data_prep: raw data -> stratified, (un)balanced, normalised train/val/test splits."""

from linearization_fairness.pipelines.data_prep.pipeline import create_pipeline

__all__ = ["create_pipeline"]
