from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def test_data_prep_writes_splits_info_and_group_statistics(run_kedro, project_copy):
    run_kedro(pipeline_names=["data_prep"])

    for experiment in ("digits", "toy2d"):
        folder = project_copy / "data" / "test" / "05_model_input" / experiment
        with np.load(folder / "splits.npz", allow_pickle=False) as arrays:
            assert {"train_x", "val_x", "test_x", "train_group"} <= set(arrays.files)
            train_index, test_index = arrays["train_index"], arrays["test_index"]
        assert not set(train_index) & set(test_index)
        info = json.loads((folder / "data_info.json").read_text())
        stats = pd.read_csv(project_copy / "data" / "test" / "08_reporting" / experiment / "group_statistics.csv")
        assert set(stats["split"]) == {"train", "val", "test"}
        assert len(stats) == 3 * len(info["group_names"])
        per_label = pd.read_csv(project_copy / "data" / "test" / "08_reporting" / experiment / "group_label_statistics.csv")
        assert len(per_label) == 3 * len(info["group_names"]) * len(info["class_names"])

    digits_stats = pd.read_csv(project_copy / "data" / "test" / "08_reporting" / "digits" / "group_statistics.csv")
    train = digits_stats[digits_stats["split"] == "train"].set_index("group_id")["count"]
    assert train.loc[[5, 6, 7, 8, 9]].sum() < train.loc[[0, 1, 2, 3, 4]].sum() / 3


def test_bad_parameter_fails_before_any_node_with_one_line(run_kedro, project_copy):
    with pytest.raises(Exception) as error:
        run_kedro(runtime_params={"experiments": {"digits": {"data": {"dataset": "mnist"}}}}, pipeline_names=["data_prep"])
    message = str(error.value)
    assert "mnist" in message and "digits" in message and "cifar10" in message
    assert not (project_copy / "data" / "test" / "05_model_input").exists() or not any(
        (project_copy / "data" / "test" / "05_model_input").rglob("*.npz")
    )


def test_missing_raw_data_names_path_files_and_download(run_kedro, project_copy):
    (project_copy / "conf" / "local" / "parameters.yml").write_text(
        "experiments:\n  cifar:\n    data:\n      dataset: cifar10\n"
    )
    with pytest.raises(FileNotFoundError) as error:
        run_kedro(env="local", pipeline_names=["data_prep"])
    message = str(error.value)
    assert "cifar-10-batches-py" in message and "download" in message
    assert not (project_copy / "data" / "05_model_input" / "cifar").exists()
