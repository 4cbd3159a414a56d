"""Dominant eigenvalue of each group's loss Hessian w.r.t. the weights theta, by power iteration.

Power iteration on Hessian-vector products converges to the eigenvalue of largest MAGNITUDE;
its sign is kept (the Rayleigh quotient v.Hv), so a saddle with a dominant negative direction
gives a negative value. Near a trained minimum the dominant eigenvalue is the largest positive
one, which is what the paper's lambda_max bound uses. Convergence is slow when the two
largest-magnitude eigenvalues are close (in particular lambda and -lambda); `iters` caps it.

Hessian-vector products use double backward: the gradient graph is built once per
(batch, group) and reused by every iteration.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from linearization_fairness.metrics.batching import batch_slices, check_inputs, evaluation_mode, place_model
from linearization_fairness.metrics.weights import functional_state


def _dot(left: list[torch.Tensor], right: list[torch.Tensor]) -> torch.Tensor:
    return sum((a * b).sum() for a, b in zip(left, right, strict=True))


def top_eigenvalue(
    loss: torch.Tensor,
    weights: list[torch.Tensor],
    iters: int,
    tol: float,
    generator: torch.Generator,
) -> float:
    """Dominant eigenvalue of the Hessian of `loss` w.r.t. `weights` (leaves with requires_grad).

    Stops when the relative change of the estimate drops below `tol`, or after `iters` steps.
    The start vector is drawn on the CPU from `generator`, so a seed gives the same start on any
    device.
    """
    gradients = torch.autograd.grad(loss, weights, create_graph=True, materialize_grads=True)
    vector = [torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device) for w in weights]
    norm = _dot(vector, vector).sqrt()
    vector = [v / norm for v in vector]
    eigenvalue = None
    for _ in range(iters):
        hessian_vector = torch.autograd.grad(
            gradients, weights, grad_outputs=vector, retain_graph=True, materialize_grads=True
        )
        estimate_on_device = _dot(vector, hessian_vector)
        norm = _dot(hessian_vector, hessian_vector).sqrt()
        # One host sync per iteration: the convergence test needs both values.
        estimate, host_norm = torch.stack([estimate_on_device, norm]).tolist()
        if host_norm == 0.0:
            return 0.0
        vector = [hv / norm for hv in hessian_vector]
        converged = eigenvalue is not None and abs(estimate - eigenvalue) <= tol * (abs(eigenvalue) + 1e-12)
        eigenvalue = estimate
        if converged:
            break
    return eigenvalue


def group_hessian_top_eigenvalue(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    group: torch.Tensor,
    batch_size: int,
    iters: int = 100,
    tol: float = 1e-3,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> dict[int, float]:
    """Per group, the maximum over batches of the dominant eigenvalue of the group's batch Hessian.

    As in the authors' code: the samples are cut into consecutive batches of `batch_size` in the
    order given; in each batch, for each group present, the loss is that group's mean
    cross-entropy over its samples in the batch; the group's value is the maximum of its
    per-batch eigenvalues. Model in eval mode. One generator seeded with `seed` draws all start
    vectors, so results are reproducible.
    """
    check_inputs(x, y, group, batch_size)
    if iters < 1:
        raise ValueError(f"iters={iters} must be a positive integer")
    if tol <= 0:
        raise ValueError(f"tol={tol} must be positive")
    device = place_model(model, device)
    weights, constants = functional_state(model)
    for tensor in weights.values():
        tensor.requires_grad_(True)
    weight_list = list(weights.values())
    generator = torch.Generator().manual_seed(seed)
    host_group = group.cpu()
    largest: dict[int, float] = {}
    with evaluation_mode(model):
        for batch in batch_slices(len(x), batch_size):
            logits = functional_call(model, (weights, constants), (x[batch].to(device, non_blocking=True),))
            losses = F.cross_entropy(logits, y[batch].to(device, non_blocking=True), reduction="none")
            batch_group = host_group[batch]
            for group_id in batch_group.unique().tolist():
                members = (batch_group == group_id).nonzero().squeeze(1).to(device, non_blocking=True)
                group_loss = losses[members].mean()
                eigenvalue = top_eigenvalue(group_loss, weight_list, iters, tol, generator)
                largest[group_id] = max(eigenvalue, largest.get(group_id, eigenvalue))
    return dict(sorted(largest.items()))
