"""The paper's Figure 2 task: a small minority class that only a curved boundary separates.

The minority class (1) fills a disk, the majority class (0) fills the square around it, so any
linear boundary misclassifies part of one class, and with few minority points a model with fewer
non-linearities sacrifices the minority first. Gaussian noise on the coordinates blurs the circle.
"""

from __future__ import annotations

import numpy as np

from linearization_fairness.data.source import SourceData

SQUARE_HALF_WIDTH = 1.0
DISK_RADIUS = 0.5


def make_toy2d(majority_size: int, minority_size: int, noise: float, rng: np.random.Generator) -> SourceData:
    """Points (N, 2) float32: the majority first, then the minority."""
    majority = _uniform_outside_disk(majority_size, rng)
    minority = _uniform_inside_disk(minority_size, rng)
    points = np.concatenate([majority, minority])
    points += rng.normal(0.0, noise, size=points.shape)
    labels = np.concatenate([np.zeros(majority_size, np.int64), np.ones(minority_size, np.int64)])
    return SourceData(
        x=points.astype(np.float32),
        y=labels,
        max_value=1.0,
        class_names=["majority", "minority"],
        group_names=["majority", "minority"],
    )


def _uniform_inside_disk(size: int, rng: np.random.Generator) -> np.ndarray:
    # sqrt of a uniform radius spreads the points evenly over the area instead of crowding the centre
    radius = DISK_RADIUS * np.sqrt(rng.uniform(size=size))
    angle = rng.uniform(0.0, 2.0 * np.pi, size=size)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def _uniform_outside_disk(size: int, rng: np.random.Generator) -> np.ndarray:
    accepted: list[np.ndarray] = []
    count = 0
    while count < size:
        candidates = rng.uniform(-SQUARE_HALF_WIDTH, SQUARE_HALF_WIDTH, size=(2 * size, 2))
        outside = candidates[np.hypot(candidates[:, 0], candidates[:, 1]) > DISK_RADIUS]
        accepted.append(outside)
        count += len(outside)
    return np.concatenate(accepted)[:size]
