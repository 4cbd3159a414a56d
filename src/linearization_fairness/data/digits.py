"""scikit-learn's 8x8 handwritten digits: a small CPU stand-in for CIFAR-10 (no download needed)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from linearization_fairness.data.source import SourceData

DIGITS_MAX_LEVEL = 16.0


def load_digits_source() -> SourceData:
    """1,797 grey images of shape (1, 8, 8) with pixel levels 0..16, ten classes."""
    digits = load_digits()
    images = digits.images.astype(np.float32)[:, None, :, :]
    return SourceData(
        x=images,
        y=digits.target.astype(np.int64),
        max_value=DIGITS_MAX_LEVEL,
        class_names=[str(digit) for digit in range(10)],
        group_names=[f"digit {digit}" for digit in range(10)],
    )
