"""CIFAR-10, python version: the folder `cifar-10-batches-py` of pickled batches.

The files are read with a small reader of the documented format (a pickled dict per batch with
`data`, a (N, 3072) uint8 array of red, green and blue planes, and `labels`), not through
torchvision.datasets.CIFAR10: torchvision refuses any file whose md5 differs from the official
release, which would also reject the small fake batches the tests write. torchvision is used only
to fetch the official archive when `download: true`, and its md5 check then guards that download.

A pickle can name any Python callable, so plain `pickle.load` on a crafted batch runs its code.
Batches are read by an unpickler that resolves only what a CIFAR batch holds (numpy arrays and
dtypes, and the bytes codec Python 3 pickles use) and refuses everything else before calling it.
"""

from __future__ import annotations

import _codecs
import pickle
from pathlib import Path
from typing import Any

import numpy as np

try:  # numpy >= 2 moved the module; official CIFAR pickles name the old one
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

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
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or not isinstance(labels, list):
        raise ValueError(f"{path} is not a CIFAR-10 batch (it needs 'data' of shape (N, 3072) and a list of 'labels'); {_FIX}")
    if len(labels) != len(data) or not all(isinstance(label, int) and 0 <= label < 10 for label in labels):
        raise ValueError(f"{path} has {len(labels)} labels for {len(data)} images, or labels outside 0..9; {_FIX}")
    return data.astype(np.uint8, copy=False).reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


_FIX = "re-download the CIFAR-10 python version (or set data.download: true)"
# Everything a CIFAR batch's pickle may name: numpy's array rebuilder, ndarray and dtype, and the
# codec Python 3 uses to pickle bytes under protocol 2.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _codecs.encode,
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, which a CIFAR-10 batch never holds")
        return _ALLOWED[module, name]


def _read_pickle(path: Path) -> dict[str, Any]:
    # The official files come from Python 2: latin1 decodes their str keys and numpy buffers
    # unchanged, while files written from Python 3 have bytes keys, so the keys are decoded here.
    try:
        with open(path, "rb") as handle:
            content = _BatchUnpickler(handle, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        raise ValueError(f"{path} is not a readable CIFAR-10 batch ({error}; nothing in it was run); {_FIX}") from None
    if not isinstance(content, dict):
        raise ValueError(f"{path} holds a {type(content).__name__}, not a CIFAR-10 batch's dict; {_FIX}")
    return {_as_text(key): value for key, value in content.items()}


def _as_text(value: str | bytes) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else value
