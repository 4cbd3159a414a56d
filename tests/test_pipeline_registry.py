"""The sweep declared in conf and the pipelines Kedro runs and draws are the same set of cells."""

from __future__ import annotations

import pytest

from linearization_fairness.config import ConfigError, validate_run
from linearization_fairness.pipeline_registry import STAGES
from linearization_fairness.sweep import cells_of, experiments_of, searches_of


def _session(project_copy, env):
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project_copy)
    with KedroSession.create(project_path=project_copy, env=env) as session:
        context = session.load_context()
        return dict(pipelines), context


def _cell_namespaces(pipeline) -> set[str]:
    return {node.namespace for node in pipeline.nodes if (node.namespace or "").count(".") == 1}


@pytest.mark.parametrize("env", ["base", "test", "paper"])
def test_declared_cells_are_the_registered_namespaces(project_copy, env):
    registered, context = _session(project_copy, env)
    run = validate_run(context.config_loader["parameters"])
    declared = {
        f"{experiment.name}.{part.name}" for experiment in experiments_of(run) for part in cells_of(experiment) + searches_of(experiment)
    }
    # The Figure 2 study, where the env declares it, is a pipeline of its own with one namespace per seed.
    study = {f"figure2.s{seed}" for seed in run.figure2.seeds} if run.figure2 is not None else set()
    assert _cell_namespaces(registered["full"]) == declared | study
    assert set(STAGES) | {"full", "__default__"} | ({"figure2"} if study else set()) == set(registered)


def test_a_conf_edit_changes_the_registered_cells(project_copy):
    parameters = project_copy / "conf" / "local" / "parameters.yml"
    parameters.write_text(
        "experiments:\n  tiny:\n    data: {dataset: digits}\n    seeds: [3]\n"
        "    linearize:\n      random: {budgets: [0.25, 100]}\n      deepreduce: {budgets: [1t]}\n"
    )
    registered, _ = _session(project_copy, "local")
    # conf/local is merged over conf/base: digits stays, tiny is added.
    assert {name for name in _cell_namespaces(registered["full"]) if name.startswith("tiny.")} == {
        "tiny.base_s3", "tiny.finetune_only_s3", "tiny.random_p25_s3", "tiny.random_b100_s3", "tiny.deepreduce_c1t_s3",
    }  # fmt: skip


def test_every_node_is_bound_to_its_cell_and_reads_no_parameters(project_copy):
    registered, _ = _session(project_copy, "test")
    nodes = registered["full"].nodes
    assert not [name for node in nodes for name in node.inputs if name.startswith("params:")]
    snl = next(node for node in nodes if node.name == "digits.snl_s1.search_snl")
    search = snl.func.keywords["search"]
    assert (search.experiment.name, search.method, search.seed, search.name) == ("digits", "snl", 1, "snl_s1")
    assert [(cell.budget, cell.name) for cell in search.cells] == [(200, "snl_b200_s1")]
    assert search.settings.train.epochs == 4  # conf/test's search length, resolved
    random = next(node for node in nodes if node.name == "digits.random_b200_s1.linearize_random")
    cell = random.func.keywords["cell"]
    assert (cell.experiment.name, cell.method, cell.seed, cell.budget, cell.name) == ("digits", "random", 1, 200, "random_b200_s1")


def _digits(**sections) -> dict:
    return {"experiments": {"digits": {"data": {"dataset": "digits"}, **sections}}}


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"linearize": {"snl": {"budgets": [999999]}}}, "experiments.digits.linearize.snl.budgets.0=999999: 999999 is above the model's"),
        ({"linearize": {"deepreduce": {"budgets": ["4"]}}}, "experiments.digits.linearize.deepreduce.budgets.0='4': '4' culls stages [4]"),
        ({"linearize": {"random": {"budgets": [0]}}}, "experiments.digits.linearize.random.budgets.0=0: 0 is neither a ReLU count"),
        ({"linearize": {"random": {"budgets": [0.25, 896]}}}, "0.25 and 896 both keep 896"),
        ({"linearize": {"dropout": {}}}, "experiments.digits.linearize.dropout: unknown parameter"),
        ({"seeds": []}, "experiments.digits.seeds: List should have at least 1 item"),
        ({"base_train": {"lr": 0.0}}, "experiments.digits.base_train.lr=0.0: Input should be greater than 0"),
        ({"model": {"arch": "resnet18", "widths": [4]}}, "experiments.digits.model.widths: unknown parameter"),
        ({"mitigate": {"update": "step"}}, "experiments.digits.mitigate.update='step': Input should be 'epoch' or 'batch'"),
        ({"finetune_variants": ["finetune", "fancy"]}, "experiments.digits.finetune_variants: unknown finetune variant(s) ['fancy']"),
        ({"finetune_variants": ["mitigate"]}, "experiments.digits.finetune_variants: ['mitigate'] leaves out 'finetune'"),
        ({"finetune_variants": ["finetune", "finetune"]}, "experiments.digits.finetune_variants: ['finetune', 'finetune'] lists a variant twice"),
    ],
)
def test_a_bad_parameter_fails_with_one_line_naming_its_place_once(sections, message):
    with pytest.raises(ConfigError) as error:
        validate_run(_digits(**sections))
    text = str(error.value)
    assert message in text and "\n" not in text
    place = message.split("=")[0].split(":")[0]
    assert text.count(place.removeprefix("experiments.digits.")) == 1


@pytest.mark.parametrize("env", ["base", "test", "paper"])
def test_every_env_dumps_and_validates_back_to_the_same_config(project_copy, env):
    _, context = _session(project_copy, env)
    run = validate_run(context.config_loader["parameters"])
    assert validate_run(run.model_dump()) == run
    assert validate_run(run.model_dump(mode="json")) == run


def test_resolved_config_fills_every_stage_recipe():
    run = validate_run(_digits(linearize={"snl": {"budgets": [100], "train": {"batch_size": 32}}}, finetune={"train": {"epochs": 3}}))
    experiment = run.experiments["digits"]
    # A partial `train:` block falls back to the stage's recipe, not to the base-training defaults.
    assert (experiment.linearize.snl.train.optimizer, experiment.linearize.snl.train.lr) == ("adam", 1e-3)
    assert experiment.linearize.snl.train.batch_size == 32
    assert (experiment.finetune.train.lr, experiment.finetune.train.epochs) == (1e-3, 3)
    assert experiment.mitigate.train.epochs == 100 and experiment.model.arch == "resnet"


def test_one_validation_per_experiment_per_run(project_copy, monkeypatch):
    """A whole `kedro run` (session, pipeline registry, hooks, every node) validates each
    experiment once: its start-up check against the model runs once per experiment."""
    import linearization_fairness.config as config
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    checked = []
    original = config.check_against_model
    monkeypatch.setattr(config, "check_against_model", lambda *args: checked.append(args) or original(*args))
    bootstrap_project(project_copy)
    with KedroSession.create(project_path=project_copy, env="test") as session:
        session.run(pipeline_names=["data_prep"])
    assert len(checked) == 3  # conf/test declares digits, toy2d and styled


def test_a_local_override_changes_one_setting_and_keeps_the_rest(project_copy):
    (project_copy / "conf" / "local" / "parameters.yml").write_text(
        "experiments:\n  digits:\n    linearize:\n      random: {budgets: [100]}\n"
    )
    registered, context = _session(project_copy, "local")
    digits = validate_run(context.config_loader["parameters"]).experiments["digits"]
    assert digits.linearize.random.budgets == [100]
    assert digits.linearize.snl.budgets == [750, 250] and digits.seeds == [0, 1, 2]  # from conf/base
    assert "digits.random_b100_s2" in _cell_namespaces(registered["full"])


def test_outputs_of_different_environments_never_collide(project_copy):
    paths = {}
    for env in ("base", "test", "paper"):
        _, context = _session(project_copy, env)
        names = ["digits.report", "digits.base_s0.base_model"] if env != "paper" else ["utkface_age_resnet18.report"]
        paths[env] = {str(context.catalog.get(name)._filepath).removeprefix(f"{project_copy}/") for name in names}
        paths[env].add(context.config_loader["parameters"]["checkpoint_dir"])
    assert all(path.startswith("data/test/") for path in paths["test"])
    assert all(path.startswith("data/paper/") for path in paths["paper"])
    assert not paths["base"] & paths["test"] and all(not path.startswith(("data/test", "data/paper")) for path in paths["base"])
