"""A figure stored as a PNG: saved from a matplotlib Figure, loaded back as the PNG's bytes.

Kedro's MatplotlibDataset cannot load, so a node could not read a saved figure; this one can,
which lets the report embed the figures the figure nodes drew instead of drawing them again.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset
from matplotlib.figure import Figure

from linearization_fairness.atomic import non_empty_file, write_atomically


class FigureDataset(AbstractDataset[Figure, bytes]):
    def __init__(self, filepath: str, save_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self._save_args = {"format": "png", **(save_args or {})}
        self.metadata = metadata

    def _load(self) -> bytes:
        return Path(self._filepath).read_bytes()

    def _save(self, figure: Figure) -> None:
        write_atomically(Path(self._filepath), lambda handle: figure.savefig(handle, **self._save_args))

    def _exists(self) -> bool:
        return non_empty_file(Path(self._filepath))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "save_args": self._save_args}
