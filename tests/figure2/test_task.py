"""The Figure 2 task: rare minority in training, balanced validation and test, classes on their
side of the parabola, the same splits for the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from linearization_fairness.figure2 import TaskConfig, is_minority_region, make_task

SMALL = TaskConfig(train_majority=180, train_minority=20, val_per_class=30, test_per_class=40)


def test_the_minority_is_rare_in_training_and_validation_and_test_are_balanced() -> None:
    arrays = make_task(SMALL)
    assert np.bincount(arrays["train_y"]).tolist() == [180, 20]
    assert np.bincount(arrays["val_y"]).tolist() == [30, 30]
    assert np.bincount(arrays["test_y"]).tolist() == [40, 40]
    for split in ("train", "val", "test"):
        assert arrays[f"{split}_x"].dtype == np.float32 and arrays[f"{split}_x"].shape[1] == 2
        np.testing.assert_array_equal(arrays[f"{split}_group"], arrays[f"{split}_y"])


def test_every_point_lies_in_the_square_on_its_class_side_of_the_parabola() -> None:
    arrays = make_task(SMALL)
    for split in ("train", "val", "test"):
        points, labels = arrays[f"{split}_x"].astype(np.float64), arrays[f"{split}_y"]
        assert np.abs(points).max() <= 1.0
        np.testing.assert_array_equal(is_minority_region(points, SMALL), labels == 1)
    above = arrays["test_x"][arrays["test_y"] == 1]
    assert above[:, 1].min() > SMALL.offset  # the minority lives in the cap above the vertex


def test_the_splits_are_fixed_by_the_seed() -> None:
    first, again, other = make_task(SMALL), make_task(SMALL), make_task(SMALL.model_copy(update={"seed": 1}))
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["train_x"], other["train_x"])
    # no point is shared between the splits
    train = {tuple(point) for point in first["train_x"]}
    assert not train & {tuple(point) for point in first["test_x"]}


def test_a_minority_as_large_as_the_majority_is_refused() -> None:
    with pytest.raises(ValidationError, match="train_minority=200 must be below train_majority=200"):
        TaskConfig(train_majority=200, train_minority=200)
