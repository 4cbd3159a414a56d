"""The hook that makes a run a tracked run, when the parameter `tracking.enabled` is true."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl

from linearization_fairness.config_loader import run_config
from linearization_fairness.fingerprints import filepath_of
from linearization_fairness.results.schema import MODEL_KEYS

logger = logging.getLogger(__name__)

REPORTING = "08_reporting"
SQLITE = "sqlite:///"


class TrackRuns:
    """kedro-mlflow's hook, switched on by `tracking.enabled` instead of by being installed (settings.py
    keeps it from registering itself): it reads conf/<env>/mlflow.yml, starts the MLflow run before
    the pipeline, tags it with the Kedro command and ends it, FAILED on an error. Added here: the
    whole resolved config as parameters (kedro-mlflow logs only a node's `params:` inputs, and
    this project's nodes take their settings from their cell), each experiment's seed-aggregated
    model-level metrics, and every reporting output of the run (report, figures, tables) as
    artifacts. All of it from the driver at the run's end: under Ray the nodes run in workers."""

    def __init__(self) -> None:
        self._mlflow_hook: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._mlflow_hook = None
        if not run_config().tracking.enabled:
            return
        from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

        # SQLite makes the store's file, not its folder.
        store = str(context.config_loader["mlflow"].get("server", {}).get("mlflow_tracking_uri", ""))
        if store.startswith(SQLITE):
            Path(store.removeprefix(SQLITE)).parent.mkdir(parents=True, exist_ok=True)
        self._mlflow_hook = MlflowHook()
        self._mlflow_hook.after_context_created(context)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if self._mlflow_hook is None:
            return
        import mlflow

        self._mlflow_hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
        mlflow.log_params(flatten(run_config().model_dump(mode="json")))
        logger.info("tracked: MLflow run %s in %s", mlflow.active_run().info.run_id, mlflow.get_tracking_uri())

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if self._mlflow_hook is None:
            return
        try:
            _log_results(pipeline, catalog)
        finally:
            self._mlflow_hook.after_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if self._mlflow_hook is not None:
            self._mlflow_hook.on_pipeline_error(error=error, run_params=run_params, pipeline=pipeline, catalog=catalog)


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as `experiments.digits.base_train.lr: 0.05`, one MLflow parameter per leaf."""
    if not isinstance(config, dict) or not config:
        return {prefix: config}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        flat |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return flat


def model_metrics(aggregated: pd.DataFrame) -> dict[str, float]:
    """An experiment's seed-aggregated model-level table as MLflow metrics, one per model and
    statistic, named by the model's keys: `digits/snl/250/mitigate/worst_group_accuracy_mean`."""
    metrics = {}
    for row in aggregated.to_dict("records"):
        model = "/".join(str(row[key]) for key in ("experiment", "method", "budget", "variant"))
        for column, value in row.items():
            if column not in MODEL_KEYS and isinstance(value, int | float) and not isinstance(value, bool) and pd.notna(value):
                metrics[f"{model}/{column}"] = float(value)
    return metrics


def _log_results(pipeline: Any, catalog: Any) -> None:
    import mlflow

    outputs = pipeline.all_outputs()
    metrics: dict[str, float] = {}
    for name in sorted(outputs):
        if name.endswith(".aggregated_model_metrics") and catalog.exists(name):
            metrics |= model_metrics(catalog.load(name))
    mlflow.log_metrics(metrics)
    for name in sorted(outputs):
        path = filepath_of(catalog, name)
        if path is None or REPORTING not in path.parts or not path.exists():
            continue
        # The artifact keeps its place under 08_reporting: digits/figures/fig1.png.
        folder = Path(*path.parts[path.parts.index(REPORTING) + 1 : -1])
        mlflow.log_artifact(str(path), artifact_path=str(folder) if folder.parts else None)
