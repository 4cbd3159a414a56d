"""Benchmark the per-group Hessian eigenvalue: a loop over groups vs the vectorised version.

Both compute the same thing (per batch and group, power iteration on the group's mean-loss
Hessian; maximum over batches) from the same start vectors. The loop runs one power iteration
per group, one Hessian-vector product at a time, as `metrics/hessian.py` did before it was
vectorised; `group_hessian_top_eigenvalue` runs the groups of a batch together.

Default: the digits-size model of the CPU trial (ResNet 16/32/64, one block per stage, 1x8x8
input, 10 classes = 10 groups), half of its ReLUs linearized, fitted for a few steps to random
data, measured on 450 random test samples with the evaluate stage's default settings:
    PYTHONPATH=src python benchmarks/bench_hessian.py --threads 1
On a GPU:
    PYTHONPATH=src python benchmarks/bench_hessian.py --device cuda --samples 2000 --batch-size 256 \
        --widths 64 128 256 512 --blocks 2 2 2 2 --image-size 32 --channels 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from linearization_fairness.metrics import group_hessian_top_eigenvalue
from linearization_fairness.metrics.weights import functional_state
from linearization_fairness.models import ResNetConfig, build_model, freeze_masks, relu_sites

NUM_CLASSES = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 1, 1])
    parser.add_argument("--image-size", type=int, default=8)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--samples", type=int, default=450, help="test samples measured")
    parser.add_argument("--batch-size", type=int, default=128, help="metrics.hessian_batch_size")
    parser.add_argument("--iters", type=int, default=100, help="metrics.hessian_iters")
    parser.add_argument("--tol", type=float, default=1e-3, help="metrics.hessian_tol")
    parser.add_argument("--fit-steps", type=int, default=100, help="Adam steps on random labels before measuring")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per version (median reported)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 keeps torch's default")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    return parser.parse_args()


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def loop_top_eigenvalue(
    loss: torch.Tensor, weights: list[torch.Tensor], iters: int, tol: float, generator: torch.Generator
) -> tuple[float, int]:
    """Power iteration on one loss, stopping on the residual as the metric does; returns
    (eigenvalue, Hessian-vector products used)."""
    gradients = torch.autograd.grad(loss, weights, create_graph=True, materialize_grads=True)
    vector = [torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device) for w in weights]
    norm = sum((v * v).sum() for v in vector).sqrt()
    vector = [v / norm for v in vector]
    for step in range(1, iters + 1):
        hessian_vector = torch.autograd.grad(
            gradients, weights, grad_outputs=vector, retain_graph=True, materialize_grads=True
        )
        estimate_on_device = sum((v * hv).sum() for v, hv in zip(vector, hessian_vector))
        residual = sum(((hv - estimate_on_device * v) ** 2).sum() for v, hv in zip(vector, hessian_vector)).sqrt()
        norm = sum((hv * hv).sum() for hv in hessian_vector).sqrt()
        eigenvalue, host_residual, host_norm = torch.stack([estimate_on_device, residual, norm]).tolist()
        if host_norm == 0.0:
            return 0.0, step
        vector = [hv / norm for hv in hessian_vector]
        if host_residual <= tol * abs(eigenvalue):
            break
    return eigenvalue, step


def loop_over_groups(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, batch_size: int, iters: int, tol: float
) -> tuple[dict[int, float], list[int]]:
    """Per group, the max over batches of its eigenvalue, one group at a time; and the step counts."""
    weights, constants = functional_state(model)
    for tensor in weights.values():
        tensor.requires_grad_(True)
    generator = torch.Generator().manual_seed(0)
    largest: dict[int, float] = {}
    steps_used = []
    for start in range(0, len(x), batch_size):
        batch = slice(start, start + batch_size)
        losses = F.cross_entropy(functional_call(model, (weights, constants), (x[batch],)), y[batch], reduction="none")
        for group_id in group[batch].unique().tolist():
            group_loss = losses[group[batch] == group_id].mean()
            value, steps = loop_top_eigenvalue(group_loss, list(weights.values()), iters, tol, generator)
            largest[group_id] = max(value, largest.get(group_id, value))
            steps_used.append(steps)
    return largest, steps_used


def fitted_linearized_model(args: argparse.Namespace, x: torch.Tensor, y: torch.Tensor) -> nn.Module:
    """Half of the ReLUs linearized, then a few Adam steps so the Hessian is not that of random weights."""
    torch.manual_seed(0)
    config = ResNetConfig(widths=args.widths, blocks=args.blocks)
    model = build_model(config, tuple(x.shape[1:]), NUM_CLASSES).to(x.device)
    freeze_masks(model, {name: torch.rand(site.shape) > 0.5 for name, site in relu_sites(model)})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for step in range(args.fit_steps):
        batch = slice((step * 64) % len(x), (step * 64) % len(x) + 64)
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


def timed(run: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    synchronize(device)
    started = time.perf_counter()
    result = run()
    synchronize(device)
    return time.perf_counter() - started, result


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    generator = torch.Generator().manual_seed(0)
    shape = (args.channels, args.image_size, args.image_size)
    x = torch.randn(args.samples, *shape, generator=generator).to(device)
    y = torch.randint(0, NUM_CLASSES, (args.samples,), generator=generator).to(device)
    model = fitted_linearized_model(args, x, y)
    settings = dict(batch_size=args.batch_size, iters=args.iters, tol=args.tol)

    # The versions take turns within every repeat, so drifting machine load hits them alike.
    loop_timings, vectorised_timings = [], []
    for _ in range(args.repeats):
        seconds, (loop_values, steps_used) = timed(lambda: loop_over_groups(model, x, y, y, **settings), device)
        loop_timings.append(seconds)
        seconds, vectorised_values = timed(
            lambda: group_hessian_top_eigenvalue(model, x, y, y, seed=0, **settings), device
        )
        vectorised_timings.append(seconds)

    worst_difference = max(
        abs(vectorised_values[g].value - loop_values[g]) / abs(loop_values[g]) for g in loop_values
    )
    print(
        f"== group Hessian top eigenvalue: ResNet {args.widths} x {args.blocks} on {shape}, "
        f"{args.samples} samples, batch {args.batch_size}, iters {args.iters}, tol {args.tol}, "
        f"{device}, {torch.get_num_threads()} threads =="
    )
    print(
        f"power iterations: {len(steps_used)}, Hessian-vector products per iteration: "
        f"mean {statistics.mean(steps_used):.1f}, max {max(steps_used)}"
    )
    loop_time, vectorised_time = statistics.median(loop_timings), statistics.median(vectorised_timings)
    print(f"loop over groups  {loop_time:8.3f} s/model (median of {args.repeats})")
    print(f"vectorised        {vectorised_time:8.3f} s/model (median of {args.repeats})")
    print(f"speed-up          {loop_time / vectorised_time:8.2f}x")
    print(f"largest relative difference of the eigenvalues: {worst_difference:.2e} (tol {args.tol})")


if __name__ == "__main__":
    main()
