from __future__ import annotations

import shutil

import pandas as pd
import pytest
import torch

from linearization_fairness.io import ModelArtifactDataset
from linearization_fairness.models import relu_count, total_relu_sites


def test_base_train_runs_alone_on_cached_data_prep(run_kedro, project_copy):
    run_kedro(pipeline_names=["data_prep"])
    run_kedro(pipeline_names=["base_train"])

    for seed in (0, 1):
        cell = project_copy / "data" / "test" / "06_models" / "digits" / f"base_s{seed}"
        artifact = ModelArtifactDataset(str(cell / "base_model.pt")).load()
        model = artifact.build()
        assert relu_count(model) == total_relu_sites(model) == artifact.metadata["relu_count"]
        assert artifact.metadata["seed"] == seed
        assert model(torch.zeros(3, *artifact.in_shape)).shape == (3, 10)
        history = pd.read_csv(project_copy / "data" / "test" / "07_model_output" / "digits" / f"base_s{seed}" / "base_history.csv")
        assert list(history["epoch"]) == [1, 2]
        assert (project_copy / "data" / "test" / "08_reporting" / "digits" / f"base_s{seed}" / "base_history_plot.png").exists()
    first, second = (
        ModelArtifactDataset(str(project_copy / "data" / "test" / "06_models" / "digits" / f"base_s{seed}" / "base_model.pt")).load()
        for seed in (0, 1)
    )
    assert not torch.equal(first.state_dict["conv1.weight"], second.state_dict["conv1.weight"])
    # A finished training leaves no checkpoint to resume from.
    assert not list((project_copy / "data" / "test" / "06_models").rglob("*.ckpt"))


def test_a_crash_while_saving_the_model_resumes_the_finished_training(run_kedro, project_copy, monkeypatch):
    import linearization_fairness.training.engine as engine

    models = project_copy / "data" / "test" / "06_models"
    run_kedro(pipeline_names=["data_prep", "base_train"])
    uninterrupted = ModelArtifactDataset(str(models / "digits" / "base_s0" / "base_model.pt")).load()
    shutil.rmtree(models)

    def disk_full(self, data):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(ModelArtifactDataset, "save", disk_full)
        with pytest.raises(Exception, match="disk full"):
            run_kedro(pipeline_names=["base_train"])
    assert list(models.rglob("train_base_model.ckpt")), "the finished training must stay checkpointed"

    def no_training(*args, **kwargs):
        raise AssertionError("an epoch was trained again")

    monkeypatch.setattr(engine, "_train_epoch", no_training)
    run_kedro(pipeline_names=["base_train"], node_names=["digits.base_s0.train_base_model"])
    resumed = ModelArtifactDataset(str(models / "digits" / "base_s0" / "base_model.pt")).load()
    assert all(torch.equal(resumed.state_dict[key], value) for key, value in uninterrupted.state_dict.items() if isinstance(value, torch.Tensor))
    assert not list(models.rglob("train_base_model.ckpt"))


def test_a_checkpoint_left_under_other_data_settings_is_not_resumed(run_kedro, project_copy, monkeypatch):
    import linearization_fairness.training.engine as engine

    run_kedro(pipeline_names=["data_prep"])
    epochs = []

    def killed_in_epoch_two(*args, **kwargs):
        epochs.append(1)
        if len(epochs) == 2:
            raise RuntimeError("killed")
        return original(*args, **kwargs)

    original = engine._train_epoch
    with monkeypatch.context() as patch:
        patch.setattr(engine, "_train_epoch", killed_in_epoch_two)
        with pytest.raises(Exception, match="killed"):
            run_kedro(pipeline_names=["base_train"], node_names=["digits.base_s0.train_base_model"])
    checkpoint = project_copy / "data" / "test" / "06_models" / "checkpoints" / "digits" / "base_s0" / "train_base_model.ckpt"
    assert checkpoint.exists()

    def resume(*args, **kwargs):
        raise AssertionError("resumed a checkpoint made from other splits")

    monkeypatch.setattr(engine, "_resume", resume)
    new_data = {"experiments": {"digits": {"data": {"seed": 1}}}}
    run_kedro(runtime_params=new_data, node_names=["digits.prepare_data", "digits.base_s0.train_base_model"])
    history = pd.read_csv(project_copy / "data" / "test" / "07_model_output" / "digits" / "base_s0" / "base_history.csv")
    assert list(history["epoch"]) == [1, 2] and not checkpoint.exists()
