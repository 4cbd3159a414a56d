from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from linearization_fairness.data import DataConfig, Dataset


def error_text(**fields: object) -> str:
    with pytest.raises(ValidationError) as error:
        DataConfig(**fields)
    return str(error.value)


def field_error(**fields: object) -> tuple[tuple, str]:
    """The location and message of the one error that `fields` raise."""
    with pytest.raises(ValidationError) as error:
        DataConfig(**fields)
    (only,) = error.value.errors()
    return only["loc"], only["msg"]


def test_unknown_dataset_lists_every_valid_one():
    loc, message = field_error(dataset="mnist")
    assert loc == ("dataset",)
    assert all(f"'{name}'" in message for name in get_args(Dataset))


@pytest.mark.parametrize("field", ["val_fraction", "test_fraction"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "greater than 0"), (-0.1, "greater than 0"), (1.0, "less than 1"), (1.5, "less than 1")],
)
def test_split_fraction_outside_open_unit_interval_is_rejected(field, value, expected):
    assert field_error(**{field: value}) == ((field,), f"Input should be {expected}")


def test_split_fractions_that_leave_no_training_data_are_rejected():
    assert "make their sum smaller than 1" in error_text(val_fraction=0.5, test_fraction=0.5)


@pytest.mark.parametrize("field", ["majority_keep_fraction", "minority_keep_fraction"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "greater than 0"), (-0.5, "greater than 0"), (1.01, "less than or equal to 1")],
)
def test_keep_fraction_outside_half_open_unit_interval_is_rejected(field, value, expected):
    assert field_error(**{field: value}) == ((field,), f"Input should be {expected}")


def test_keep_fraction_of_one_is_accepted():
    assert DataConfig(majority_keep_fraction=1.0, minority_keep_fraction=1.0).minority_keep_fraction == 1.0


def test_image_size_below_eight_is_rejected():
    assert field_error(image_size=7) == (("image_size",), "Input should be greater than or equal to 8")
    assert DataConfig(image_size=8).image_size == 8


def test_unknown_field_is_rejected():
    assert field_error(minority_class=[5]) == (("minority_class",), "Extra inputs are not permitted")


def test_minority_class_beyond_the_dataset_is_rejected():
    message = error_text(dataset="utkface_age", minority_classes=[3, 4])
    assert "[4]" in message and "0..3" in message
    assert DataConfig(dataset="utkface_age", keep_infants=True, minority_classes=[4]).num_classes == 5


def test_duplicate_or_negative_minority_classes_are_rejected():
    assert "lists a class twice" in error_text(minority_classes=[5, 5])
    assert field_error(minority_classes=[-1]) == (("minority_classes", 0), "Input should be greater than or equal to 0")


def test_download_and_keep_infants_only_where_they_apply():
    assert "cifar10 and svhn only" in error_text(dataset="digits", download=True)
    assert "UTKFace's age only" in error_text(dataset="utkface_race", keep_infants=True)
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


@pytest.mark.parametrize(
    ("fields", "target", "group", "classes", "groups"),
    [
        ({"dataset": "digits"}, "digit", "digit", 10, 10),
        ({"dataset": "digits_styled"}, "digit", "style", 10, 2),
        ({"dataset": "utkface"}, "gender", "race", 2, 5),
        ({"dataset": "utkface", "target": "age", "group": "race"}, "age", "race", 4, 5),
        ({"dataset": "utkface", "target": "gender", "group": "age", "keep_infants": True}, "gender", "age", 2, 5),
        ({"dataset": "utkface", "target": "race"}, "race", "race", 5, 5),
        ({"dataset": "utkface_age"}, "age", "age", 4, 4),
    ],
)  # fmt: skip
def test_target_and_group_attributes_default_per_dataset(fields, target, group, classes, groups):
    config = DataConfig(**fields)
    assert (config.target, config.group, config.num_classes, config.num_groups) == (target, group, classes, groups)
    assert config.group_is_label == (target == group)


def test_unknown_attributes_are_named_with_the_dataset_s_attributes():
    message = error_text(dataset="utkface", target="colour", group="hat")
    assert "target='colour', group='hat' unknown for utkface; its attributes are gender, race, age" in message
    assert "its attributes are digit, style" in error_text(dataset="digits_styled", group="colour")
    assert "use ids below 2" in error_text(dataset="digits_styled", minority_groups=[2])
    assert "thin either classes or groups" in error_text(dataset="digits_styled", minority_classes=[5])
