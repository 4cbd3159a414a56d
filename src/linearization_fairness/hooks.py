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
        for node in pipeline.nodes:
            if node.name.endswith(".prepare_data"):
                check_raw_data(validate_experiment(node.namespace, experiments[node.namespace]).data, raw_data_dir)
