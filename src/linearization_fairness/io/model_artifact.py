"""Kedro dataset for model artifacts: architecture, weights and masks, metadata; read with
torch.load(weights_only=True), so opening one never runs code."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset

from linearization_fairness.atomic import non_empty_file
from linearization_fairness.models.artifact import ModelArtifact, load_artifact, save_artifact


class ModelArtifactDataset(AbstractDataset[ModelArtifact, ModelArtifact]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def _load(self) -> ModelArtifact:
        return load_artifact(Path(self._filepath))

    def _save(self, data: ModelArtifact) -> None:
        if not isinstance(data, ModelArtifact):
            raise ValueError(f"{self._filepath} stores a ModelArtifact; the node returned a {type(data).__name__}")
        save_artifact(Path(self._filepath), data)

    def _exists(self) -> bool:
        return non_empty_file(Path(self._filepath))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
