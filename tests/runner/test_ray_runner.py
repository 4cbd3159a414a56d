"""The Ray runner on a local 2-CPU cluster, started once for the module: conf/test's sweep through
it equals the sequential runner's, and a failed node leaves the rest of the sweep finished."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="module")
def ray_run(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("ray"))
    _run(project, RayRunner(), pipeline_names=["full"])
    return project


def test_the_sweep_through_ray_equals_the_sequential_runner(ray_run: Path, tmp_path: Path) -> None:
    sequential = copy_project(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what each Ray task runs on (ray.cpus_per_task: 1)
    try:
        _run(sequential, pipeline_names=["full"])
    finally:
        torch.set_num_threads(threads)
    for experiment in ("digits", "toy2d"):
        for level in ("group", "model"):
            tables = [
                pd.read_parquet(project / "data" / "test" / "08_reporting" / experiment / f"{level}_metrics.parquet")
                for project in (ray_run, sequential)
            ]
            pd.testing.assert_frame_equal(*tables, check_exact=True)


def test_a_failed_node_leaves_the_others_finished_and_is_named(ray_run: Path) -> None:
    models = ray_run / "data" / "test" / "06_models" / "digits"
    (models / "random_b200_s0" / "linearized_model.pt").write_bytes(b"not a model")
    before = _written(ray_run)
    with pytest.raises(SweepFailed) as failed:
        _run(ray_run, RayRunner(), pipeline_names=["finetune"])
    summary = str(failed.value)
    assert summary.startswith(f"{len(VARIANTS)} node(s) failed")  # each finetune variant of the cell
    for node in VARIANTS:
        assert f"digits.random_b200_s0.{node}: DatasetError: " in summary
        assert f'kedro run --env test --nodes "digits.random_b200_s0.{node}"' in summary
    assert "linearized_model.pt is truncated, corrupt or not written by this project" in summary
    assert "--only-missing-outputs" in summary
    # Every other cell's finetunes ran again to the end.
    after = _written(ray_run)
    finetuned = {path for path in before if path.stem in {f"{variant}_model" for variant in VARIANTS}}
    assert {path for path in finetuned if after[path] != before[path]} == {
        path for path in finetuned if path.parent != models / "random_b200_s0"
    }

    before = _written(ray_run)
    _run(ray_run, RayRunner(), pipeline_names=["full"], only_missing_outputs=True)
    after = _written(ray_run)
    rewritten = {path.parent.name for path in before if after.get(path) != before[path]}
    assert rewritten == {"random_b200_s0"}
    assert (models / "random_b200_s0" / "mitigate_model.pt").stat().st_mtime_ns > before[models / "random_b200_s0" / "mitigate_model.pt"]
