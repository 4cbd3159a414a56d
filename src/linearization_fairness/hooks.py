"""Checks that need to know what is about to run; parameters are checked by the config loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from linearization_fairness.config_loader import run_config
from linearization_fairness.data import check_raw_data


class ValidateBeforeRun:
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """The raw data of every experiment whose data_prep is about to run exists and is readable."""
        config = run_config()
        for node in pipeline.nodes:
            if node.name.endswith(".prepare_data"):
                check_raw_data(config.experiments[node.namespace].data, Path(config.raw_data_dir))
