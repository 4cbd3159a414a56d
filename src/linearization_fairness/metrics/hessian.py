"""Dominant eigenvalue of each group's loss Hessian w.r.t. the weights theta, by power iteration.

Power iteration on Hessian-vector products converges to the eigenvalue of largest MAGNITUDE;
its sign is kept (the Rayleigh quotient v.Hv), so a saddle with a dominant negative direction
gives a negative value. Near a trained minimum the dominant eigenvalue is the largest positive
one, which is what the paper's lambda_max bound uses.

Stopping rule: the residual. For a unit vector v and lambda = v.Hv, some eigenvalue of the
symmetric H lies within ||Hv - lambda v|| of lambda, so a residual of at most tol * |lambda|
bounds the relative error. A small change of lambda between steps bounds nothing: when the two
largest-magnitude eigenvalues are close (in particular lambda and -lambda) lambda creeps up by
less than a tolerance per step while still far below the top, and a change-based test stops
there, on the plateau, with an under-estimate. The residual costs no extra product. A power
iteration that reaches `iters` products first is reported as not converged.

All groups of a batch run together (see `metrics/grouped.py`): one double-backward pass gives
every group's own H_g v_g. The gradient graph is built once and reused by every iteration; when
half of its groups have converged it is rebuilt for the remaining ones, so finished groups stop
costing compute. Each group still follows its own power iteration (own start vector, own stopping
test), so the result is that of a loop over the groups. Memory: that of `grouped.py`'s forward
pass with its double-backward graph, plus four (groups, *theta) tensors (gradient, vector,
product, next vector): ~2 GB in float32 for ResNet18 (11M weights) with 10 groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from linearization_fairness.metrics.batching import check_inputs, evaluation_mode, group_batches, place_model
from linearization_fairness.metrics.grouped import (
    GroupSampleLosses,
    group_mean_losses,
    group_sample_losses,
    per_group,
    rowwise_dot,
)
from linearization_fairness.metrics.weights import functional_state


@dataclass(frozen=True)
class TopEigenvalue:
    """A group's value, and how far the power iterations behind it got."""

    value: float
    iterations: int  # Hessian-vector products of the longest of its power iterations
    converged: bool  # every one of its power iterations met the residual test


def _start_vectors(
    weights: dict[str, torch.Tensor], num_groups: int, generator: torch.Generator
) -> list[torch.Tensor]:
    """Unit random start vectors, one per group, stacked per weight tensor: (groups, *weight shape).

    Drawn on the CPU group after group, weight tensor after weight tensor, so a seed gives the
    same start vectors on any device and as a loop over the groups would.
    """
    draws = [
        [torch.randn(w.shape, generator=generator, dtype=w.dtype) for w in weights.values()]
        for _ in range(num_groups)
    ]
    stacked = [torch.stack(per_weight).to(w.device) for per_weight, w in zip(zip(*draws), weights.values())]
    norms = rowwise_dot(stacked, stacked).sqrt()
    return [v / per_group(norms, v) for v in stacked]


def _residual_norms(vectors: list[torch.Tensor], products: list[torch.Tensor], estimates: torch.Tensor) -> torch.Tensor:
    """Per group, ||Hv - lambda v||, one weight tensor at a time.

    Computed directly rather than as sqrt(||Hv||^2 - lambda^2), which cancels to noise in float32
    just where the test needs it, at residuals near 1e-3 * lambda.
    """
    squares = (
        (hv - per_group(estimates, hv) * v).flatten(start_dim=1).square().sum(dim=1)
        for v, hv in zip(vectors, products, strict=True)
    )
    return sum(squares).sqrt()


def _batch_eigenvalues(
    losses_of: GroupSampleLosses,
    weights: dict[str, torch.Tensor],
    x_batch: torch.Tensor,
    y_batch: torch.Tensor,
    batch_group: torch.Tensor,
    group_ids: list[int],
    vectors: list[torch.Tensor],
    iters: int,
    tol: float,
) -> list[TopEigenvalue]:
    """Dominant eigenvalue of each listed group's mean-loss Hessian on one batch.

    Each group follows exactly the per-group power iteration: it stops when its residual is at
    most `tol` times its estimate, or after `iters` products; a zero product gives 0.0 (H v = 0 for
    a random v means H = 0).
    """
    estimates_so_far: list[float | None] = [None] * len(group_ids)
    steps_taken = [0] * len(group_ids)
    converged = [False] * len(group_ids)
    active = list(range(len(group_ids)))  # positions in group_ids still iterating
    steps = 0
    while active and steps < iters:
        graph_rows = active  # the graph's row r belongs to group_ids[graph_rows[r]]
        weight_list, group_losses = group_mean_losses(
            losses_of, weights, x_batch, y_batch, batch_group, [group_ids[position] for position in graph_rows]
        )
        # theta_g only reaches group g's loss, so the gradient of the sum is every group's own gradient.
        gradients = torch.autograd.grad(group_losses.sum(), weight_list, create_graph=True, materialize_grads=True)
        while active and steps < iters and len(active) > len(graph_rows) // 2:
            products = torch.autograd.grad(
                gradients, weight_list, grad_outputs=vectors, retain_graph=True, materialize_grads=True
            )
            estimates = rowwise_dot(vectors, products)
            norms = rowwise_dot(products, products).sqrt()
            residuals = _residual_norms(vectors, products, estimates)
            # One host sync per iteration: the stopping tests need every group's values.
            host_estimates, host_norms, host_residuals = torch.stack([estimates, norms, residuals]).tolist()
            steps += 1
            still_active = []
            for row, position in enumerate(graph_rows):
                if position not in active:
                    continue
                steps_taken[position] = steps
                if host_norms[row] == 0.0:
                    estimates_so_far[position], converged[position] = 0.0, True
                    continue
                estimates_so_far[position] = host_estimates[row]
                if host_residuals[row] <= tol * abs(host_estimates[row]):
                    converged[position] = True
                else:
                    still_active.append(position)
            active = still_active
            # Finished groups' rows ride along until the rebuild; the clamp keeps a zero product's
            # row from turning into NaN.
            safe_norms = norms.clamp_min(torch.finfo(norms.dtype).tiny)
            vectors = [hv / per_group(safe_norms, hv) for hv in products]
        kept_rows = [row for row, position in enumerate(graph_rows) if position in active]
        kept = torch.tensor(kept_rows, dtype=torch.long, device=x_batch.device)
        vectors = [v.index_select(0, kept) for v in vectors]
    return [
        TopEigenvalue(value, iterations, done)
        for value, iterations, done in zip(estimates_so_far, steps_taken, converged, strict=True)
    ]


def group_hessian_top_eigenvalue(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    group: torch.Tensor,
    batch_size: int,
    iters: int = 300,
    tol: float = 1e-3,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> dict[int, TopEigenvalue]:
    """Per group, the maximum over batches of the dominant eigenvalue of the group's batch Hessian.

    As in the authors' code: the samples are cut into consecutive batches of `batch_size` in the
    order given; in each batch, for each group present, the loss is that group's mean
    cross-entropy over its samples in the batch; the group's value is the maximum of its
    per-batch eigenvalues. Model in eval mode. One generator seeded with `seed` draws all start
    vectors (per batch, group by group in increasing id order), so results are reproducible.
    A group's power iteration stops when its residual ||Hv - lambda v|| is at most
    `tol` * |lambda|, or after `iters` Hessian-vector products; the group's `converged` says
    whether every one of its batches stopped on the residual. The groups of a batch are computed
    together (see the module docstring for the memory this takes).
    """
    check_inputs(x, y, group, batch_size)
    if iters < 1:
        raise ValueError(f"iters={iters} must be a positive integer")
    if tol <= 0:
        raise ValueError(f"tol={tol} must be positive")
    device = place_model(model, device)
    weights, constants = functional_state(model)
    losses_of = group_sample_losses(model, constants)
    generator = torch.Generator().manual_seed(seed)
    per_batch: dict[int, list[TopEigenvalue]] = {}
    with evaluation_mode(model):
        for x_batch, y_batch, batch_group, group_ids in group_batches(x, y, group, batch_size, device):
            eigenvalues = _batch_eigenvalues(
                losses_of,
                weights,
                x_batch,
                y_batch,
                batch_group,
                group_ids,
                _start_vectors(weights, len(group_ids), generator),
                iters,
                tol,
            )
            for group_id, eigenvalue in zip(group_ids, eigenvalues, strict=True):
                per_batch.setdefault(group_id, []).append(eigenvalue)
    return {
        group_id: TopEigenvalue(
            value=max(e.value for e in estimates),
            iterations=max(e.iterations for e in estimates),
            converged=all(e.converged for e in estimates),
        )
        for group_id, estimates in sorted(per_batch.items())
    }
