"""Random crop (zero padding) + horizontal flip for a batch already on the device.

The random draws for a whole epoch are made up front on the CPU from a seeded generator,
so augmentation is reproducible and costs no host round trip per step.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def draw_crops_and_flips(count: int, padding: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample: the (row, column) offset of its crop in the padded image, and whether to flip it."""
    offsets = torch.randint(0, 2 * padding + 1, (count, 2), generator=generator)
    flips = torch.rand(count, generator=generator) < 0.5
    return offsets, flips


def crop_and_flip(images: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor, padding: int) -> torch.Tensor:
    """images (B, C, H, W); offsets (B, 2) in [0, 2*padding]; flips (B,) bool."""
    batch, channels, height, width = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    rows = offsets[:, :1] + torch.arange(height, device=images.device)
    # A flipped crop reads its columns right to left, so crop and flip are one gather.
    column_steps = torch.arange(width, device=images.device)
    columns = offsets[:, 1:] + torch.where(flips[:, None], width - 1 - column_steps, column_steps)
    out = padded.gather(2, rows[:, None, :, None].expand(batch, channels, height, width + 2 * padding))
    return out.gather(3, columns[:, None, None, :].expand(batch, channels, height, width))
