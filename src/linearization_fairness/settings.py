"""Kedro settings: the config loader that lets conf declare which pipelines exist, and the hooks."""

from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.hooks import DeleteFinishedCheckpoints, SweepLeftovers, ValidateBeforeRun

HOOKS = (ValidateBeforeRun(), SweepLeftovers(), DeleteFinishedCheckpoints())

CONFIG_LOADER_CLASS = ExperimentConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
