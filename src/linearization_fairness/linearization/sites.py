"""Where each ReLU site sits in its network, and the helpers every linearization method shares.

A "stage" groups sites for DeepReDuce: in a ResNet it is the stage of `layer{s}.{b}.relu{p}`;
in an MLP each hidden layer `relu{i}` counts as its own stage i, so culling works there too
(thinning does not: an MLP has no blocks with two sites).
"""

from __future__ import annotations

import copy
import re

import torch
from torch import nn

from linearization_fairness.models import parse_site_name, relu_count, relu_sites, total_relu_sites

_MLP_SITE = re.compile(r"^relu(\d+)$")


def is_resnet(model: nn.Module) -> bool:
    """True when every site is named like a ResNet site (layer<s>.<b>.relu<1|2>)."""
    names = [name for name, _ in relu_sites(model)]
    try:
        for name in names:
            parse_site_name(name)
    except ValueError:
        return False
    return bool(names)


def site_stages(model: nn.Module) -> dict[str, int]:
    """The 1-based stage of every site, in network order (reads names only: works on meta models)."""
    resnet = is_resnet(model)
    stages = {}
    for name, _ in relu_sites(model):
        if resnet:
            stages[name] = parse_site_name(name).stage
            continue
        match = _MLP_SITE.match(name)
        if match is None:
            raise ValueError(
                f"site {name!r} is neither a ResNet site (layer<s>.<b>.relu<1|2>) nor an MLP site (relu<i>); "
                "build the model with build_model()"
            )
        stages[name] = int(match.group(1))
    if not stages:
        raise ValueError("the model has no MaskableReLU sites; build it with build_model()")
    return stages


def linearizable_copy(base_model: nn.Module) -> nn.Module:
    """A deep copy of the all-ReLU base model, which every method linearizes without touching the original."""
    kept, total = relu_count(base_model), total_relu_sites(base_model)
    if kept != total:
        raise ValueError(
            f"linearization starts from the all-ReLU base model, but this one keeps {kept} of {total} ReLUs; "
            "pass the trained base model, not a linearized one"
        )
    return copy.deepcopy(base_model)


def masks_from_flat(model: nn.Module, flat_keep: torch.Tensor) -> dict[str, torch.Tensor]:
    """Split one boolean vector over all ReLU pixels (sites in network order) into per-site masks."""
    sites = relu_sites(model)
    sizes = [site.numel() for _, site in sites]
    if flat_keep.numel() != sum(sizes):
        raise ValueError(f"flat mask has {flat_keep.numel()} entries; the model has {sum(sizes)} ReLUs")
    chunks = torch.split(flat_keep.flatten(), sizes)
    return {name: chunk.reshape(site.shape) for (name, site), chunk in zip(sites, chunks)}
