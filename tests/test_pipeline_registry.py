"""The sweep declared in conf and the pipelines Kedro runs and draws are the same set of cells."""

from __future__ import annotations

import pytest

from linearization_fairness.config import validate_experiment
from linearization_fairness.pipeline_registry import STAGES
from linearization_fairness.sweep import Cell, budget_label, cells_of


def _session_pipelines(project_copy, env):
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project_copy)
    with KedroSession.create(project_path=project_copy, env=env) as session:
        context = session.load_context()
        return dict(pipelines), context.config_loader["parameters"]


@pytest.mark.parametrize("env", ["base", "test", "paper"])
def test_declared_cells_are_the_registered_namespaces(project_copy, env):
    registered, parameters = _session_pipelines(project_copy, env)
    declared = set()
    for name, raw in parameters["experiments"].items():
        declared |= {f"{name}.{cell.name}" for cell in cells_of(name, validate_experiment(name, raw))}
        assert set(raw["cells"]) == {cell.split(".", 1)[1] for cell in declared if cell.startswith(f"{name}.")}
    namespaces = {node.namespace for node in registered["full"].nodes if (node.namespace or "").count(".") == 1}
    assert namespaces == declared
    assert set(STAGES) | {"full", "__default__"} == set(registered)


def test_a_conf_edit_changes_the_registered_cells(project_copy):
    parameters = project_copy / "conf" / "local" / "parameters.yml"
    parameters.write_text(
        "experiments:\n  tiny:\n    data: {dataset: digits}\n    seeds: [3]\n"
        "    linearize:\n      random: {budgets: [0.25, 100]}\n"
    )
    registered, _ = _session_pipelines(project_copy, "local")
    namespaces = {node.namespace for node in registered["full"].nodes if (node.namespace or "").count(".") == 1}
    assert namespaces == {"tiny.base_s3", "tiny.finetune_only_s3", "tiny.random_p25_s3", "tiny.random_b100_s3"}


def test_budget_labels_read_well_and_never_contain_dots():
    assert budget_label(2000) == "b2000"
    assert budget_label(0.025) == "p2_5"
    assert Cell(experiment="x", method="snl", seed=1, budget=2000).name == "snl_b2000_s1"
    assert Cell(experiment="x", method="deepreduce", seed=0, variant="14t").name == "deepreduce_c14t_s0"


@pytest.mark.parametrize(
    ("linearize", "message"),
    [
        ({"snl": {"budgets": [999999]}}, "above the model's"),
        ({"deepreduce": {"variants": ["4"]}}, "stages"),
        ({"random": {"budgets": [0]}}, "neither a ReLU count"),
        ({"dropout": {}}, "unknown parameter"),
    ],
)
def test_bad_sweep_fails_with_one_line(linearize, message):
    from linearization_fairness.config import ConfigError

    with pytest.raises(ConfigError) as error:
        validate_experiment("digits", {"data": {"dataset": "digits"}, "linearize": linearize})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_empty_seed_list_is_refused():
    from linearization_fairness.config import ConfigError

    with pytest.raises(ConfigError, match="seeds is empty"):
        validate_experiment("digits", {"data": {"dataset": "digits"}, "seeds": []})


@pytest.mark.parametrize("env", ["base", "test", "paper"])
def test_every_artifact_of_every_cell_is_persisted(project_copy, env):
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession

    _session_pipelines(project_copy, env)
    with KedroSession.create(project_path=project_copy, env=env) as session:
        catalog = session.load_context().catalog
        datasets = [name for name in pipelines["full"].datasets() if not name.startswith("params:")]
        kinds = {name: type(catalog.get(name)).__name__ for name in datasets}
    assert "MemoryDataset" not in set(kinds.values()), [name for name, kind in kinds.items() if kind == "MemoryDataset"]
