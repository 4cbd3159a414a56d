"""report: one experiment's tidy metrics table, aggregated over seeds, drawn and written up."""

from linearization_fairness.pipelines.report.pipeline import create_pipeline, create_run_pipeline

__all__ = ["create_pipeline", "create_run_pipeline"]
