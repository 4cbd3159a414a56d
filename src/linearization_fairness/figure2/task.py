"""The Figure 2 task: two classes in the square [-1, 1]^2 split by a parabola, the minority above it.

Designed so that the question "does removing half the ReLUs hurt the minority more?" is fair:

- The boundary is the parabola y = curvature * x^2 + offset and nothing else, so it bends, and it
  bends only where the minority lives: the minority class fills the cap above the parabola, the
  majority class everything below. A ReLU MLP draws a polyline; by the paper's Proposition 4.1 its
  error on a convex curve falls with the number of linear pieces, which is bounded by its ReLUs.
- Points are drawn uniformly inside each class's region with no label noise, so the Bayes error is
  zero: what a model misses is what its boundary cannot (or did not learn to) follow, not noise.
  (The toy2d dataset of the sweep adds coordinate noise, which caps its minority near 80-85%.)
- The minority is rare in training (`train_minority` of the points) and validation and test are
  balanced, so each class is measured on equal footing; trained on the imbalance, a model with too
  few pieces puts its polyline's error on the minority's side of the curve.
- The capacity (the MLP's widths) is chosen on the validation split as the smallest that fits the
  all-ReLU model (see the README's Figure 2 section); beyond it, half the ReLUs would be spare.

Every split is drawn from one generator seeded by `seed`, so the task is the same for every
model seed of the study: seeds vary initialisation, batch order and the random mask, not the data.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveFloat, model_validator

CLASS_NAMES = ("majority", "minority")
SPLITS = ("train", "val", "test")


class TaskConfig(BaseModel):
    """Sizes per split and class, and the parabola y = curvature * x^2 + offset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: NonNegativeInt = 0
    train_majority: int = Field(900, ge=1)
    train_minority: int = Field(100, ge=1)
    val_per_class: int = Field(500, ge=1)
    test_per_class: int = Field(500, ge=1)
    curvature: PositiveFloat = 3.0
    offset: float = Field(-0.3, gt=-1.0, lt=1.0)

    @model_validator(mode="after")
    def _minority_is_rare(self) -> TaskConfig:
        if self.train_minority >= self.train_majority:
            raise ValueError(
                f"train_minority={self.train_minority} must be below train_majority={self.train_majority}: "
                "the minority is the rare class of the training split"
            )
        return self


def is_minority_region(points: np.ndarray, config: TaskConfig) -> np.ndarray:
    """True where a point (N, 2) lies above the parabola, in the minority's region."""
    return points[:, 1] > config.curvature * points[:, 0] ** 2 + config.offset


def _uniform_in_region(size: int, minority: bool, config: TaskConfig, rng: np.random.Generator) -> np.ndarray:
    accepted, count = [], 0
    while count < size:  # rejection sampling: uniform in the square, kept where the class lives
        candidates = rng.uniform(-1.0, 1.0, size=(4 * size + 16, 2))
        inside = candidates[is_minority_region(candidates, config) == minority]
        accepted.append(inside)
        count += len(inside)
    return np.concatenate(accepted)[:size]


def make_task(config: TaskConfig) -> dict[str, np.ndarray]:
    """`<split>_x` (N, 2) float32, `<split>_y` and `<split>_group` (N,) int64 for train, val and
    test; the group is the class (0 majority, 1 minority)."""
    rng = np.random.default_rng(config.seed)
    sizes = {
        "train": (config.train_majority, config.train_minority),
        "val": (config.val_per_class, config.val_per_class),
        "test": (config.test_per_class, config.test_per_class),
    }
    arrays = {}
    for split in SPLITS:
        majority, minority = sizes[split]
        points = np.concatenate([_uniform_in_region(majority, False, config, rng), _uniform_in_region(minority, True, config, rng)])
        labels = np.concatenate([np.zeros(majority, np.int64), np.ones(minority, np.int64)])
        arrays[f"{split}_x"], arrays[f"{split}_y"], arrays[f"{split}_group"] = points.astype(np.float32), labels, labels.copy()
    return arrays
