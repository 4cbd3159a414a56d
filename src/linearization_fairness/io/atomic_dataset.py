"""Any file dataset, written atomically: Kedro's CSV, Parquet, JSON and text datasets write in
place, so a kill during a save leaves a truncated file that a later run would take as done.

`AtomicDataset` saves through the wrapped dataset into a temporary file beside the target and
renames it into place; an empty file does not count as existing, so `--only-missing-outputs`
recomputes it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset

from linearization_fairness.atomic import non_empty_file, replace_durably, temporary_beside


class AtomicDataset(AbstractDataset[Any, Any]):
    """`dataset`: the wrapped dataset's config without its filepath, e.g. {type: pandas.CSVDataset}."""

    def __init__(self, filepath: str, dataset: dict[str, Any] | str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self._config = {"type": dataset} if isinstance(dataset, str) else dict(dataset)
        self._target = self._wrapped(str(self._filepath))
        self.metadata = metadata

    def _wrapped(self, filepath: str) -> AbstractDataset:
        return AbstractDataset.from_config(str(self._filepath), {**self._config, "filepath": filepath})

    def _load(self) -> Any:
        return self._target.load()

    def _save(self, data: Any) -> None:
        temporary = temporary_beside(self._filepath)
        try:
            self._wrapped(str(temporary)).save(data)
            replace_durably(temporary, self._filepath)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def preview(self, **kwargs: Any) -> Any:
        """kedro-viz's preview of the wrapped dataset (its `preview_args` come from the metadata)."""
        return self._target.preview(**kwargs)

    def _exists(self) -> bool:
        return non_empty_file(Path(self._filepath))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "dataset": self._config}
