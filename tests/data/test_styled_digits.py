"""digits_styled: the digits in two styles, the style being the protected group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearization_fairness.data import DataConfig, group_label_statistics, group_statistics, prepare
from linearization_fairness.data.digits import DIGITS_MAX_LEVEL, load_digits_source

CONFIG = DataConfig(dataset="digits_styled", val_fraction=0.15, test_fraction=0.25)


@pytest.fixture(scope="module")
def prepared():
    return prepare(CONFIG, Path("unused"))


def _raw(split, info) -> np.ndarray:
    mean, std = np.array(info["normalisation_mean"]), np.array(info["normalisation_std"])
    return (split.x * std[None, :, None, None] + mean[None, :, None, None]) * DIGITS_MAX_LEVEL


def test_the_style_is_the_group_not_the_label_and_is_rare_in_train_only(prepared):
    assert (CONFIG.target, CONFIG.group, CONFIG.group_is_label, CONFIG.minority_groups) == ("digit", "style", False, [1])
    assert prepared.info["group_names"] == ["ink on white", "negative"] and len(prepared.info["class_names"]) == 10
    train, test = prepared.splits["train"], prepared.splits["test"]
    assert 0.07 < train.group.mean() < 0.11  # 10% of the negatives kept: about 9% of train
    for split in (train, test):  # every digit in both styles
        assert (np.bincount(split.y * 2 + split.group, minlength=20) > 0).all()
    per_class_and_style = np.bincount(test.y * 2 + test.group, minlength=20).reshape(10, 2)
    assert (abs(per_class_and_style[:, 0] - per_class_and_style[:, 1]) <= 1).all()  # balanced in test
    assert 0.48 < prepared.splits["val"].group.mean() < 0.52


def test_a_negative_keeps_the_strokes_of_its_digit(prepared):
    images = load_digits_source().x
    for split in prepared.splits.values():
        raw = _raw(split, prepared.info)
        expected = np.where(split.group[:, None, None, None] == 1, DIGITS_MAX_LEVEL - images[split.index], images[split.index])
        np.testing.assert_allclose(raw, expected, atol=1e-4)


def test_styles_are_drawn_by_the_seed(prepared):
    again = prepare(CONFIG, Path("unused"))
    for name, split in prepared.splits.items():
        assert np.array_equal(split.x, again.splits[name].x) and np.array_equal(split.group, again.splits[name].group)
    other = prepare(CONFIG.model_copy(update={"seed": 1}), Path("unused"))
    styles = {index: style for index, style in zip(other.splits["test"].index, other.splits["test"].group)}
    ours = {index: style for index, style in zip(prepared.splits["test"].index, prepared.splits["test"].group)}
    shared = ours.keys() & styles.keys()
    assert any(ours[index] != styles[index] for index in shared)


def test_the_digit_can_be_the_group_instead():
    config = DataConfig(dataset="digits_styled", group="digit", minority_groups=[])
    assert config.group_is_label and config.num_groups == 10
    train = prepare(config, Path("unused")).splits["train"]
    assert np.array_equal(train.group, train.y)


def test_group_label_statistics_count_each_style_per_digit_and_split(prepared):
    table = group_label_statistics(prepared)
    assert len(table) == 3 * 2 * 10  # every (split, style, digit), empty ones too
    train = prepared.splits["train"]
    negatives = table[(table["split"] == "train") & (table["group_name"] == "negative")].set_index("label")
    assert negatives["count"].tolist() == np.bincount(train.y[train.group == 1], minlength=10).tolist()
    assert negatives["class_name"].tolist() == prepared.info["class_names"]
    np.testing.assert_allclose(table.groupby(["split", "group_id"])["share_of_group"].sum(), 1.0)
    statistics = group_statistics(prepared).set_index(["split", "group_id"])["count"]
    assert table.groupby(["split", "group_id"])["count"].sum().sort_index().tolist() == statistics.sort_index().tolist()
