"""The paper's configuration keeps running end to end: conf/paper cut down to one experiment
(cifar10_resnet18), one seed, one budget per method and one epoch per stage, on a few hundred
images in the real CIFAR-10 format, goes through every stage on the CPU, so that a first GPU run
does not discover a broken paper path. Everything else (ResNet18, its budgets, the recipes with
`compile: true`, the data's unbalancing) is conf/paper's own."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from linearization_fairness.finetuning.variants import VARIANTS
from linearization_fairness.io import ModelArtifactDataset
from linearization_fairness.models import relu_count
from tests.factories import copy_project

EXPERIMENT = "cifar10_resnet18"


def _cifar10(folder: Path, per_class_per_batch: int, test_per_class: int) -> None:
    """Random images in the official python layout: five training batches, a test batch, metadata."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)

    def batch(path: Path, per_class: int) -> None:
        labels = [label for label in range(10) for _ in range(per_class)]
        data = rng.integers(0, 256, size=(len(labels), 3072), dtype=np.uint8)
        with open(path, "wb") as handle:
            pickle.dump({b"batch_label": b"synthetic", b"labels": labels, b"data": data}, handle)

    for number in range(1, 6):
        batch(folder / f"data_batch_{number}", per_class_per_batch)
    batch(folder / "test_batch", test_per_class)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({b"label_names": [f"class{label}".encode() for label in range(10)], b"num_vis": 3072}, handle)


def _cut_down(parameters: dict) -> dict:
    experiment = parameters["experiments"][EXPERIMENT]
    experiment["seeds"] = experiment["seeds"][:1]
    experiment["base_train"]["epochs"] = 1
    experiment["base_train"]["milestones"] = []
    experiment["base_train"]["schedule"] = "constant"
    # SNL and DeepReDuce on ResNet18 are the paper's own paths; the random control runs the same
    # finetune and evaluate code, already covered on conf/test, at a fifth of this test's time.
    experiment["linearize"] = {method: experiment["linearize"][method] for method in ("snl", "deepreduce")}
    for settings in experiment["linearize"].values():
        settings["budgets"] = settings["budgets"][:1]
    experiment["linearize"]["snl"]["train"]["epochs"] = 1
    # Every registered variant: one left at its recipe's 100 epochs made this test 15 minutes long.
    for variant in VARIANTS:
        experiment[variant] = {**experiment.get(variant, {}), "train": {**experiment.get(variant, {}).get("train", {}), "epochs": 1}}
    # One power iteration: the Hessian is the slowest measurement on a CPU, and any count runs the same code.
    experiment["evaluate"]["hessian_iters"] = 1
    return {**parameters, "experiments": {EXPERIMENT: experiment}}


def test_the_paper_configuration_runs_every_stage_on_the_cpu(tmp_path: Path) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    copy_project(tmp_path)
    paper = tmp_path / "conf" / "paper" / "parameters.yml"
    paper.write_text(yaml.safe_dump(_cut_down(yaml.safe_load(paper.read_text()))))
    _cifar10(tmp_path / "data" / "01_raw" / "cifar-10-batches-py", per_class_per_batch=4, test_per_class=3)

    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        bootstrap_project(tmp_path)
        with KedroSession.create(project_path=tmp_path, env="paper") as session:
            session.run(pipeline_names=["full"])
    finally:
        os.chdir(previous)

    outputs = tmp_path / "data" / "paper"
    groups = pd.read_parquet(outputs / "08_reporting" / EXPERIMENT / "group_metrics.parquet")
    assert set(groups["method"]) == {"base", "finetune_only", "snl", "deepreduce"}
    assert set(groups.loc[groups["method"] == "snl", "relus_kept"]) == {15000}
    snl = ModelArtifactDataset(str(outputs / "06_models" / EXPERIMENT / "snl_b15000_s0" / "mitigate_model.pt")).load()
    assert relu_count(snl.build()) == 15000
    assert (outputs / "08_reporting" / EXPERIMENT / "report.html").stat().st_size > 0
