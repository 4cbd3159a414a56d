from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from linearization_fairness.data import DataConfig, PreparedData, group_statistics, prepare

MINORITY = [5, 6, 7, 8, 9]


def class_counts(prepared: PreparedData, split: str) -> np.ndarray:
    return np.bincount(prepared.splits[split].y, minlength=prepared.info["num_classes"])


@pytest.fixture(scope="module")
def digits() -> PreparedData:
    return prepare(DataConfig(dataset="digits", seed=1), Path("unused"))


def test_digits_splits_have_the_documented_types_and_shapes(digits):
    for split in digits.splits.values():
        assert split.x.dtype == np.float32 and split.x.shape[1:] == (1, 8, 8)
        assert split.y.dtype == split.group.dtype == split.index.dtype == np.int64
        assert np.array_equal(split.group, split.y)
    assert digits.info["group_names"][7] == "digit 7"
    assert digits.info["input_shape"] == [1, 8, 8] and digits.info["num_classes"] == 10


def test_digits_train_is_unbalanced_and_val_test_stay_stratified(digits):
    train, test = class_counts(digits, "train"), class_counts(digits, "test")
    assert train[MINORITY].max() <= 0.1 * train[:5].min() + 1
    assert test.max() - test.min() <= 2  # digits has 174..183 images per class; test takes 25% of each
    assert abs(len(digits.splits["test"]) - 0.25 * 1797) <= 10
    assert abs(len(digits.splits["val"]) - 0.1 * 1797) <= 10


def test_splits_never_share_a_source_sample(digits):
    indices = [set(split.index.tolist()) for split in digits.splits.values()]
    assert sum(map(len, indices)) == len(set().union(*indices))


def test_normalisation_statistics_come_from_train_only(digits):
    train_x = digits.splits["train"].x
    assert abs(train_x.mean()) < 1e-5 and abs(train_x.std() - 1.0) < 1e-4
    assert abs(digits.splits["test"].x.mean()) > 1e-3
    mean, std = digits.info["normalisation_mean"][0], digits.info["normalisation_std"][0]
    raw_test = digits.splits["test"].x * std + mean
    assert raw_test.min() > -1e-5 and raw_test.max() < 1 + 1e-5


def test_same_config_gives_identical_arrays_and_another_seed_does_not(digits):
    again = prepare(DataConfig(dataset="digits", seed=1), Path("unused")).to_arrays()
    other = prepare(DataConfig(dataset="digits", seed=2), Path("unused")).to_arrays()
    arrays = digits.to_arrays()
    assert all(np.array_equal(arrays[key], again[key]) for key in arrays)
    assert not np.array_equal(arrays["test_index"], other["test_index"])


def test_unbalance_test_applies_the_keep_fractions_to_val_and_test():
    config = DataConfig(dataset="digits", majority_keep_fraction=0.5, unbalance_test=True)
    prepared = prepare(config, Path("unused"))
    for split in ("train", "val", "test"):
        counts = class_counts(prepared, split)
        assert counts[MINORITY].sum() < 0.3 * counts[:5].sum()


def test_no_minority_classes_means_no_subsampling():
    config = DataConfig(dataset="digits", minority_classes=[], majority_keep_fraction=0.5)
    balanced = prepare(config, Path("."))
    total = sum(len(split) for split in balanced.splits.values())
    assert total == 1797


def test_arrays_round_trip_through_npz_without_pickle(digits, tmp_path):
    arrays = digits.to_arrays()
    np.savez(tmp_path / "splits.npz", **arrays)
    (tmp_path / "info.json").write_text(json.dumps(digits.info))
    with np.load(tmp_path / "splits.npz", allow_pickle=False) as archive:
        restored = dict(archive)
    assert json.loads((tmp_path / "info.json").read_text()) == digits.info
    assert sorted(restored) == sorted(f"{name}_{field}" for name in digits.splits for field in ("x", "y", "group", "index"))
    for name, split in digits.splits.items():
        for field in ("x", "y", "group", "index"):
            assert np.array_equal(getattr(split, field), restored[f"{name}_{field}"])


def test_group_statistics_has_a_row_per_split_and_group_including_empty_ones():
    config = DataConfig(dataset="toy2d", toy2d_majority_size=40, toy2d_minority_size=2, test_fraction=0.2)
    stats = group_statistics(prepare(config, Path(".")))
    assert list(stats.columns) == ["split", "group_id", "group_name", "count", "share"]
    assert len(stats) == 6
    val = stats[stats["split"] == "val"].set_index("group_name")
    assert val.loc["minority", "count"] == 0 and val.loc["minority", "share"] == 0.0
    for _, rows in stats.groupby("split"):
        assert rows["share"].sum() == pytest.approx(1.0)


def test_toy2d_needs_a_curved_boundary_and_follows_its_sizes():
    config = DataConfig(dataset="toy2d", toy2d_majority_size=300, toy2d_minority_size=60, toy2d_noise=0.0)
    prepared = prepare(config, Path("."))
    assert prepared.info["group_names"] == ["majority", "minority"]
    counts = sum(class_counts(prepared, split) for split in ("train", "val", "test"))
    assert counts.tolist() == [300, 60]
    train = prepared.splits["train"]
    mean, std = np.array(prepared.info["normalisation_mean"]), np.array(prepared.info["normalisation_std"])
    radius = np.hypot(*(train.x * std + mean).T)
    # without noise the minority lies strictly inside the disk that the majority surrounds
    assert radius[train.y == 1].max() < radius[train.y == 0].min()
