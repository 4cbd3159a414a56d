"""Checks that need to know what is about to run; parameters are checked by the config loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from linearization_fairness.config import validate_experiment
from linearization_fairness.data import check_raw_data


class ValidateBeforeRun:
    def __init__(self) -> None:
        self._parameters: dict[str, Any] = {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._parameters = context.config_loader["parameters"]

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        experiments = self._parameters.get("experiments", {})
        raw_data_dir = Path(self._parameters.get("raw_data_dir", "data/01_raw"))
        for name in sorted({node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}):
            if any(node.name == f"{name}.prepare_data" for node in pipeline.nodes):
                check_raw_data(validate_experiment(name, experiments[name]).data, raw_data_dir)
