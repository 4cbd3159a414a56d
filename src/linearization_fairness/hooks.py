"""What the project does around Kedro's runs: raw-data checks before a run (parameters are checked
by the config loader), sweeping interrupted saves, and fingerprints of what made each output."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from linearization_fairness.atomic import sweep_leftovers, write_atomically
from linearization_fairness.config_loader import run_config
from linearization_fairness.data import check_raw_data
from linearization_fairness.fingerprints import Fingerprints, filepath_of, record_path, write_record

logger = logging.getLogger(__name__)


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


class TrackWhatMadeEachOutput:
    """Fingerprints (see fingerprints.py) around every run.

    Before the run: the outputs of the selected nodes that are stale are named, one line per
    node, and with `--only-missing-outputs` deleted, so that Kedro counts them as missing and
    reruns exactly them and everything downstream. Before a node: a checkpoint left for other
    settings or inputs is deleted, so the training starts over instead of resuming it. After each
    save: the output's record. After a node's last save: its checkpoint is deleted (not when the
    training ends: a crash while saving then resumes the finished training instead of repeating it).
    """

    def __init__(self) -> None:
        self._catalog: Any = None
        self._running: dict[str, str] = {}  # node name -> its fingerprint in this run
        self._saved: dict[str, set[str]] = defaultdict(set)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        self._catalog, self._running, self._saved = catalog, {}, defaultdict(set)
        fingerprints = Fingerprints(pipeline, catalog)
        for node in pipeline.nodes:
            reason = fingerprints.stale.get(node.name)
            existing = [path for output in node.outputs if (path := filepath_of(catalog, output)) and path.exists()]
            if reason is None or not existing:
                continue
            if run_params.get("only_missing_outputs"):
                logger.info("%s: stale (%s); recomputing it", node.name, reason)
                for path in existing:
                    path.unlink()
                    record_path(path).unlink(missing_ok=True)
            else:
                logger.info("%s: stale (%s)", node.name, reason)

    @hook_impl
    def before_node_run(self, node: Any, catalog: Any) -> None:
        # Set here too: a Ray worker runs nodes without ever seeing before_pipeline_run.
        self._catalog = catalog
        fingerprint = Fingerprints(Pipeline([node]), catalog).expected(node)
        self._running[node.name] = fingerprint
        checkpoint = self._checkpoint(node)
        if checkpoint is None:
            return
        if checkpoint.exists() and _made_for(checkpoint) != fingerprint:
            logger.info("%s: its checkpoint %s was written for other settings or inputs; starting over", node.name, checkpoint)
            checkpoint.unlink()
        record = {"node": fingerprint}
        write_atomically(record_path(checkpoint), lambda file: file.write(json.dumps(record).encode()))

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        path = filepath_of(self._catalog, dataset_name) if self._catalog is not None else None
        if path is not None and node.name in self._running and self._running[node.name] is not None:
            write_record(path, self._running[node.name])
        saved = self._saved[node.name]
        saved.add(dataset_name)
        checkpoint = self._checkpoint(node)
        if saved >= set(node.outputs) and checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
            record_path(checkpoint).unlink(missing_ok=True)

    @staticmethod
    def _checkpoint(node: Any) -> Path | None:
        """The checkpoint of a training node, named after it by its cell (see Cell.checkpoint)."""
        cell = getattr(node.func, "keywords", {}).get("cell")
        return None if cell is None else cell.checkpoint(node.name.rsplit(".", 1)[-1])


def _made_for(checkpoint: Path) -> str | None:
    """The node fingerprint a checkpoint was started under (None: unknown)."""
    try:
        return json.loads(record_path(checkpoint).read_text()).get("node")
    except (OSError, ValueError, AttributeError):
        return None
