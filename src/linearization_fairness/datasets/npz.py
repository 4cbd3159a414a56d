"""A dict of numpy arrays stored as one .npz file, loaded without executing pickled code."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from kedro.io import AbstractDataset


def write_atomically(path: Path, write: Any) -> None:
    """Call `write(file_object)` on a temporary file beside `path`, then rename it into place,
    so that a crash never leaves a truncated artifact where a later stage would read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


class NpzDataset(AbstractDataset[dict[str, np.ndarray], dict[str, np.ndarray]]):
    """Arrays keyed by name in one uncompressed .npz (float images barely compress)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def _load(self) -> dict[str, np.ndarray]:
        with np.load(self._filepath, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}

    def _save(self, data: dict[str, np.ndarray]) -> None:
        write_atomically(Path(self._filepath), lambda handle: np.savez(handle, **data))

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
