"""What the project does around Kedro's runs: raw-data checks before a run (parameters are checked
by the config loader), and the end of a training's checkpoint once its results are saved."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

from linearization_fairness.atomic import sweep_leftovers
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


class SweepLeftovers:
    """Temporary files that a killed run left beside its outputs are deleted before the next run."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        folders = []
        for name in pipeline.datasets():
            filepath = getattr(catalog.get(name), "_filepath", None) if not name.startswith("params:") else None
            if filepath is not None:
                folders.append(Path(str(filepath)).parent)
        for path in sweep_leftovers(folders):
            logger.info("removed %s, left by an interrupted save", path)


class DeleteFinishedCheckpoints:
    """A training node's checkpoint is deleted once every output of the node is saved, not when
    the training ends: a crash while saving then resumes the finished training instead of
    repeating it."""

    def __init__(self) -> None:
        self._saved: dict[str, set[str]] = defaultdict(set)

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._saved.clear()

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        saved = self._saved[node.name]
        saved.add(dataset_name)
        cell = getattr(node.func, "keywords", {}).get("cell")
        if saved >= set(node.outputs):
            del self._saved[node.name]
            if cell is not None:
                cell.checkpoint(node.name.rsplit(".", 1)[-1]).unlink(missing_ok=True)
