"""Benchmark the evaluate stage's measurements: the old convention against the new defaults.

One ResNet18 (SNL's `resnet18` on 3x32x32, 10 classes), fitted for a few epochs through the engine
on random CIFAR-shaped images of a learnable task (a random template per class plus noise), so that
its Hessian is that of a fitted model and not of random weights; then measured by `measure_model`,
the evaluate node's computation, on `--images` test images of the same task, under two settings,
each in a process of its own so that each peak memory is its own:

- old: the diagnostics on the whole test split, every power iteration a fixed `--old-iters`
  Hessian-vector products (the convention before: the paper's 100, the default run's 20; kept
  small here, one product on 200 CIFAR images taking tens of seconds on a CPU);
- new: the `evaluate:` block of conf/paper: the diagnostics on a stratified share of each group,
  power iterations stopped by their residual.
Both use conf/paper's batch sizes, so the two differ only by the samples and the stopping rule.

Printed per setting: the wall time of measure_model and of each measurement, the Hessian products
of the longest power iteration, the groups whose value converged, and the peak resident memory of
the process (ru_maxrss) and its rise while measuring. Then the time ratio, and the old setting at
the paper's 100 fixed products, projected from its measured Hessian time per product.

    PYTHONPATH=src python benchmarks/bench_evaluate.py        # about 4 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

from linearization_fairness.metrics import MetricsConfig
from linearization_fairness.metrics.table import measure_model
from linearization_fairness.models import StandardResNetConfig, build_model
from linearization_fairness.training import TrainConfig, train

NUM_CLASSES = 10
SHAPE = (3, 32, 32)
PAPER_PARAMETERS = Path(__file__).resolve().parents[1] / "conf" / "paper" / "parameters.yml"
# A residual test no float32 power iteration meets: every one runs exactly `hessian_iters` products.
NEVER_CONVERGED = 1e-30
PAPER_FIXED_ITERS = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200, help="test images measured")
    parser.add_argument("--old-iters", type=int, default=3, help="fixed Hessian-vector products of the old setting")
    parser.add_argument("--fit-images", type=int, default=1024)
    parser.add_argument("--fit-epochs", type=int, default=3)
    parser.add_argument("--child", choices=["old", "new"], help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def task(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, y, group) of the learnable task; the templates are the same for every seed."""
    templates = torch.randn(NUM_CLASSES, *SHAPE, generator=torch.Generator().manual_seed(0))
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, NUM_CLASSES, (count,), generator=generator)
    x = torch.randn(count, *SHAPE, generator=generator) + 0.5 * templates[y]
    return x, y, y


def resnet18() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(StandardResNetConfig(arch="resnet18"), SHAPE, NUM_CLASSES)


def settings(name: str, old_iters: int) -> MetricsConfig:
    paper = yaml.safe_load(PAPER_PARAMETERS.read_text())["experiments"]["cifar10_resnet18"]["evaluate"]
    if name == "new":
        return MetricsConfig(**paper)
    return MetricsConfig(**{**paper, "diagnostics_per_group": None, "hessian_iters": old_iters, "hessian_tol": NEVER_CONVERGED})


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


class Seconds(logging.Handler):
    """Keeps the per-measurement seconds that measure_model attaches to its log record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.seconds.update(getattr(record, "seconds", {}))


def child(args: argparse.Namespace) -> None:
    """Measure the saved model under one setting; print one JSON line."""
    model = resnet18()
    model.load_state_dict(torch.load(args.state, weights_only=True))
    test = task(args.images, seed=2)
    config = settings(args.child, args.old_iters)
    handler = Seconds()
    table_logger = logging.getLogger("linearization_fairness.metrics.table")
    table_logger.addHandler(handler)
    table_logger.setLevel(logging.DEBUG)
    before = peak_rss_mib()
    started = time.perf_counter()
    groups, _, _ = measure_model(model, model, test, [f"class {c}" for c in range(NUM_CLASSES)], config, "cpu")
    total = time.perf_counter() - started
    print(json.dumps({
        "total": total,
        "seconds": handler.seconds,
        "diagnostics_n": int(groups["diagnostics_n"].sum()),
        "hessian_batches": -(-int(groups["diagnostics_n"].sum()) // config.hessian_batch_size),
        "hessian_iters": int(groups["hessian_iters"].max()),
        "converged": int(groups["hessian_converged"].sum()),
        "groups": len(groups),
        "rss_before": before,
        "rss_peak": peak_rss_mib(),
    }))  # fmt: skip


def run_child(name: str, state: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", name, "--state", str(state),
               "--images", str(args.images), "--old-iters", str(args.old_iters)]  # fmt: skip
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    started = time.perf_counter()
    model = resnet18()
    fit = TrainConfig(lr=0.05, epochs=args.fit_epochs, batch_size=128, progress=False, device="cpu")
    result = train(model, task(args.fit_images, seed=1), task(64, seed=3), fit)
    fitted_at = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "resnet18.pt"
        torch.save(result.model.state_dict(), state)
        results = {name: run_child(name, state, args) for name in ("old", "new")}

    history = result.history.iloc[-1]
    print(
        f"== evaluate: ResNet18 on {args.images} CIFAR-shaped test images, cpu, {torch.get_num_threads()} threads; "
        f"fitted in {fitted_at:.0f} s to train loss {history['train_loss']:.3f}, val accuracy {history['val_accuracy']:.2f} =="
    )
    for name, measured in results.items():
        config = settings(name, args.old_iters)
        rule = (f"fixed {args.old_iters} products" if name == "old"
                else f"residual <= {config.hessian_tol:g} |lambda|, at most {config.hessian_iters}")  # fmt: skip
        parts = ", ".join(f"{part} {took:.1f} s" for part, took in measured["seconds"].items())
        print(f"{name}: diagnostics on {measured['diagnostics_n']} images, Hessian {rule}")
        print(f"  measure_model {measured['total']:7.1f} s  ({parts})")
        print(f"  Hessian: longest power iteration {measured['hessian_iters']} products, "
              f"{measured['converged']} of {measured['groups']} groups converged")  # fmt: skip
        rise = measured["rss_peak"] - measured["rss_before"]
        print(f"  peak RSS {measured['rss_peak']:7.0f} MiB (+{rise:.0f} MiB while measuring)")
    old, new = results["old"], results["new"]
    print(f"time ratio old / new: {old['total'] / new['total']:.2f}x")
    # With fixed products the Hessian's time is linear in their count (one graph build per batch aside).
    per_product = old["seconds"]["Hessian"] / (args.old_iters * old["hessian_batches"])
    projected = old["total"] + old["seconds"]["Hessian"] * (PAPER_FIXED_ITERS / args.old_iters - 1)
    print(
        f"old at the paper's {PAPER_FIXED_ITERS} fixed products (projected, {per_product:.1f} s per product measured): "
        f"{projected:.0f} s, {projected / new['total']:.1f}x the new defaults"
    )


if __name__ == "__main__":
    main()
