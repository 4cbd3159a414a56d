from __future__ import annotations

import pandas as pd
import torch

from linearization_fairness.io import ModelArtifactDataset
from linearization_fairness.models import relu_count, total_relu_sites


def test_base_train_runs_alone_on_cached_data_prep(run_kedro, project_copy):
    run_kedro(pipeline_names=["data_prep"])
    run_kedro(pipeline_names=["base_train"])

    for seed in (0, 1):
        cell = project_copy / "data" / "06_models" / "digits" / f"base_s{seed}"
        artifact = ModelArtifactDataset(str(cell / "base_model.pt")).load()
        model = artifact.build()
        assert relu_count(model) == total_relu_sites(model) == artifact.metadata["relu_count"]
        assert artifact.metadata["seed"] == seed
        assert model(torch.zeros(3, *artifact.in_shape)).shape == (3, 10)
        history = pd.read_csv(project_copy / "data" / "07_model_output" / "digits" / f"base_s{seed}" / "base_history.csv")
        assert list(history["epoch"]) == [1, 2]
        assert (project_copy / "data" / "08_reporting" / "digits" / f"base_s{seed}" / "base_history_plot.png").exists()
    first, second = (
        ModelArtifactDataset(str(project_copy / "data" / "06_models" / "digits" / f"base_s{seed}" / "base_model.pt")).load()
        for seed in (0, 1)
    )
    assert not torch.equal(first.state_dict["conv1.weight"], second.state_dict["conv1.weight"])
    # A finished training leaves no checkpoint to resume from.
    assert not list((project_copy / "data" / "06_models").rglob("*.ckpt"))
