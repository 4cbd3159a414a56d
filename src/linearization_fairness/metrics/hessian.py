"""Dominant eigenvalue of each group's loss Hessian w.r.t. the weights theta, by power iteration.

Power iteration on Hessian-vector products converges to the eigenvalue of largest MAGNITUDE;
its sign is kept (the Rayleigh quotient v.Hv), so a saddle with a dominant negative direction
gives a negative value. Near a trained minimum the dominant eigenvalue is the largest positive
one, which is what the paper's lambda_max bound uses. Convergence is slow when the two
largest-magnitude eigenvalues are close (in particular lambda and -lambda); `iters` caps it.

Vectorised over groups: one Hessian-vector product per group and iteration would pay the
network's per-op overhead once per group, on tiny tensors. Instead, in each batch every group
gets its own copy of theta (a stride-0 view, no copy in memory) and its own sub-batch (its
members, padded to the largest group's count), and `torch.func.vmap` runs all groups in one
forward pass. Since group g's loss depends only on its copy theta_g, one double-backward pass
gives every group's own H_g v_g at once. The gradient graph is built once and reused by every
iteration; when half of its groups have converged it is rebuilt for the remaining ones, so
finished groups stop costing compute. Each group still follows its own power iteration (own
start vector, own stopping test), so the result is that of a loop over the groups.

Memory: a batch holds activations and the double-backward graph for (groups in the batch) x
(largest group's count in the batch) samples, at most groups x batch_size. For the 10 class
groups of imbalanced CIFAR-10 (largest class 18% of the samples) that is about 2 x batch_size,
~550 samples for a batch of 256: fine on a GPU. Add four (groups, *theta) tensors (gradient,
vector, product, next vector): ~2 GB in float32 for ResNet18 (11M weights) with 10 groups.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from linearization_fairness.metrics.batching import batch_slices, check_inputs, evaluation_mode, place_model
from linearization_fairness.metrics.weights import functional_state

# (per-group weights, (groups, n, ...) inputs, (groups, n) labels) -> (groups, n) per-sample losses
GroupSampleLosses = Callable[[dict[str, torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor]


def _rowwise_dot(left: list[torch.Tensor], right: list[torch.Tensor]) -> torch.Tensor:
    """Per group (leading dimension), the dot product over all weight tensors."""
    return sum((a * b).flatten(start_dim=1).sum(dim=1) for a, b in zip(left, right, strict=True))


def _per_group(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (groups,) tensor shaped to broadcast against a (groups, *weight shape) tensor."""
    return values.view(-1, *[1] * (like.ndim - 1))


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
    norms = _rowwise_dot(stacked, stacked).sqrt()
    return [v / _per_group(norms, v) for v in stacked]


def _padded_members(batch_group: torch.Tensor, group_ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(groups, n_max) sample indices into the batch and the mask of real members.

    Padding repeats the group's first member; the mask keeps those copies out of the group's loss.
    """
    members = [(batch_group == group_id).nonzero().squeeze(1) for group_id in group_ids]
    longest = max(len(m) for m in members)
    index = torch.stack([torch.cat([m, m[:1].expand(longest - len(m))]) for m in members])
    is_member = torch.stack([torch.arange(longest) < len(m) for m in members])
    return index, is_member


def _batch_eigenvalues(
    group_sample_losses: GroupSampleLosses,
    weights: dict[str, torch.Tensor],
    x_batch: torch.Tensor,
    y_batch: torch.Tensor,
    batch_group: torch.Tensor,
    group_ids: list[int],
    vectors: list[torch.Tensor],
    iters: int,
    tol: float,
) -> list[float]:
    """Dominant eigenvalue of each listed group's mean-loss Hessian on one batch.

    Each group follows exactly the per-group power iteration: it stops when the relative change
    of its estimate drops below `tol`, or after `iters` products; a zero product gives 0.0.
    """
    eigenvalues: list[float | None] = [None] * len(group_ids)
    active = list(range(len(group_ids)))  # positions in group_ids still iterating
    steps = 0
    while active and steps < iters:
        graph_rows = active  # the graph's row r belongs to group_ids[graph_rows[r]]
        index, is_member = _padded_members(batch_group, [group_ids[position] for position in graph_rows])
        index, is_member = index.to(x_batch.device), is_member.to(x_batch.device)
        group_weights = {
            name: w.expand(len(graph_rows), *w.shape).requires_grad_(True) for name, w in weights.items()
        }
        weight_list = list(group_weights.values())
        losses = group_sample_losses(group_weights, x_batch[index], y_batch[index])
        group_losses = losses.where(is_member, 0).sum(dim=1) / is_member.sum(dim=1)
        # theta_g only reaches group g's loss, so the gradient of the sum is every group's own gradient.
        gradients = torch.autograd.grad(group_losses.sum(), weight_list, create_graph=True, materialize_grads=True)
        while active and steps < iters and len(active) > len(graph_rows) // 2:
            hessian_vectors = torch.autograd.grad(
                gradients, weight_list, grad_outputs=vectors, retain_graph=True, materialize_grads=True
            )
            estimates = _rowwise_dot(vectors, hessian_vectors)
            norms = _rowwise_dot(hessian_vectors, hessian_vectors).sqrt()
            # One host sync per iteration: the convergence tests need every group's two values.
            host_estimates, host_norms = torch.stack([estimates, norms]).tolist()
            steps += 1
            still_active = []
            for row, position in enumerate(graph_rows):
                if position not in active:
                    continue
                if host_norms[row] == 0.0:
                    eigenvalues[position] = 0.0
                    continue
                previous, estimate = eigenvalues[position], host_estimates[row]
                eigenvalues[position] = estimate
                converged = previous is not None and abs(estimate - previous) <= tol * (abs(previous) + 1e-12)
                if not converged:
                    still_active.append(position)
            active = still_active
            # Finished groups' rows ride along until the rebuild; the clamp keeps a zero product's
            # row from turning into NaN.
            safe_norms = norms.clamp_min(torch.finfo(norms.dtype).tiny)
            vectors = [hv / _per_group(safe_norms, hv) for hv in hessian_vectors]
        kept_rows = [row for row, position in enumerate(graph_rows) if position in active]
        kept = torch.tensor(kept_rows, dtype=torch.long, device=x_batch.device)
        vectors = [v.index_select(0, kept) for v in vectors]
    return eigenvalues


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
    vectors (per batch, group by group in increasing id order), so results are reproducible.
    A group's power iteration stops when the relative change of its estimate is at most `tol`,
    or after `iters` Hessian-vector products. The groups of a batch are computed together (see
    the module docstring for the memory this takes).
    """
    check_inputs(x, y, group, batch_size)
    if iters < 1:
        raise ValueError(f"iters={iters} must be a positive integer")
    if tol <= 0:
        raise ValueError(f"tol={tol} must be positive")
    device = place_model(model, device)
    weights, constants = functional_state(model)

    def sample_losses(
        group_weights: dict[str, torch.Tensor], inputs: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        logits = functional_call(model, (group_weights, constants), (inputs,))
        return F.cross_entropy(logits, labels, reduction="none")

    group_sample_losses = vmap(sample_losses)
    generator = torch.Generator().manual_seed(seed)
    host_group = group.cpu()
    largest: dict[int, float] = {}
    with evaluation_mode(model):
        for batch in batch_slices(len(x), batch_size):
            batch_group = host_group[batch]
            group_ids = batch_group.unique().tolist()
            eigenvalues = _batch_eigenvalues(
                group_sample_losses,
                weights,
                x[batch].to(device, non_blocking=True),
                y[batch].to(device, non_blocking=True),
                batch_group,
                group_ids,
                _start_vectors(weights, len(group_ids), generator),
                iters,
                tol,
            )
            for group_id, eigenvalue in zip(group_ids, eigenvalues, strict=True):
                largest[group_id] = max(eigenvalue, largest.get(group_id, eigenvalue))
    return dict(sorted(largest.items()))
