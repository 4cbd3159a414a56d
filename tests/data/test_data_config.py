from __future__ import annotations

import pytest
from pydantic import ValidationError

from linearization_fairness.data import DATASETS, DataConfig


def error_text(**fields: object) -> str:
    with pytest.raises(ValidationError) as error:
        DataConfig(**fields)
    return str(error.value)


def test_unknown_dataset_lists_every_valid_one():
    message = error_text(dataset="mnist")
    assert "'mnist' is unknown" in message
    assert all(name in message for name in DATASETS)


@pytest.mark.parametrize("field", ["val_fraction", "test_fraction"])
@pytest.mark.parametrize("value", [0.0, 1.0, -0.1, 1.5])
def test_split_fraction_outside_open_unit_interval_is_rejected(field, value):
    assert f"data.{field}={value} must lie strictly between 0 and 1" in error_text(**{field: value})


def test_split_fractions_that_leave_no_training_data_are_rejected():
    assert "make their sum smaller than 1" in error_text(val_fraction=0.5, test_fraction=0.5)


@pytest.mark.parametrize("field", ["majority_keep_fraction", "minority_keep_fraction"])
@pytest.mark.parametrize("value", [0.0, -0.5, 1.01])
def test_keep_fraction_outside_half_open_unit_interval_is_rejected(field, value):
    assert f"data.{field}={value} must be in (0, 1]" in error_text(**{field: value})


def test_image_size_below_eight_is_rejected():
    assert "data.image_size=7 is too small; use 8 or more" in error_text(image_size=7)


def test_unknown_field_is_rejected():
    assert "minority_class" in error_text(minority_class=[5])


def test_minority_class_beyond_the_dataset_is_rejected():
    message = error_text(dataset="utkface_age", minority_classes=[3, 4])
    assert "[4]" in message and "0..3" in message
    assert DataConfig(dataset="utkface_age", keep_infants=True, minority_classes=[4]).num_classes == 5


def test_duplicate_or_negative_minority_classes_are_rejected():
    assert "distinct class ids" in error_text(minority_classes=[5, 5])
    assert "distinct class ids" in error_text(minority_classes=[-1])


def test_download_and_keep_infants_only_where_they_apply():
    assert "cifar10 and svhn only" in error_text(dataset="digits", download=True)
    assert "utkface_age only" in error_text(dataset="utkface_race", keep_infants=True)
    assert DataConfig(dataset="svhn", download=True).download


def test_left_out_imbalance_takes_the_papers_setting_per_dataset():
    digits, cifar, svhn = DataConfig(), DataConfig(dataset="cifar10"), DataConfig(dataset="svhn")
    assert digits.dataset == "digits"
    assert (digits.minority_classes, digits.majority_keep_fraction) == ([5, 6, 7, 8, 9], 1.0)
    assert (cifar.minority_classes, cifar.majority_keep_fraction, cifar.minority_keep_fraction) == (
        [5, 6, 7, 8, 9],
        0.9,
        0.1,
    )
    assert svhn.minority_classes == [] and DataConfig(dataset="utkface_race").minority_classes == []
    assert DataConfig(dataset="svhn", minority_classes=[9, 0]).minority_classes == [0, 9]


def test_resolved_config_round_trips_through_its_dump():
    config = DataConfig(dataset="cifar10", seed=3)
    assert DataConfig(**config.model_dump()) == config
