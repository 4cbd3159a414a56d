"""What every stage's nodes need: tensors from the stored splits, and where a cell checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from linearization_fairness.sweep import Cell


def split_tensors(splits: dict[str, np.ndarray], name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, y, group) of one split ("train", "val" or "test") as CPU tensors; the engine moves them."""
    return tuple(torch.from_numpy(np.ascontiguousarray(splits[f"{name}_{part}"])) for part in ("x", "y", "group"))


def checkpoint_file(checkpoint_dir: str, cell: Cell, stage: str) -> Path:
    """Where an interrupted training of this cell and stage resumes from (deleted when it finishes)."""
    return Path(checkpoint_dir) / cell.experiment / cell.name / f"{stage}.ckpt"
