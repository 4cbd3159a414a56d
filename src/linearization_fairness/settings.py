"""Kedro settings: the config loader that lets conf declare which pipelines exist, and the hooks."""

from linearization_fairness import library_warnings
from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.hooks import ShowProgress, SweepLeftovers, TrackWhatMadeEachOutput, ValidateBeforeRun
from linearization_fairness.tracking.hook import TrackRuns

library_warnings.ignore()

# pluggy calls the last registered first: raw data is checked, then leftovers swept, then the
# fingerprints read what is on disk, then the progress view starts, then (when tracked) the MLflow run.
HOOKS = (TrackRuns(), ShowProgress(), TrackWhatMadeEachOutput(), SweepLeftovers(), ValidateBeforeRun())
# Installed, kedro-mlflow would track every run; TrackRuns runs its hook when `tracking.enabled` asks.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow",)

CONFIG_LOADER_CLASS = ExperimentConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**"]},  # kedro-mlflow's mlflow.yml
}
