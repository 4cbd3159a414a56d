"""SVHN cropped digits: `train_32x32.mat` and `test_32x32.mat` in the folder `svhn`.

Read with scipy.io.loadmat rather than torchvision.datasets.SVHN, whose md5 check rejects any
file but the official one (the tests write small fake .mat files); torchvision is used only to
download the official files into that folder when `download: true`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.io import loadmat

from linearization_fairness.data.source import SourceData

SVHN_FOLDER = "svhn"
TRAIN_FILE = "train_32x32.mat"
TEST_FILE = "test_32x32.mat"
LABEL_OF_ZERO = 10


def check_svhn(raw_dir: Path, download: bool) -> None:
    """Raise FileNotFoundError naming the folder, files and download option if a file is missing."""
    if download:
        return
    folder = raw_dir / SVHN_FOLDER
    missing = [name for name in (TRAIN_FILE, TEST_FILE) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"svhn data not found at {folder} (expected {TRAIN_FILE}, {TEST_FILE}; "
            f"missing: {', '.join(missing)}); "
            "put the SVHN cropped-digit .mat files there or set data.download: true"
        )


def load_svhn(raw_dir: Path, download: bool) -> SourceData:
    """The official training images, then the official test images, as (N, 3, 32, 32) uint8."""
    folder = raw_dir / SVHN_FOLDER
    if download:
        from torchvision.datasets import SVHN

        for split in ("train", "test"):
            SVHN(root=str(folder), split=split, download=True)
    check_svhn(raw_dir, download=False)
    train_images, train_labels = read_svhn_mat(folder / TRAIN_FILE)
    test_images, test_labels = read_svhn_mat(folder / TEST_FILE)
    class_names = [str(digit) for digit in range(10)]
    return SourceData(
        x=np.concatenate([train_images, test_images]),
        y=np.concatenate([train_labels, test_labels]),
        max_value=255.0,
        class_names=class_names,
        group_names=[f"digit {digit}" for digit in range(10)],
        official_test=np.arange(len(train_labels) + len(test_labels)) >= len(train_labels),
    )


def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and digit labels (N,) int64 with 0 for the digit zero."""
    fix = "re-download the SVHN cropped digits (train_32x32.mat, test_32x32.mat) or set data.download: true"
    try:
        content = loadmat(path)
    except (ValueError, TypeError, OSError) as error:
        raise ValueError(f"{path} is not a readable MATLAB file ({error}); {fix}") from None
    x, y = content.get("X"), content.get("y")
    if not (isinstance(x, np.ndarray) and x.ndim == 4 and x.shape[:3] == (32, 32, 3) and isinstance(y, np.ndarray)):
        found = sorted(key for key in content if not key.startswith("__"))
        raise ValueError(f"{path} is not an SVHN cropped-digits file (it needs 'X' of shape (32, 32, 3, N) and 'y'; found {found}); {fix}")
    if y.size != x.shape[3]:
        raise ValueError(f"{path} has {y.size} labels for {x.shape[3]} images; {fix}")
    # stored as (height, width, channel, sample)
    images = np.ascontiguousarray(np.transpose(x, (3, 2, 0, 1)), dtype=np.uint8)
    labels = y.astype(np.int64).ravel()
    labels[labels == LABEL_OF_ZERO] = 0
    return images, labels
