"""Kedro settings: the config loader that lets conf declare which pipelines exist, and the hooks."""

import warnings

from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.hooks import ShowProgress, SweepLeftovers, TrackWhatMadeEachOutput, ValidateBeforeRun

# Kedro 1.7's own config loader calls OmegaConf's deprecated register_new_resolver, warning on every
# command about code that is not this project's.
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning)
# Kedro warns when a node is built with a dotted dataset name outside its own namespace. Here such
# names are namespaced datasets on purpose: a cell reads its seed's base model
# (`base_s0.base_model`), a search writes its cells' models, the report reads every cell's tables.
warnings.filterwarnings("ignore", message=r"One or more dataset names contain '\.' characters", category=UserWarning)

# pluggy calls the last registered first: raw data is checked, then leftovers swept, then the
# fingerprints read what is on disk, then the progress view starts.
HOOKS = (ShowProgress(), TrackWhatMadeEachOutput(), SweepLeftovers(), ValidateBeforeRun())

CONFIG_LOADER_CLASS = ExperimentConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
