"""Kedro settings: the config loader that lets conf declare which pipelines exist, and the hooks."""

from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.hooks import SweepLeftovers, TrackWhatMadeEachOutput, ValidateBeforeRun

# pluggy calls the last registered first: raw data is checked, then leftovers swept, then the
# fingerprints read what is on disk.
HOOKS = (TrackWhatMadeEachOutput(), SweepLeftovers(), ValidateBeforeRun())

CONFIG_LOADER_CLASS = ExperimentConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
