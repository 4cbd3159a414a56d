from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from linearization_fairness.data import DataConfig, check_raw_data, prepare

CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
PER_CLASS_PER_BATCH = 4
TEST_PER_CLASS = 3


def write_batch(path: Path, labels: list[int]) -> None:
    """A batch in the official layout: rows of 1024 red, 1024 green, 1024 blue bytes."""
    # every pixel of a red plane holds the label, so the tests can check the reshaping
    planes = np.zeros((len(labels), 3, 1024), dtype=np.uint8)
    planes[:, 0, :] = np.array(labels)[:, None] * 20
    planes[:, 2, :] = 255
    with open(path, "wb") as handle:
        batch = {b"batch_label": b"fake", b"labels": labels, b"data": planes.reshape(len(labels), 3072)}
        pickle.dump(batch, handle)


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for number in range(1, 6):
        write_batch(folder / f"data_batch_{number}", [label for label in range(10)] * PER_CLASS_PER_BATCH)
    write_batch(folder / "test_batch", [label for label in range(10)] * TEST_PER_CLASS)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({b"label_names": [name.encode() for name in CLASS_NAMES], b"num_vis": 3072}, handle)
    return tmp_path


def test_cifar10_uses_the_official_test_batch_and_carves_validation_from_train(raw_dir):
    config = DataConfig(dataset="cifar10", val_fraction=0.25)
    prepared = prepare(config, raw_dir)
    train_pool = 5 * 10 * PER_CLASS_PER_BATCH
    test = prepared.splits["test"]
    assert np.array_equal(test.index, np.arange(train_pool, train_pool + 10 * TEST_PER_CLASS))
    assert np.bincount(test.y).tolist() == [TEST_PER_CLASS] * 10
    assert np.bincount(prepared.splits["val"].y).tolist() == [5] * 10
    assert np.bincount(prepared.splits["train"].y).tolist() == [14] * 5 + [2] * 5
    assert prepared.splits["val"].index.max() < train_pool
    assert prepared.info["group_names"][3] == "cat" and prepared.info["input_shape"] == [3, 32, 32]


def test_cifar10_pixels_are_read_channel_first(raw_dir):
    prepared = prepare(DataConfig(dataset="cifar10"), raw_dir)
    mean, std = np.array(prepared.info["normalisation_mean"]), np.array(prepared.info["normalisation_std"])
    test = prepared.splits["test"]
    pixels = test.x * std[None, :, None, None] + mean[None, :, None, None]
    red_of_label = np.broadcast_to((test.y * 20 / 255)[:, None, None], (len(test), 32, 32))
    np.testing.assert_allclose(pixels[:, 0], red_of_label, atol=1e-5)
    np.testing.assert_allclose(pixels[:, 2], 1.0, atol=1e-5)
    assert std[2] == 1.0  # a constant channel is left unscaled


def test_missing_cifar10_names_path_files_and_download_option(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        check_raw_data(DataConfig(dataset="cifar10"), tmp_path)
    message = str(error.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "data_batch_1..5" in message and "test_batch" in message and "data.download: true" in message
    assert "\n" not in message


def test_one_missing_cifar10_batch_is_named(raw_dir):
    (raw_dir / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="missing: data_batch_3"):
        prepare(DataConfig(dataset="cifar10"), raw_dir)


class _Payload:
    """What a crafted batch would carry: unpickling it calls a function of the attacker's choice."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_crafted_batch_is_refused_in_one_line_without_running_its_code(raw_dir, tmp_path):
    marker = tmp_path / "payload_ran"
    with open(raw_dir / "cifar-10-batches-py" / "data_batch_3", "wb") as handle:
        pickle.dump({b"data": _Payload(marker), b"labels": [0]}, handle)
    with pytest.raises(ValueError) as error:
        prepare(DataConfig(dataset="cifar10"), raw_dir)
    message = str(error.value)
    assert "data_batch_3" in message and "pathlib" in message and "re-download" in message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda good: good[: len(good) // 2], "not a readable CIFAR-10 batch"),  # truncated
        (lambda good: b"garbage" * 10, "not a readable CIFAR-10 batch"),
        (lambda good: pickle.dumps({b"labels": [1, 2]}), "not a CIFAR-10 batch"),  # keys missing
        (lambda good: pickle.dumps([1, 2, 3]), "holds a list"),
    ],
)
def test_a_corrupt_batch_names_the_file_and_what_to_do(raw_dir, content, expected):
    path = raw_dir / "cifar-10-batches-py" / "data_batch_2"
    path.write_bytes(content(path.read_bytes()))
    with pytest.raises(ValueError, match=expected) as error:
        prepare(DataConfig(dataset="cifar10"), raw_dir)
    assert "data_batch_2" in str(error.value) and "re-download" in str(error.value)
