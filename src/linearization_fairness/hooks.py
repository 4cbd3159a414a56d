"""What the project does around Kedro's runs: raw-data checks before a run (parameters are checked
by the config loader), sweeping interrupted saves, and fingerprints of what made each output."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from linearization_fairness.atomic import sweep_leftovers, write_atomically
from linearization_fairness.config_loader import run_config
from linearization_fairness.data import check_raw_data
from linearization_fairness.fingerprints import Fingerprints, filepath_of, record_path, write_record
from linearization_fairness.runner.progress import Progress, first_line
from linearization_fairness.training.engine import training_label

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
        """The checkpoint of a training node, named after it by its cell or search (see Cell.checkpoint)."""
        keywords = getattr(node.func, "keywords", {})
        owner = keywords.get("cell") or keywords.get("search")
        return None if owner is None else owner.checkpoint(node.name.rsplit(".", 1)[-1])


def _made_for(checkpoint: Path) -> str | None:
    """The node fingerprint a checkpoint was started under (None: unknown)."""
    try:
        return json.loads(record_path(checkpoint).read_text()).get("node")
    except (OSError, ValueError, AttributeError):
        return None


class ShowProgress:
    """One progress line per node of a run in this process (see runner/progress.py), the node's
    name on its training's progress bar, and at the end each report's path and headline. Kedro's
    own per-node lines are turned down in conf/logging.yml. A Ray run shows the same view from its
    driver; in its workers, which never see before_pipeline_run, this hook only labels the bar."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._started: dict[str, float] = {}
        self._label: dict[str, Any] = {}
        # The reports this run writes and their headlines' datasets (None: a page without one),
        # named at its end. Taken from the pipeline, not from finished nodes: under Ray those
        # finish in the workers.
        self._reports: list[tuple[Path | None, str | None]] = []

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if run_params.get("only_missing_outputs"):
            # What the runner will run, by Kedro's own rule (stale outputs are already deleted).
            pipeline = SequentialRunner()._filter_pipeline_for_missing_outputs(pipeline, catalog)
        self._progress = Progress([node.name for node in pipeline.nodes])
        self._reports = [
            (filepath_of(catalog, node.outputs[0]), next((name for name in node.outputs if name.endswith(".headline")), None))
            for node in pipeline.nodes
            if node.name.endswith("write_report")
        ]
        if not pipeline.nodes:
            logger.info("nothing to run: every output exists and is current")

    @hook_impl
    def before_node_run(self, node: Any) -> None:
        self._label[node.name] = training_label.set(node.name)
        self._started[node.name] = time.perf_counter()
        if self._progress is not None:
            self._progress.start(node.name)

    @hook_impl
    def after_node_run(self, node: Any) -> None:
        training_label.reset(self._label.pop(node.name))
        took = time.perf_counter() - self._started.pop(node.name)
        if self._progress is not None:
            self._progress.finish(node.name, took)

    @hook_impl
    def on_node_error(self, error: Exception, node: Any) -> None:
        self._label.pop(node.name, None)
        if self._progress is not None and node.name in self._started:
            self._started.pop(node.name)
            self._progress.fail(node.name, first_line(error))

    @hook_impl
    def after_pipeline_run(self, catalog: Any) -> None:
        if self._progress is not None:
            self._progress.close()
        for report, headline in self._reports:
            logger.info("report: %s", report)
            # Read back as the report node saved them: the very sentences the page opens with.
            for sentence in catalog.load(headline) if headline is not None else []:
                logger.info("headline: %s", sentence)
        self._progress, self._reports = None, []

