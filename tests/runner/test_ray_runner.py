"""The Ray runner on a local 2-CPU cluster, started once for the module: conf/test's toy2d sweep
through it equals the sequential runner's, and a failed node leaves the rest of the sweep finished.
toy2d's MLP cells go through every stage and node kind the runner schedules, at a quarter of the
digits sweep's time; the models inside a task are the sequential runner's own code."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from linearization_fairness.finetuning.variants import VARIANTS

ray = pytest.importorskip("ray")

from linearization_fairness.runner import SweepFailed  # noqa: E402
from linearization_fairness.runner.ray_runner import RayRunner  # noqa: E402
from tests.factories import copy_project  # noqa: E402

@pytest.fixture(scope="module")
def cluster() -> None:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def _run(project: Path, runner: object = None, **run_args: object) -> None:
    """A KedroSession in `project` on conf/test."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    previous = Path.cwd()
    os.chdir(project)
    try:
        bootstrap_project(project)
        with KedroSession.create(project_path=project, env="test") as session:
            session.run(runner=runner, **run_args)
    finally:
        os.chdir(previous)


def _written(project: Path) -> dict[Path, int]:
    """When each model and model output was last written (nodes run in other processes)."""
    data = project / "data" / "test"
    paths = [*data.glob("06_models/*/*/*"), *data.glob("07_model_output/*/*/*")]
    return {path: path.stat().st_mtime_ns for path in paths if path.is_file()}


SWEEP = {"pipeline_names": ["full"], "namespaces": ["toy2d"]}
CELL = "random_b16_s0"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def ray_run(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The sweep through Ray, and what the project logged in the driver."""
    project = copy_project(tmp_path_factory.mktemp("ray"))
    logger, printed = logging.getLogger("linearization_fairness"), _Lines()
    level = logger.level
    logger.addHandler(printed)
    logger.setLevel(logging.INFO)
    try:
        _run(project, RayRunner(), **SWEEP)
    finally:
        logger.removeHandler(printed)
        logger.setLevel(level)
    return project, printed.lines


def test_the_sweep_through_ray_equals_the_sequential_runner(ray_run: tuple[Path, list[str]], tmp_path: Path) -> None:
    ray_run, _ = ray_run
    sequential = copy_project(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what each Ray task runs on (ray.cpus_per_task: 1)
    try:
        _run(sequential, **SWEEP)
    finally:
        torch.set_num_threads(threads)
    for level in ("group", "model"):
        tables = [
            pd.read_parquet(project / "data" / "test" / "08_reporting" / "toy2d" / f"{level}_metrics.parquet")
            for project in (ray_run, sequential)
        ]
        assert len(tables[0]) > 0
        pd.testing.assert_frame_equal(*tables, check_exact=True)


def test_a_ray_run_ends_with_the_report_s_path_and_headline(ray_run: tuple[Path, list[str]]) -> None:
    project, lines = ray_run
    headline = json.loads((project / "data" / "test" / "08_reporting" / "toy2d" / "headline.json").read_text())
    report, *sentences = lines[-len(headline) - 1 :]
    assert headline and sentences == [f"headline: {sentence}" for sentence in headline]
    assert report.startswith("report: ") and report.endswith(str(Path("data") / "test" / "08_reporting" / "toy2d" / "report.html"))


def test_a_failed_node_leaves_the_others_finished_and_is_named(ray_run: tuple[Path, list[str]]) -> None:
    ray_run, _ = ray_run
    models = ray_run / "data" / "test" / "06_models" / "toy2d"
    (models / CELL / "linearized_model.pt").write_bytes(b"not a model")
    before = _written(ray_run)
    with pytest.raises(SweepFailed) as failed:
        _run(ray_run, RayRunner(), pipeline_names=["finetune"], namespaces=["toy2d"])
    summary = str(failed.value)
    assert summary.startswith(f"{len(VARIANTS)} node(s) failed")  # each finetune variant of the cell
    for node in VARIANTS:
        assert f"toy2d.{CELL}.{node}: DatasetError: " in summary
        assert f'kedro run --env test --nodes "toy2d.{CELL}.{node}"' in summary
    assert "linearized_model.pt is truncated, corrupt or not written by this project" in summary
    assert "--only-missing-outputs" in summary
    # Every other cell's finetunes ran again to the end.
    after = _written(ray_run)
    finetuned = {path for path in before if path.stem in {f"{variant}_model" for variant in VARIANTS}}
    assert {path for path in finetuned if after[path] != before[path]} == {
        path for path in finetuned if path.parent != models / CELL
    }

    before = _written(ray_run)
    _run(ray_run, RayRunner(), **SWEEP, only_missing_outputs=True)
    after = _written(ray_run)
    rewritten = {path.parent.name for path in before if after.get(path) != before[path]}
    assert rewritten == {CELL}
    assert (models / CELL / "mitigate_model.pt").stat().st_mtime_ns > before[models / CELL / "mitigate_model.pt"]


def test_the_runner_s_own_local_cluster_starts_and_takes_a_token(tmp_path: Path) -> None:
    """`kedro run --runner=ray` starts its cluster itself (the tests above start theirs): in a
    fresh process, as a command would, with the auth mode left to Ray's default."""
    script = """
import ray
import os
from linearization_fairness.runner.config import RayConfig
from linearization_fairness.runner.ray_runner import _connect
assert _connect(RayConfig(num_cpus=1), None)
assert ray.get(ray.remote(lambda: 1 + 1).remote()) == 2 and os.environ["RAY_AUTH_MODE"] == "token"
ray.shutdown()
"""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("RAY_")}
    environment["HOME"] = str(tmp_path)  # a token of its own, as on a fresh machine
    subprocess.run([sys.executable, "-c", script], env=environment, check=True, timeout=180)
