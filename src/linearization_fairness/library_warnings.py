"""The library warnings every command would print about code that is not this project's.

`kedro` calls `ignore` (the `kedro.init` entry point in pyproject.toml) before it imports plugins'
commands; settings.py calls it too, before a session imports plugins' hooks, for sessions started
from Python (tests, `%load_ext kedro.ipython`).
"""

import importlib
import importlib.util
import warnings
from types import ModuleType

# kedro-mlflow defines a pipeline model without type hints on `predict`, and MLflow warns about it
# as the class is defined, inside its own `simplefilter("once")`, which no filter of ours can
# override. This project logs no models.
MLFLOW_PREDICT_HINTS = "Add type hints to the `predict` method"


def ignore() -> None:
    # Kedro 1.7's own config loader calls OmegaConf's deprecated register_new_resolver.
    warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning)
    # Kedro warns when a node is built with a dotted dataset name outside its own namespace. Here such
    # names are namespaced datasets on purpose: a cell reads its seed's base model
    # (`base_s0.base_model`), a search writes its cells' models, the report reads every cell's tables.
    warnings.filterwarnings("ignore", message=r"One or more dataset names contain '\.' characters", category=UserWarning)
    # Kedro imports every installed plugin's commands and hooks, and kedro-mlflow's import the module
    # that defines its model: importing it first costs nothing.
    if importlib.util.find_spec("kedro_mlflow") is not None:
        try:
            import_kedro_mlflow("kedro_mlflow.mlflow")
        except Exception:  # noqa: BLE001 - Kedro reports a plugin that fails to load, in its own words
            return


def import_kedro_mlflow(module: str) -> ModuleType:
    """Import a kedro-mlflow module, recording what it warns and passing on all but MLflow's
    warning about kedro-mlflow's model."""
    with warnings.catch_warnings(record=True) as caught:
        imported = importlib.import_module(module)
    for warning in caught:
        if MLFLOW_PREDICT_HINTS not in str(warning.message):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return imported
