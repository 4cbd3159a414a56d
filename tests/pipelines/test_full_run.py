"""The whole sweep on conf/test, run once; then single cells and resumption on its cached outputs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from linearization_fairness.datasets import ModelArtifactDataset
from linearization_fairness.models import relu_count
from linearization_fairness.reporting import SECTION_IDS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _run(project: Path, **run_args: object) -> list[str]:
    """Run a KedroSession in `project` on conf/test; return the names of the nodes that ran."""
    from kedro.framework.hooks import hook_impl
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    ran: list[str] = []

    class RecordNodes:
        @hook_impl
        def after_node_run(self, node) -> None:
            ran.append(node.name)

    bootstrap_project(project)
    with KedroSession.create(project_path=project, env="test") as session:
        session._hook_manager.register(RecordNodes())
        session.run(**run_args)
    return ran


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "src").mkdir()
    (project / "data" / "01_raw").mkdir(parents=True)
    previous = Path.cwd()
    os.chdir(project)
    try:
        _run(project, pipeline_names=["full"])
        yield project
    finally:
        os.chdir(previous)


def test_full_pipeline_name_is_registered_and_runs(finished_run: Path) -> None:
    assert (finished_run / "data" / "05_model_input" / "digits" / "splits.npz").exists()


def test_full_run_ends_with_a_report_with_every_section(finished_run: Path) -> None:
    for experiment in ("digits", "toy2d"):
        html = (finished_run / "data" / "08_reporting" / experiment / "report.html").read_text()
        for section in SECTION_IDS:
            assert f'id="{section}"' in html
        assert "data:image/png;base64," in html


def test_the_run_table_stacks_every_experiment_and_figures_are_drawn(finished_run: Path) -> None:
    run_table = pd.read_parquet(finished_run / "data" / "08_reporting" / "group_metrics.parquet")
    assert set(run_table["experiment"]) == {"digits", "toy2d"}
    figures = finished_run / "data" / "08_reporting" / "digits" / "figures"
    assert {"kept_by_layer.png", "accuracy_vs_budget.png", "mitigation_effect.png"} <= {p.name for p in figures.iterdir()}
    assert (finished_run / "data" / "08_reporting" / "toy2d" / "figures" / "decision_boundaries.png").exists()


def test_group_metrics_hold_every_model_of_every_cell(finished_run: Path) -> None:
    table = pd.read_parquet(finished_run / "data" / "08_reporting" / "digits" / "group_metrics.parquet")
    models = table.groupby(["cell", "variant"]).size()
    expected_cells = {f"{cell}_s{seed}" for seed in (0, 1) for cell in ("snl_b200", "random_b200", "deepreduce_c1")}
    assert {cell for cell, variant in models.index if variant == "mitigate"} == expected_cells
    assert set(models) == {10}  # one row per digit
    base_drop = table.loc[table["variant"] == "base", "relative_drop"]
    assert ((base_drop == 0) | base_drop.isna()).all()  # NaN where the tiny base model gets a group all wrong
    linearized = table[table["method"].isin(["snl", "random"])]
    assert (linearized["relu_count"] == 200).all()
    assert table["hessian_top_eig"].notna().all() and table["per_sample_grad_norm"].notna().all()


def test_deepreduce_criticality_ranks_stages_and_proposes_cullings(finished_run: Path) -> None:
    cell = finished_run / "data" / "07_model_output" / "digits" / "base_s0"
    ranking = pd.read_csv(cell / "criticality.csv")
    assert sorted(ranking["criticality_rank"]) == [1, 2] and list(ranking["relu_count"]) == [512, 256]
    proposals = pd.read_csv(cell / "culling_proposals.csv")
    assert list(proposals["budget"]) == [200]  # the sweep's SNL and random budget
    assert (proposals["relus_kept"].dropna() <= 200).all()


def test_linearized_models_keep_exactly_their_budget(finished_run: Path) -> None:
    for cell in ("snl_b200_s0", "random_b200_s1"):
        for variant in ("linearized", "finetune", "mitigate"):
            path = finished_run / "data" / "06_models" / "digits" / cell / f"{variant}_model.pt"
            assert relu_count(ModelArtifactDataset(str(path)).load().build()) == 200


def test_one_cell_runs_alone_on_cached_inputs(finished_run: Path) -> None:
    cell = finished_run / "data" / "06_models" / "digits" / "random_b200_s1"
    shutil.rmtree(cell)
    ran = _run(finished_run, namespaces=["digits.random_b200_s1"])
    assert ran and all(name.startswith("digits.random_b200_s1.") for name in ran)
    assert (cell / "mitigate_model.pt").exists()


def test_only_missing_outputs_reruns_only_the_missing_cell(finished_run: Path) -> None:
    (finished_run / "data" / "06_models" / "digits" / "snl_b200_s0" / "finetune_model.pt").unlink()
    ran = _run(finished_run, pipeline_names=["full"], only_missing_outputs=True)
    assert "digits.snl_b200_s0.finetune" in ran
    assert not [name for name in ran if ".snl_b200_s1." in name or ".base_s" in name or "toy2d." in name]


def test_the_notebook_runs_on_a_finished_run(finished_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    notebook = json.loads((PROJECT_ROOT / "notebooks" / "explore_run.ipynb").read_text())
    (finished_run / "notebooks").mkdir(exist_ok=True)
    monkeypatch.chdir(finished_run / "notebooks")
    namespace: dict[str, object] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]).replace("ENV = None", 'ENV = "test"')
            exec(compile(source, "explore_run.ipynb", "exec"), namespace)  # noqa: S102
    assert not namespace["effect"].empty
    assert set(namespace["predictions"]["group"]) == set(range(10))
