"""Stratified splitting, per-class subsampling (the imbalance) and per-channel normalisation.

Every function takes the random generator explicitly, so one seed fixes every draw in order.
Positions returned are positions in the `labels` array given, sorted ascending.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of train, val and test: each class is shuffled and cut in the same proportions.

    Every class that has samples keeps at least one of them in train.
    """
    train, val, test = [], [], []
    for class_id in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == class_id))
        test_count = min(round(len(members) * test_fraction), len(members) - 1)
        val_count = min(round(len(members) * val_fraction), len(members) - 1 - test_count)
        test.append(members[:test_count])
        val.append(members[test_count : test_count + val_count])
        train.append(members[test_count + val_count :])
    return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in (train, val, test))


def subsample_classes(
    labels: np.ndarray, class_keep_fraction: Mapping[int, float], rng: np.random.Generator
) -> np.ndarray:
    """Positions kept when each class keeps a random share of its samples (at least one).

    Classes missing from `class_keep_fraction` are kept whole.
    """
    kept = []
    for class_id in np.unique(labels):
        members = np.flatnonzero(labels == class_id)
        keep_count = max(1, round(len(members) * class_keep_fraction.get(int(class_id), 1.0)))
        kept.append(rng.choice(members, size=keep_count, replace=False))
    return np.sort(np.concatenate(kept)).astype(np.int64)


def channel_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per channel (axis 1) over samples and pixels, as float32."""
    axes = tuple(axis for axis in range(x.ndim) if axis != 1)
    mean = x.mean(axis=axes, dtype=np.float64)
    std = x.std(axis=axes, dtype=np.float64)
    # a constant channel (possible on tiny data) carries no information; dividing by 1 keeps it finite
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def normalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x - mean) / std per channel, float32."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / std.reshape(shape)).astype(np.float32)
