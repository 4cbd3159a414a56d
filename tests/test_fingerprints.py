"""Fingerprints: an output made under other settings or from other inputs is stale, staleness
flows downstream, an identical rerun is not stale, and a changed one makes its dependents stale."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from kedro.framework.hooks import _create_hook_manager
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner

from linearization_fairness.fingerprints import Fingerprints, record_path
from linearization_fairness.hooks import TrackWhatMadeEachOutput
from linearization_fairness.io import AtomicDataset
from linearization_fairness.pipelines.common import bound_node


def make_table(*, rows: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(rows)})


def double(table: pd.DataFrame) -> pd.DataFrame:
    return table * 2


def _pipeline(rows: int) -> Pipeline:
    return Pipeline([
        bound_node(make_table, None, "table", "make_table", "t", {"rows": rows}, rows=rows),
        node(double, "table", "doubled", name="double"),
    ])  # fmt: skip


def _catalog(folder: Path) -> DataCatalog:
    return DataCatalog({name: AtomicDataset(str(folder / f"{name}.csv"), "pandas.CSVDataset") for name in ("table", "doubled")})


def _run(pipeline: Pipeline, catalog: DataCatalog, only_missing: bool = False) -> None:
    hooks = _create_hook_manager()
    tracker = TrackWhatMadeEachOutput()
    hooks.register(tracker)
    tracker.before_pipeline_run({"only_missing_outputs": only_missing}, pipeline, catalog)
    SequentialRunner().run(pipeline, catalog, hooks, only_missing_outputs=only_missing)


def test_settings_changes_make_a_node_and_its_dependents_stale(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    _run(_pipeline(3), catalog)
    assert record_path(tmp_path / "doubled.csv").exists()
    assert Fingerprints(_pipeline(3), catalog).stale == {}
    assert Fingerprints(_pipeline(4), catalog).stale == {
        "make_table": "made with other settings or inputs",
        "double": "an input is stale",
    }
    _run(_pipeline(4), catalog, only_missing=True)
    assert Fingerprints(_pipeline(4), catalog).stale == {}
    assert pd.read_csv(tmp_path / "doubled.csv")["x"].tolist() == [0, 2, 4, 6]


def test_an_identical_rerun_is_current_and_a_changed_output_makes_dependents_stale(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    _run(_pipeline(3), catalog)
    _run(Pipeline([_pipeline(3).nodes[0]]), catalog)  # the same bytes again
    assert Fingerprints(_pipeline(3), catalog).stale == {}

    hooks = _create_hook_manager()
    hooks.register(TrackWhatMadeEachOutput())
    changed = Pipeline([bound_node(lambda *, rows: make_table(rows=rows) + 1, None, "table", "make_table", "t", {"rows": 3}, rows=3)])
    SequentialRunner().run(changed, catalog, hooks)  # a rerun with other bytes (e.g. a non-deterministic GPU)
    assert Fingerprints(_pipeline(3), catalog).stale["double"] == "an input is stale"


def test_a_file_edited_or_made_without_a_record_is_stale(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    _run(_pipeline(3), catalog)
    (tmp_path / "doubled.csv").write_text("x\n0\n")
    assert "changed since" in Fingerprints(_pipeline(3), catalog).stale["double"]
