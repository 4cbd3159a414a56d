"""A dict of numpy arrays stored as one .npz file, loaded without executing pickled code."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from kedro.io import AbstractDataset

from linearization_fairness.atomic import non_empty_file, write_atomically


class NpzDataset(AbstractDataset[dict[str, np.ndarray], dict[str, np.ndarray]]):
    """Arrays keyed by name in one uncompressed .npz (float images barely compress)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def _load(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self._filepath, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise
        except Exception as error:  # truncated, not a zip, or holding objects (which would need pickle)
            raise ValueError(
                f"{self._filepath} is truncated, corrupt or not written by this project ({type(error).__name__}); "
                "delete it and rerun data_prep (kedro run --pipelines=data_prep)"
            ) from None

    def _save(self, data: dict[str, np.ndarray]) -> None:
        write_atomically(Path(self._filepath), lambda handle: np.savez(handle, **data))

    def _exists(self) -> bool:
        return non_empty_file(Path(self._filepath))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
