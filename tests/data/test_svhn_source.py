from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from linearization_fairness.data import DataConfig, check_raw_data, prepare


def write_svhn_mat(path: Path, digits: list[int]) -> None:
    """The official layout: X (32, 32, 3, N) uint8, y (N, 1) with the digit zero stored as 10."""
    images = np.zeros((32, 32, 3, len(digits)), dtype=np.uint8)
    images[:, :, 1, :] = np.array(digits, dtype=np.uint8) * 25  # green plane encodes the digit
    images[:5, :, 0, :] = 255  # red top rows tell height from width
    labels = np.array([10 if digit == 0 else digit for digit in digits], dtype=np.uint8)[:, None]
    savemat(path, {"X": images, "y": labels})


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "svhn"
    folder.mkdir()
    # naturally unbalanced: digit d appears d + 2 times in train
    write_svhn_mat(folder / "train_32x32.mat", [digit for digit in range(10) for _ in range(digit + 2)])
    write_svhn_mat(folder / "test_32x32.mat", [digit for digit in range(10) for _ in range(2)])
    return tmp_path


def test_svhn_maps_label_ten_to_zero_and_keeps_the_natural_imbalance(raw_dir):
    prepared = prepare(DataConfig(dataset="svhn", val_fraction=0.2), raw_dir)
    everything = np.concatenate([split.y for split in prepared.splits.values()])
    assert np.bincount(everything).tolist() == [digit + 4 for digit in range(10)]
    assert np.bincount(prepared.splits["test"].y).tolist() == [2] * 10
    assert prepared.info["group_names"][0] == "digit 0"


def test_svhn_images_are_channel_first_and_upright(raw_dir):
    prepared = prepare(DataConfig(dataset="svhn", val_fraction=0.2), raw_dir)
    mean, std = np.array(prepared.info["normalisation_mean"]), np.array(prepared.info["normalisation_std"])
    test = prepared.splits["test"]
    pixels = test.x * std[None, :, None, None] + mean[None, :, None, None]
    assert test.x.shape[1:] == (3, 32, 32)
    np.testing.assert_allclose(pixels[:, 1, 7, 9], test.y * 25 / 255, atol=1e-5)
    assert np.all(pixels[:, 0, :5, :] > 0.99) and np.all(pixels[:, 0, 5:, :] < 0.01)


def test_missing_svhn_names_path_files_and_download_option(tmp_path):
    (tmp_path / "svhn").mkdir()
    write_svhn_mat(tmp_path / "svhn" / "train_32x32.mat", [1, 2])
    with pytest.raises(FileNotFoundError) as error:
        check_raw_data(DataConfig(dataset="svhn"), tmp_path)
    message = str(error.value)
    assert str(tmp_path / "svhn") in message and "train_32x32.mat" in message and "test_32x32.mat" in message
    assert "missing: test_32x32.mat" in message and "data.download: true" in message


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda path: savemat(path, {"images": np.zeros((32, 32, 3, 2))}), r"found \['images'\]"),
        (lambda path: path.write_bytes(path.read_bytes()[:300]), "not a readable MATLAB file"),
        (lambda path: savemat(path, {"X": np.zeros((32, 32, 3, 2)), "y": np.ones((3, 1))}), "3 labels for 2 images"),
    ],
)
def test_a_corrupt_svhn_file_names_the_file_and_what_to_do(raw_dir, write, expected):
    path = raw_dir / "svhn" / "train_32x32.mat"
    write(path)
    with pytest.raises(ValueError, match=expected) as error:
        prepare(DataConfig(dataset="svhn"), raw_dir)
    assert "train_32x32.mat" in str(error.value) and "re-download" in str(error.value)
