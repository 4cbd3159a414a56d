"""A trained network on disk: its config, weights, masks, mask modes and metadata.

The file holds only tensors and plain containers, so `torch.load(weights_only=True)` reads
it without unpickling any class, and it is written atomically so that a crash never leaves
a half-written artifact behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel
from torch import nn

from linearization_fairness.atomic import write_atomically
from linearization_fairness.models.config import build_model, model_config
from linearization_fairness.models.masks import relu_count, total_relu_sites

ARTIFACT_FORMAT_VERSION = 1


def atomic_torch_save(payload: Any, path: str | os.PathLike) -> None:
    write_atomically(path, lambda file: torch.save(payload, file))


def portable_state_dict(model: nn.Module) -> dict[str, Any]:
    """A copy of the state_dict on the CPU in the default memory layout (the mask modes are strings),
    which later training of `model` leaves untouched."""
    return {
        key: value.detach().to("cpu", copy=True).contiguous() if isinstance(value, torch.Tensor) else value
        for key, value in model.state_dict().items()
    }


@dataclass
class ModelArtifact:
    model_config: dict[str, Any]
    in_shape: tuple[int, ...]
    num_classes: int
    state_dict: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_model(
        cls,
        model: nn.Module,
        config: BaseModel,
        in_shape: tuple[int, ...],
        num_classes: int,
        metadata: dict[str, Any] | None = None,
    ) -> ModelArtifact:
        """Snapshot `model`; the ReLU counts are added to the metadata unless given."""
        counts = {"relu_count": relu_count(model), "total_relu_sites": total_relu_sites(model)}
        return cls(
            model_config=config.model_dump(mode="json"),
            in_shape=tuple(int(size) for size in in_shape),
            num_classes=int(num_classes),
            state_dict=portable_state_dict(model),
            metadata=counts | dict(metadata or {}),
        )

    def derived(self, model: nn.Module, metadata: dict[str, Any]) -> ModelArtifact:
        """A snapshot of `model`, a changed copy of this artifact's network (linearized, finetuned)."""
        counts = {"relu_count": relu_count(model), "total_relu_sites": total_relu_sites(model)}
        return ModelArtifact(self.model_config, self.in_shape, self.num_classes, portable_state_dict(model), metadata | counts)

    def build(self) -> nn.Module:
        """The exact saved network, masks and mask modes included, in eval mode on the CPU."""
        # Building on the meta device skips a random initialisation that the weights would overwrite.
        with torch.device("meta"):
            model = build_model(model_config(self.model_config), self.in_shape, self.num_classes)
        # Cloned, so that two models built from one artifact (a teacher and a student) never share weights.
        own_copy = {key: v.clone() if isinstance(v, torch.Tensor) else v for key, v in self.state_dict.items()}
        model.load_state_dict(own_copy, assign=True)
        return model.eval()


def load_tensors(path: str | os.PathLike, fix: str) -> Any:
    """torch.load with weights_only=True (no code runs), or one line naming the file and `fix`.
    PyTorch's own message is left out: it suggests loading the file unsafely."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # truncated (EOFError, OSError), not a zip (RuntimeError), disallowed types (UnpicklingError)
        raise ValueError(f"{path} is truncated, corrupt or not written by this project ({type(error).__name__}); {fix}") from None


def save_artifact(path: str | os.PathLike, artifact: ModelArtifact) -> None:
    try:
        json.dumps(artifact.metadata)
    except TypeError as error:
        message = f"artifact metadata must be JSON-like ({error}); convert values with int()/float()/str()"
        raise ValueError(message) from None
    payload = {
        "format_version": ARTIFACT_FORMAT_VERSION,
        "model_config": artifact.model_config,
        "in_shape": list(artifact.in_shape),
        "num_classes": artifact.num_classes,
        "state_dict": artifact.state_dict,
        "metadata": artifact.metadata,
    }
    atomic_torch_save(payload, path)


def load_artifact(path: str | os.PathLike) -> ModelArtifact:
    payload = load_tensors(path, "delete it and rerun the stage that wrote it (kedro run --only-missing-outputs)")
    version = payload.get("format_version") if isinstance(payload, dict) else None
    if version != ARTIFACT_FORMAT_VERSION:
        raise ValueError(
            f"{path} is not a model artifact of format {ARTIFACT_FORMAT_VERSION} (found {version!r}); "
            "regenerate it with the current code"
        )
    return ModelArtifact(
        model_config=payload["model_config"],
        in_shape=tuple(payload["in_shape"]),
        num_classes=payload["num_classes"],
        state_dict=payload["state_dict"],
        metadata=payload["metadata"],
    )
