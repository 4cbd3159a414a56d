"""The common shape every data source is read into, before any splitting."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SourceData:
    """All usable samples of one source, with their position `index` in the source's full list.

    `x` keeps the source's own storage (uint8 pixels, digits' 0..16 levels) so that the large
    sources are not copied to float before subsampling; dividing by `max_value` maps it to [0, 1].
    `official_test` marks the source's own test set (cifar10, svhn); None where there is none.
    `index` defaults to 0..N-1; a source that drops samples (UTKFace infants) passes the positions
    of the ones it kept. `group` is each sample's protected group (named by `group_names`); it
    defaults to the label, as in the paper.
    """

    x: np.ndarray
    y: np.ndarray
    max_value: float
    class_names: list[str]
    group_names: list[str]
    official_test: np.ndarray | None = None
    index: np.ndarray | None = None
    rejected_files: list[str] = field(default_factory=list)
    group: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"source has {len(self.x)} inputs but {len(self.y)} labels")
        if self.official_test is not None and len(self.official_test) != len(self.y):
            raise ValueError(f"official_test marks {len(self.official_test)} of {len(self.y)} samples")
        if self.index is None:
            self.index = np.arange(len(self.y), dtype=np.int64)
        elif len(self.index) != len(self.y):
            raise ValueError(f"source indexes {len(self.index)} of {len(self.y)} samples")
        if self.group is None:
            self.group = self.y.copy()
        elif len(self.group) != len(self.y):
            raise ValueError(f"source has {len(self.group)} group ids for {len(self.y)} samples")
