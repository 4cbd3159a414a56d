"""`kedro plan`: the sweep's counts as configured, timings on the device it runs on, cached, and the
CSV written atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from kedro.config import OmegaConfigLoader

from linearization_fairness import atomic
from linearization_fairness.config import validate_run
from linearization_fairness.data import prepare
from linearization_fairness.plan import (
    PLAN_FILE,
    TIMINGS_FILE,
    Timer,
    evaluated_models,
    make_plan,
    makespan,
    split_sizes,
    trainings,
    write_csv,
)
from linearization_fairness.sweep import experiments_of
from linearization_fairness.training import resolve_device

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def experiments(env: str, only: str | None = None) -> list:
    loader = OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local", env=env)
    parameters = loader["parameters"]
    if only is not None:
        parameters = {**parameters, "experiments": {only: parameters["experiments"][only]}}
    return experiments_of(validate_run(parameters))


def raw_experiments(env: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "conf" / env / "parameters.yml").read_text())["experiments"]


def by_stage(experiment) -> dict:
    return {training.stage: (training.runs, training.epochs) for training in trainings(experiment)}


def test_the_test_configuration_counts_its_epochs_as_configured() -> None:
    raw = raw_experiments("test")
    digits, toy2d, _ = experiments("test")
    seeds, cells_per_seed = len(raw["digits"]["seeds"]), 3  # snl, random and deepreduce: one budget each
    assert by_stage(digits) == {
        "base_train": (seeds, raw["digits"]["base_train"]["epochs"]),
        # two stages in the [4, 8] ResNet, one short training each
        "criticality": (seeds * 2, raw["digits"]["linearize"]["deepreduce"]["criticality"]["train"]["epochs"]),
        "snl_search": (seeds, raw["digits"]["linearize"]["snl"]["train"]["epochs"]),  # one search per seed
        "finetune": (seeds * (cells_per_seed + 1), raw["digits"]["finetune"]["train"]["epochs"]),  # and the control
        "mitigate": (seeds * cells_per_seed, raw["digits"]["mitigate"]["train"]["epochs"]),
        "label_free": (seeds * cells_per_seed, raw["digits"]["label_free"]["train"]["epochs"]),
    }
    assert evaluated_models(digits) == seeds * (1 + 1 + 3 * cells_per_seed)
    assert by_stage(toy2d) == {"base_train": (1, 2), "finetune": (2, 2), "mitigate": (1, 2), "label_free": (1, 2)}


def test_the_paper_configuration_counts_its_epochs_as_configured() -> None:
    raw = raw_experiments("paper")
    for experiment in experiments("paper"):
        declared = raw[experiment.name]
        seeds = len(declared["seeds"])
        linearized = sum(len(method["budgets"]) for method in declared["linearize"].values())
        stages = by_stage(experiment)
        assert stages["base_train"] == (seeds, declared["base_train"]["epochs"]) == (10, 160)
        assert stages["snl_search"] == (seeds, declared["linearize"]["snl"]["train"]["epochs"]) == (10, 300)
        # conf/paper leaves the finetunes to SNL's recipe: 100 epochs
        assert stages["finetune"] == (seeds * (linearized + 1), 100)
        assert stages["mitigate"] == stages["label_free"] == (seeds * linearized, 100)
        assert "criticality" not in stages
        assert evaluated_models(experiment) == seeds * (2 + 3 * linearized)


def test_split_sizes_follow_data_prep_on_the_published_sizes_or_read_the_prepared_splits(tmp_path: Path) -> None:
    cifar10 = next(experiment for experiment in experiments("paper") if experiment.name == "cifar10_resnet18")
    published = split_sizes(cifar10, tmp_path)
    # 10% of each class's 5,000 held out; then 90% of classes 0-4 and 10% of classes 5-9 kept
    assert (published.train, published.val, published.source) == (5 * 4050 + 5 * 450, 5000, "published")
    assert published.test_per_group == (1000,) * 10

    folder = tmp_path / "05_model_input" / "cifar10_resnet18"
    folder.mkdir(parents=True)
    np.savez(folder / "splits.npz", train_y=np.zeros(7), val_y=np.zeros(3), test_group=np.array([0, 1, 1, 3]))
    assert split_sizes(cifar10, tmp_path).__dict__ == {"train": 7, "val": 3, "test_per_group": (1, 2, 1), "source": "prepared"}


def test_embedded_datasets_count_the_splits_data_prep_will_draw_rare_style_included(tmp_path: Path) -> None:
    for experiment in experiments("base"):
        prepared = prepare(experiment.config.data, tmp_path)
        sizes = split_sizes(experiment, tmp_path)
        test_groups = np.bincount(prepared.splits["test"].group)
        assert (sizes.train, sizes.val, sizes.test_per_group) == (
            len(prepared.splits["train"]), len(prepared.splits["val"]), tuple(int(n) for n in test_groups if n)
        ), experiment.name
    styled = next(experiment for experiment in experiments("base") if experiment.name == "digits_styled")
    assert split_sizes(styled, tmp_path).test_per_group[1] > 0 and len(split_sizes(styled, tmp_path).test_per_group) == 2


def test_a_chain_takes_its_sum_and_packing_without_a_measured_gain_saves_nothing() -> None:
    chain = [(1.0, []), (2.0, [0]), (3.0, [1])]
    assert makespan(chain, slots=8) == 6.0
    independent = [(1.0, [])] * 8
    assert makespan(independent, slots=1) == 8.0
    assert makespan(independent, slots=4) == 2.0
    # 2 GPUs with 4 tasks each, every task 4 times slower: what 2 GPUs give one task at a time.
    assert makespan(independent, slots=8, slowdown=4.0) == makespan(independent, slots=2)


def test_timings_run_on_the_given_device_and_are_reused_from_the_cache(tmp_path: Path) -> None:
    toy2d = experiments("test", only="toy2d")
    cache = tmp_path / "timings.json"
    first = Timer(cache, torch.device("cpu"))
    plan = make_plan(toy2d, tmp_path, first)
    # one batch size's training step (for the forward pass and the four stages), and the evaluation
    assert (first.measured, first.reused) == (2, 4)
    assert plan.device.startswith("cpu")
    keys = [json.loads(key) for key in json.loads(cache.read_text())]
    assert {key["device"] for key in keys} == {plan.device} and {key["torch"] for key in keys} == {torch.__version__}

    second = Timer(cache, torch.device("cpu"))
    again = make_plan(toy2d, tmp_path, second)
    assert (second.measured, second.reused) == (0, 6)
    assert [row.seconds_per_run for row in again.estimates] == [row.seconds_per_run for row in plan.estimates]
    assert plan.device_hours == pytest.approx(sum(seconds for seconds, _ in plan.tasks) / 3600)


def test_the_csv_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("the previous plan\n")
    table = pd.DataFrame({"experiment": ["toy2d"], "device_hours": [0.5]})

    def crash(temporary: Path, target: Path) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(atomic, "replace_durably", crash)
        with pytest.raises(OSError, match="disk full"):
            write_csv(table, path)
    assert path.read_text() == "the previous plan\n"
    assert list(tmp_path.iterdir()) == [path], "no temporary file is left behind"

    write_csv(table, path)
    pd.testing.assert_frame_equal(pd.read_csv(path), table)


def test_kedro_plan_prints_the_plan_writes_the_csv_and_times_nothing_the_second_time(project_copy: Path) -> None:
    parameters = project_copy / "conf" / "test" / "parameters.yml"
    declared = yaml.safe_load(parameters.read_text())
    parameters.write_text(yaml.safe_dump({"experiments": {"toy2d": declared["experiments"]["toy2d"]}}))
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}

    def plan() -> subprocess.CompletedProcess:
        command = [str(kedro), "plan", "--env", "test", "--gpus", "2"]
        return subprocess.run(command, cwd=project_copy, env=environment, capture_output=True, text=True, timeout=300)

    here = resolve_device("auto").type  # cpu on a machine without a GPU
    first = plan()
    assert first.returncode == 0, first.stderr
    assert f"Timed on {here}" in first.stdout and "On 2 GPU(s)" in first.stdout and "2 measured now" in first.stdout
    table = pd.read_csv(project_copy / "data" / "test" / PLAN_FILE)
    assert set(table.loc[table["stage"] == "base_train", "epochs"]) == {2}
    assert table["device"].str.startswith(here).all()
    assert (project_copy / "data" / "test" / TIMINGS_FILE).is_file()
    second = plan()
    assert second.returncode == 0, second.stderr
    assert "0 measured now, 6 reused" in second.stdout
