from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from linearization_fairness.data import DataConfig, check_raw_data, prepare
from linearization_fairness.data.utkface import age_group, parse_file_name

MALFORMED_NAMES = [  # the real malformed names of UTKFace
    "39_1_20170116174525125.jpg.chip.jpg",
    "61_1_20170109142408075.jpg.chip.jpg",
    "24_0_1_20170116220224657 .jpg.chip.jpg",
    "55_0_0_20170116232725357jpg.chip.jpg",
]
AGES = [0, 1, 5, 12, 13, 17, 18, 40, 64, 65, 90]


def write_face(path: Path, brightness: int) -> None:
    Image.new("RGB", (12, 10), (brightness, brightness // 2, 255 - brightness)).save(path, format="JPEG")


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "UTKFace"
    folder.mkdir()
    for copy in range(2):
        for position, age in enumerate(AGES):
            race = position % 5
            name = f"{age}_{copy}_{race}_2017011617452{position:04d}{copy}.jpg.chip.jpg"
            write_face(folder / name, 20 * race)
    for name in MALFORMED_NAMES:
        write_face(folder / name, 100)
    return tmp_path


def test_age_task_bins_ages_drops_infants_and_reports_malformed_names(raw_dir, caplog):
    config = DataConfig(dataset="utkface_age", image_size=8, val_fraction=0.2, test_fraction=0.2)
    with caplog.at_level(logging.WARNING):
        prepared = prepare(config, raw_dir)
    assert prepared.info["group_names"] == ["2-12", "13-17", "18-64", "65+"]
    assert sorted(prepared.info["rejected_files"]) == sorted(MALFORMED_NAMES)
    assert "4 file(s) with malformed names" in caplog.text
    labels = np.concatenate([split.y for split in prepared.splits.values()])
    assert np.bincount(labels).tolist() == [4, 4, 6, 4]  # two copies of 5,12 | 13,17 | 18,40,64 | 65,90
    assert prepared.splits["train"].x.shape[1:] == (3, 8, 8)
    assert prepared.info["input_shape"] == [3, 8, 8]


def test_age_task_can_keep_infants_as_their_own_group(raw_dir):
    config = DataConfig(dataset="utkface_age", image_size=8, keep_infants=True, test_fraction=0.2)
    prepared = prepare(config, raw_dir)
    assert prepared.info["group_names"][0] == "0-1"
    assert sum(len(split) for split in prepared.splits.values()) == 2 * len(AGES)


def test_index_points_into_the_sorted_well_formed_names_even_after_dropping_infants(raw_dir):
    prepared = prepare(DataConfig(dataset="utkface_age", image_size=8, test_fraction=0.2), raw_dir)
    names = sorted(path.name for path in (raw_dir / "UTKFace").iterdir() if parse_file_name(path.name))
    for split in prepared.splits.values():
        for index, label in zip(split.index, split.y):
            assert age_group(parse_file_name(names[index]).age, keep_infants=False) == label


def test_race_task_keeps_every_well_formed_face_with_its_race(raw_dir):
    prepared = prepare(DataConfig(dataset="utkface_race", image_size=8, test_fraction=0.2), raw_dir)
    assert prepared.info["group_names"] == ["White", "Black", "Asian", "Indian", "Others"]
    train = prepared.splits["train"]
    mean, std = np.array(prepared.info["normalisation_mean"]), np.array(prepared.info["normalisation_std"])
    red = (train.x * std[None, :, None, None] + mean[None, :, None, None])[:, 0].mean(axis=(1, 2))
    # faces were painted with red = 20 * race, up to JPEG rounding
    np.testing.assert_allclose(red, train.y * 20 / 255, atol=3 / 255)
    assert sum(len(split) for split in prepared.splits.values()) == 2 * len(AGES)


def test_age_bins_follow_the_paper():
    assert [age_group(age, keep_infants=False) for age in AGES] == [None, None, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert [age_group(age, keep_infants=True) for age in (0, 1, 2, 65)] == [0, 0, 1, 4]


@pytest.mark.parametrize("make_folder", [False, True])
def test_missing_or_all_malformed_folder_names_the_expected_path_and_names(tmp_path, make_folder):
    if make_folder:
        (tmp_path / "UTKFace").mkdir()
        write_face(tmp_path / "UTKFace" / MALFORMED_NAMES[0], 10)
    with pytest.raises(FileNotFoundError) as error:
        check_raw_data(DataConfig(dataset="utkface_race"), tmp_path)
    message = str(error.value)
    assert str(tmp_path / "UTKFace") in message and "age_gender_race_datetime.jpg.chip.jpg" in message
    assert f"{int(make_folder)} malformed name(s)" in message


def test_a_corrupt_image_names_the_file_and_what_to_do(raw_dir):
    broken = sorted((raw_dir / "UTKFace").glob("40_*.jpg.chip.jpg"))[0]
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError) as error:
        prepare(DataConfig(dataset="utkface_race"), raw_dir)
    message = str(error.value)
    assert broken.name in message and "re-download" in message and "delete this file" in message


@pytest.mark.parametrize(("group", "faces"), [("race", 2 * len(AGES)), ("age", 2 * (len(AGES) - 2))])
def test_gender_target_with_race_or_age_bins_as_the_group_reads_both_from_the_names(raw_dir, group, faces):
    config = DataConfig(dataset="utkface", target="gender", group=group, image_size=8, test_fraction=0.2)
    assert (config.num_classes, config.num_groups, config.group_is_label) == (2, 5 if group == "race" else 4, False)
    prepared = prepare(config, raw_dir)
    assert prepared.info["class_names"] == ["male", "female"] and (prepared.info["target"], prepared.info["group"]) == ("gender", group)
    names = sorted(path.name for path in (raw_dir / "UTKFace").iterdir() if parse_file_name(path.name))
    for split in prepared.splits.values():
        for index, label, group_id in zip(split.index, split.y, split.group):
            face = parse_file_name(names[index])
            assert label == face.gender
            assert group_id == (face.race if group == "race" else age_group(face.age, keep_infants=False))
    assert sum(len(split) for split in prepared.splits.values()) == faces  # infants dropped where age is the group
