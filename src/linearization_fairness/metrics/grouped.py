"""Every group's mean loss of a batch in one forward pass, each group through its own copy of theta.

The gradient norms and the Hessian eigenvalues are per group: one backward pass (or one
Hessian-vector product) per group would pay the network's per-op overhead once per group, on tiny
tensors. Instead every group of a batch gets its own copy of theta (a stride-0 view, no copy in
memory) and its own sub-batch (its members, padded to the largest group's count), and
`torch.func.vmap` runs all groups in one forward pass. Since group g's loss depends only on its
copy theta_g, one backward pass of the groups' summed losses gives every group's own gradient, in
a (groups, *weight shape) tensor per weight.

Memory: activations and graph for (groups in the batch) x (largest group's count in the batch)
samples, at most groups x batch_size; for the 10 class groups of imbalanced CIFAR-10 (largest class
18% of the samples) about 2 x batch_size. Add a (groups, *theta) tensor per gradient: ~0.45 GB in
float32 for ResNet18 (11M weights) with 10 groups.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

# (per-group weights, (groups, n, ...) inputs, (groups, n) labels) -> (groups, n) per-sample losses
GroupSampleLosses = Callable[[dict[str, torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor]


def group_sample_losses(model: nn.Module, constants: dict[str, torch.Tensor]) -> GroupSampleLosses:
    """Per-sample cross-entropy of each group's sub-batch under that group's weights, vmapped over groups."""

    def sample_losses(group_weights: dict[str, torch.Tensor], inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, (group_weights, constants), (inputs,))
        return F.cross_entropy(logits, labels, reduction="none")

    return vmap(sample_losses)


def padded_members(batch_group: torch.Tensor, group_ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(groups, n_max) sample indices into the batch and the mask of real members.

    Padding repeats the group's first member; the mask keeps those copies out of the group's loss.
    """
    members = [(batch_group == group_id).nonzero().squeeze(1) for group_id in group_ids]
    longest = max(len(m) for m in members)
    index = torch.stack([torch.cat([m, m[:1].expand(longest - len(m))]) for m in members])
    is_member = torch.stack([torch.arange(longest) < len(m) for m in members])
    return index, is_member


def group_mean_losses(
    losses_of: GroupSampleLosses,
    weights: dict[str, torch.Tensor],
    x_batch: torch.Tensor,
    y_batch: torch.Tensor,
    batch_group: torch.Tensor,
    group_ids: list[int],
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The groups' own weight copies, (groups, *shape) per weight and differentiable, and their
    (groups,) mean losses on the batch, in `group_ids` order. `batch_group` lives on the host."""
    index, is_member = padded_members(batch_group, group_ids)
    index, is_member = index.to(x_batch.device), is_member.to(x_batch.device)
    group_weights = {name: w.expand(len(group_ids), *w.shape).requires_grad_(True) for name, w in weights.items()}
    losses = losses_of(group_weights, x_batch[index], y_batch[index])
    return list(group_weights.values()), losses.where(is_member, 0).sum(dim=1) / is_member.sum(dim=1)


def rowwise_dot(left: list[torch.Tensor], right: list[torch.Tensor]) -> torch.Tensor:
    """Per group (leading dimension), the dot product over all weight tensors."""
    return sum((a * b).flatten(start_dim=1).sum(dim=1) for a, b in zip(left, right, strict=True))


def per_group(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (groups,) tensor shaped to broadcast against a (groups, *weight shape) tensor."""
    return values.view(-1, *[1] * (like.ndim - 1))
