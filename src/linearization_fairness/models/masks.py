"""Maskable ReLU sites: the unit that ReLU linearization (SNL, DeepReDuce) acts on.

Every activation pixel of every site can be kept (ReLU) or linearized (identity). A site
is in one of three modes:

- "relu":   a plain ReLU, every pixel kept.
- "train":  SNL's continuous relaxation with a trainable mask `alpha` (init 1):
            out = alpha * relu(x) + (1 - alpha) * x.
- "frozen": a binary mask `keep`: out = relu(x) where keep, else x.

Both `alpha` and `keep` exist in every mode and the mode itself is stored as the module's
extra state, so a state_dict always carries the complete site and reloads exactly.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import nn
from torch.nn import functional as F

MaskMode = Literal["relu", "train", "frozen"]
MASK_MODES: tuple[str, ...] = get_args(MaskMode)

# SNL counts a trainable mask entry as a kept ReLU while it stays above this value.
SNL_ALPHA_THRESHOLD = 1e-2


class MaskableReLU(nn.Module):
    def __init__(self, shape: tuple[int, ...], threshold: float = SNL_ALPHA_THRESHOLD) -> None:
        super().__init__()
        if not shape or any(size < 1 for size in shape):
            raise ValueError(f"MaskableReLU shape={shape} is invalid; give the activation shape: (C, H, W) or (F,)")
        self.shape = tuple(int(size) for size in shape)
        self.threshold = threshold
        self.alpha = nn.Parameter(torch.ones(self.shape))
        self.register_buffer("keep", torch.ones(self.shape, dtype=torch.bool))
        self.set_mode("relu")

    def set_mode(self, mode: str) -> None:
        if mode not in MASK_MODES:
            raise ValueError(f"mask mode={mode!r} is unknown; use one of: {', '.join(MASK_MODES)}")
        self.mode = mode
        # Only the relaxed mask is ever optimised; in the other modes it must not collect gradients.
        self.alpha.requires_grad_(mode == "train")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "relu":
            return F.relu(x)
        if self.mode == "frozen":
            return torch.where(self.keep, F.relu(x), x)
        # alpha*relu(x) + (1-alpha)*x == x + alpha*relu(-x): one fused op instead of four.
        return torch.addcmul(x, self.alpha.to(x.dtype), F.relu(-x))

    def kept_mask(self) -> torch.Tensor:
        """Boolean map of the pixels that currently act as ReLUs."""
        if self.mode == "relu":
            return torch.ones(self.shape, dtype=torch.bool, device=self.keep.device)
        if self.mode == "frozen":
            return self.keep.clone()
        return self.alpha.detach() > self.threshold

    def relu_count(self) -> int:
        if self.mode == "relu":
            return self.numel()
        return int(self.kept_mask().sum())

    def numel(self) -> int:
        return self.alpha.numel()

    def get_extra_state(self) -> str:
        return self.mode

    def set_extra_state(self, state: str) -> None:
        self.set_mode(state)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, mode={self.mode}"


def relu_sites(model: nn.Module) -> list[tuple[str, MaskableReLU]]:
    return [(name, module) for name, module in model.named_modules() if isinstance(module, MaskableReLU)]


def relu_count(model: nn.Module) -> int:
    """ReLUs the model currently keeps (the private-inference budget)."""
    return sum(site.relu_count() for _, site in relu_sites(model))


def total_relu_sites(model: nn.Module) -> int:
    """All maskable ReLU pixels, kept or not (491,520 for ResNet18 on 32x32)."""
    return sum(site.numel() for _, site in relu_sites(model))


def kept_relus_by_site(model: nn.Module) -> dict[str, tuple[int, int]]:
    """Per site: (kept ReLUs, total ReLUs), in network order, for a per-layer report."""
    return {name: (site.relu_count(), site.numel()) for name, site in relu_sites(model)}


def set_mask_mode(model: nn.Module, mode: str) -> None:
    sites = relu_sites(model)
    if not sites:
        raise ValueError("the model has no MaskableReLU sites; build it with build_model()")
    for _, site in sites:
        site.set_mode(mode)


def keep_masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """The boolean kept-pixel map of every site (for "train" mode: alpha above the threshold)."""
    return {name: site.kept_mask() for name, site in relu_sites(model)}


def freeze_masks(model: nn.Module, keep: dict[str, torch.Tensor]) -> None:
    """Install binary masks on every site and switch them all to "frozen" mode."""
    sites = dict(relu_sites(model))
    missing = sorted(set(sites) - set(keep))
    unknown = sorted(set(keep) - set(sites))
    if missing or unknown:
        raise ValueError(
            f"freeze_masks needs exactly one mask per site; missing: {missing[:5]}, unknown: {unknown[:5]} "
            f"(site names come from relu_sites(model))"
        )
    for name, site in sites.items():
        mask = keep[name]
        if tuple(mask.shape) != site.shape:
            raise ValueError(f"mask for site {name} has shape {tuple(mask.shape)}; the site needs {site.shape}")
        with torch.no_grad():
            site.keep.copy_(mask.to(torch.bool))
        site.set_mode("frozen")


def mask_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The trainable SNL masks (sites in "train" mode), so they can get their own learning rate."""
    return [site.alpha for _, site in relu_sites(model) if site.alpha.requires_grad]


def weight_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Every trainable parameter that is not a mask."""
    mask_ids = {id(site.alpha) for _, site in relu_sites(model)}
    return [p for p in model.parameters() if p.requires_grad and id(p) not in mask_ids]


def clamp_masks_(model: nn.Module) -> None:
    """Keep trainable masks in [0, 1]; an L1 penalty alone pushes them negative."""
    with torch.no_grad():
        for alpha in mask_parameters(model):
            alpha.clamp_(0.0, 1.0)
