"""CIFAR-10, python version: the folder `cifar-10-batches-py` of pickled batches.

The files are read with a small reader of the documented format (a pickled dict per batch with
`data`, a (N, 3072) uint8 array of red, green and blue planes, and `labels`), not through
torchvision.datasets.CIFAR10: torchvision refuses any file whose md5 differs from the official
release, which would also reject the small fake batches the tests write. torchvision is used only
to fetch the official archive when `download: true`, and its md5 check then guards that download.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from linearization_fairness.data.source import SourceData

CIFAR10_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{number}" for number in range(1, 6)]
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
REQUIRED_FILES = [*TRAIN_BATCHES, TEST_BATCH, META_FILE]


def check_cifar10(raw_dir: Path, download: bool) -> None:
    """Raise FileNotFoundError naming the folder, files and download option if a file is missing."""
    if download:
        return
    folder = raw_dir / CIFAR10_FOLDER
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"cifar10 data not found at {folder} (expected data_batch_1..5, test_batch, batches.meta; "
            f"missing: {', '.join(missing)}); "
            "put the CIFAR-10 python version there or set data.download: true"
        )


def load_cifar10(raw_dir: Path, download: bool) -> SourceData:
    """The 50,000 official training images, then the 10,000 official test ones, (N, 3, 32, 32) uint8."""
    if download:
        from torchvision.datasets import CIFAR10

        CIFAR10(root=str(raw_dir), train=True, download=True)
    check_cifar10(raw_dir, download=False)
    folder = raw_dir / CIFAR10_FOLDER
    train_images, train_labels = zip(*(read_cifar_batch(folder / name) for name in TRAIN_BATCHES))
    test_images, test_labels = read_cifar_batch(folder / TEST_BATCH)
    train_count = sum(len(labels) for labels in train_labels)
    class_names = [_as_text(name) for name in _read_pickle(folder / META_FILE)["label_names"]]
    return SourceData(
        x=np.concatenate([*train_images, test_images]),
        y=np.concatenate([*train_labels, test_labels]),
        max_value=255.0,
        class_names=class_names,
        group_names=class_names,
        official_test=np.arange(train_count + len(test_labels)) >= train_count,
    )


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 of one pickled batch."""
    batch = _read_pickle(path)
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return images, np.asarray(batch["labels"], dtype=np.int64)


def _read_pickle(path: Path) -> dict[str, Any]:
    # The official files come from Python 2: latin1 decodes their str keys and numpy buffers
    # unchanged, while files written from Python 3 have bytes keys, so the keys are decoded here.
    with open(path, "rb") as handle:
        content = pickle.load(handle, encoding="latin1")
    return {_as_text(key): value for key, value in content.items()}


def _as_text(value: str | bytes) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else value
