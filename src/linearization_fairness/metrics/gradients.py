"""Gradient norms of the cross-entropy loss with respect to the weights theta.

theta is defined in `metrics/weights.py` (all parameters except linearization masks). Both
functions run the model in eval mode (BatchNorm uses its running statistics, dropout is off)
through `torch.func.functional_call` on detached copies of the weights, so they neither need
`requires_grad` on the model nor touch its `.grad` fields.
"""

from collections import defaultdict

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

from linearization_fairness.metrics.batching import batch_slices, check_inputs, evaluation_mode, group_batches, place_model
from linearization_fairness.metrics.grouped import group_mean_losses, group_sample_losses, rowwise_dot
from linearization_fairness.metrics.weights import functional_state


def group_mean_loss_grad_norm(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    group: torch.Tensor,
    batch_size: int,
    device: torch.device | str | None = None,
) -> dict[int, float]:
    """Per group, the batch-averaged norm of the gradient of the group's mean loss (authors' measure).

    Batch convention: the samples are cut into consecutive batches of `batch_size` in the order
    given (no shuffling; the last batch may be shorter). In each batch, for each group with at
    least one sample in it, the gradient of that group's mean cross-entropy over its samples in
    the batch is taken w.r.t. all of theta, and its L2 norm recorded. A group's value is the
    unweighted mean of its recorded norms over the batches where it appears. The value therefore
    depends on batch_size (a mean over fewer samples has a larger norm): compare models at the
    same batch size and order. All groups of a batch take one forward and one backward pass
    (see `metrics/grouped.py`).
    """
    check_inputs(x, y, group, batch_size)
    device = place_model(model, device)
    weights, constants = functional_state(model)
    losses_of = group_sample_losses(model, constants)
    norm_sums: dict[int, torch.Tensor] = {}
    batch_counts: dict[int, int] = defaultdict(int)
    with evaluation_mode(model):
        for x_batch, y_batch, batch_group, group_ids in group_batches(x, y, group, batch_size, device):
            weight_list, group_losses = group_mean_losses(losses_of, weights, x_batch, y_batch, batch_group, group_ids)
            # theta_g only reaches group g's loss, so the gradient of the sum is every group's own gradient.
            gradients = torch.autograd.grad(group_losses.sum(), weight_list, materialize_grads=True)
            norms = rowwise_dot(gradients, gradients).sqrt()
            for row, group_id in enumerate(group_ids):
                norm_sums[group_id] = norm_sums[group_id] + norms[row] if group_id in norm_sums else norms[row]
                batch_counts[group_id] += 1
    return {group_id: (norm_sums[group_id] / batch_counts[group_id]).item() for group_id in sorted(norm_sums)}


def per_sample_grad_norms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """L2 norm over theta of each sample's own loss gradient, shape (N,), on the CPU.

    Vectorised with torch.func (vmap over grad of a one-sample loss). In eval mode BatchNorm
    normalises with its running statistics, so each sample's loss depends on that sample only.
    Memory per batch is batch_size times the number of weights: keep batch_size small for big
    models.
    """
    check_inputs(x, y, None, batch_size)
    device = place_model(model, device)
    weights, constants = functional_state(model)

    def sample_loss(weights: dict[str, torch.Tensor], sample: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, (weights, constants), (sample.unsqueeze(0),))
        return F.cross_entropy(logits, label.unsqueeze(0))

    per_sample_gradients = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    norms = []
    with evaluation_mode(model):
        for batch in batch_slices(len(x), batch_size):
            gradients = per_sample_gradients(
                weights, x[batch].to(device, non_blocking=True), y[batch].to(device, non_blocking=True)
            )
            squared = sum(g.flatten(start_dim=1).square().sum(dim=1) for g in gradients.values())
            norms.append(squared.sqrt())
    return torch.cat(norms).cpu()


def group_means(values: torch.Tensor, group: torch.Tensor) -> dict[int, float]:
    """Mean of a per-sample quantity (e.g. `per_sample_grad_norms`) per group id present."""
    if values.shape != group.shape:
        raise ValueError(f"values {tuple(values.shape)} and group {tuple(group.shape)} must have the same shape")
    values, group = values.cpu(), group.cpu()
    return {group_id: values[group == group_id].mean().item() for group_id in group.unique().tolist()}
