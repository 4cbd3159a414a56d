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


STYLE_NAMES = ["ink on white", "negative"]


def load_styled_digits(rng: np.random.Generator, group: str) -> SourceData:
    """The digits, each drawn in one of two styles, the protected group: half of every class as
    scanned, half as its negative (16 - level), which keeps every stroke and so the digit.

    The style says nothing about the digit, and a model that has seen few negatives must
    transfer what it learnt: data_prep makes that style rare in training (minority_groups).
    `group` "style" makes the style the group, "digit" the label as in the paper.
    """
    digits = load_digits_source()
    style = np.zeros(len(digits.y), dtype=np.int64)
    for class_id in np.unique(digits.y):
        members = rng.permutation(np.flatnonzero(digits.y == class_id))
        style[members[: len(members) // 2]] = 1
    x = np.where(style[:, None, None, None] == 1, DIGITS_MAX_LEVEL - digits.x, digits.x).astype(np.float32)
    by_style = group == "style"
    return SourceData(
        x=x,
        y=digits.y,
        max_value=DIGITS_MAX_LEVEL,
        class_names=digits.class_names,
        group_names=list(STYLE_NAMES) if by_style else digits.group_names,
        group=style if by_style else None,
    )
