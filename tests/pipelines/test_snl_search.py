"""SNL's one search per seed on conf/test, through a real Kedro session: it writes every SNL cell
of the seed as a search for that cell's budget alone would, survives being killed, and leaves no
checkpoint behind."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import torch

from linearization_fairness.config import validate_run
from linearization_fairness.io import ModelArtifactDataset
from linearization_fairness.linearization import MaskSearch, Run, kept_by_layer, snl
from linearization_fairness.pipelines.common import split_tensors

# conf/test's search with two budgets, a smaller lambda_init and room for six epochs: conf/test's own
# lambda_init takes all 768 masks below the threshold within one epoch (its fifth), where every
# budget is reached at once. With this one the count goes 768 (epochs 1-4), 412, 120: 450 stops at
# epoch 5 and 120 at epoch 6.
SNL = {"budgets": [450, 120], "lambda_init": 1.0e-3, "train": {"epochs": 6}}
OVERLAY = {"experiments": {"digits": {"seeds": [0], "linearize": {"snl": SNL}}}}
SEARCH = "digits.snl_s0.search_snl"


def _resolved_snl(project_copy):
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=project_copy, env="test", runtime_params=OVERLAY) as session:
        return validate_run(session.load_context().config_loader["parameters"]).experiments["digits"].linearize.snl


def _read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as its CSV dataset stores it."""
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)))


def test_one_search_writes_each_cell_as_its_own_search_would_and_resumes_when_killed(run_kedro, project_copy, monkeypatch):
    end_epoch, epochs_run = MaskSearch.end_epoch, []

    def killed_in_epoch_6(self, model, epoch, metrics):
        if epoch == 6:
            raise RuntimeError("killed")
        return end_epoch(self, model, epoch, metrics)

    with monkeypatch.context() as patch:
        patch.setattr(MaskSearch, "end_epoch", killed_in_epoch_6)
        with pytest.raises(Exception, match="killed"):
            run_kedro(runtime_params=OVERLAY, pipeline_names=["full"], to_nodes=[SEARCH])
    checkpoint = project_copy / "data" / "test" / "06_models" / "checkpoints" / "digits" / "snl_s0" / "search_snl.ckpt"
    assert checkpoint.exists()

    def counted(self, model, epoch, metrics):
        epochs_run.append(epoch)
        return end_epoch(self, model, epoch, metrics)

    monkeypatch.setattr(MaskSearch, "end_epoch", counted)
    run_kedro(runtime_params=OVERLAY, pipeline_names=["full"], to_nodes=[SEARCH])
    assert epochs_run == [6]  # resumed after epoch 5, with 450's snapshot
    assert not checkpoint.exists() and not checkpoint.with_name(".search_snl.ckpt.made.json").exists()
    monkeypatch.undo()

    data = project_copy / "data" / "test"
    base = ModelArtifactDataset(str(data / "06_models" / "digits" / "base_s0" / "base_model.pt")).load().build()
    splits = dict(np.load(data / "05_model_input" / "digits" / "splits.npz", allow_pickle=False))
    run = Run(split_tensors(splits, "train"), split_tensors(splits, "val"), seed=0)
    settings = _resolved_snl(project_copy)
    stopped = []
    for budget in settings.budgets:
        alone = snl.linearize(base, budget, settings, run)
        cell = f"snl_b{budget}_s0"
        written = ModelArtifactDataset(str(data / "06_models" / "digits" / cell / "linearized_model.pt")).load()
        expected = alone.model.state_dict()
        assert written.state_dict.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(written.state_dict[key], value) if isinstance(value, torch.Tensor) else written.state_dict[key] == value, key
        assert (written.metadata["search"], written.metadata["reached_budget"]) == (alone.message, True)
        tables = data / "07_model_output" / "digits" / cell
        pd.testing.assert_frame_equal(pd.read_csv(tables / "kept_by_layer.csv"), _read_back(kept_by_layer(alone.model)), check_exact=True)
        history = pd.read_csv(tables / "search_history.csv").drop(columns="seconds")
        pd.testing.assert_frame_equal(history, _read_back(alone.history).drop(columns="seconds"), check_exact=True)
        stopped.append(len(history))
    assert stopped == [5, 6]
