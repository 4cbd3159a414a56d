"""Benchmark the cost of maskable ReLUs and the speed of the training engine.

1. Train-step time of a ResNet whose sites are plain nn.ReLU vs the same network with
   MaskableReLU sites in "relu", "frozen" (all-ones binary masks) and "train" mode.
   Target: frozen / plain <= 1.15.
2. (CUDA by default) one epoch of the engine vs a straightforward fp32 loop over a torch
   DataLoader with a .item() per step (the authors' style), on random CIFAR-sized images.

Small CPU run (about a minute):
    PYTHONPATH=src python benchmarks/bench_engine.py --arch resnet --image-size 16 --batch-size 32 \
        --steps 5 --repeats 5 --compare-loops on --loop-images 1024
Full GPU run:
    PYTHONPATH=src python benchmarks/bench_engine.py
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from linearization_fairness.models import MaskableReLU, ModelConfig, build_model, model_config, relu_sites, set_mask_mode
from linearization_fairness.training import TrainConfig, resolve_device, train

NUM_CLASSES = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet"])
    parser.add_argument("--width-multiplier", type=float, default=1.0)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20, help="train steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per variant (median reported)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--compare-loops", default="auto", choices=["auto", "on", "off"], help="auto: only on CUDA")
    parser.add_argument("--loop-images", type=int, default=50_000)
    return parser.parse_args()


def with_plain_relus(model: nn.Module) -> nn.Module:
    """A copy of `model` whose every MaskableReLU is an ordinary nn.ReLU."""
    plain = copy.deepcopy(model)
    for name, _ in relu_sites(plain):
        parent_name, _, child_name = name.rpartition(".")
        setattr(plain.get_submodule(parent_name), child_name, nn.ReLU())
    assert not any(isinstance(module, MaskableReLU) for module in plain.modules())
    return plain


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def step_seconds(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, device: torch.device) -> float:
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3, momentum=0.9)
    synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        with autocast(device):
            loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    synchronize(device)
    return (time.perf_counter() - started) / steps


def benchmark_masks(args: argparse.Namespace, config: ModelConfig, device: torch.device) -> None:
    in_shape = (3, args.image_size, args.image_size)
    torch.manual_seed(0)
    masked = build_model(config, in_shape, NUM_CLASSES)
    variants = {"plain nn.ReLU": with_plain_relus(masked)}
    for mode in ("relu", "frozen", "train"):
        variant = copy.deepcopy(masked)
        set_mask_mode(variant, mode)  # frozen masks start all ones: the same function as ReLU
        variants[f"MaskableReLU {mode}"] = variant
    for model in variants.values():
        model.to(device).train()
        if device.type == "cuda":
            model.to(memory_format=torch.channels_last)
    x = torch.randn(args.batch_size, *in_shape, device=device)
    if device.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, NUM_CLASSES, (args.batch_size,), device=device)

    for model in variants.values():
        step_seconds(model, x, y, 2, device)  # warm-up: allocator, cuDNN autotuning
    # Variants take turns within every repeat, so drifting machine load hits them all alike.
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, model in variants.items():
            timings[name].append(step_seconds(model, x, y, args.steps, device))

    plain = statistics.median(timings["plain nn.ReLU"])
    print(f"\n== train step, {args.arch} x{args.width_multiplier} on {in_shape}, batch {args.batch_size}, {device} ==")
    for name, samples in timings.items():
        median = statistics.median(samples)
        print(f"{name:<22} {median * 1e3:9.2f} ms/step   {median / plain:5.3f}x plain")


def authors_style_epoch(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, device: torch.device
) -> float:
    """fp32, DataLoader batches copied to the device each step, a host sync per step."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, num_workers=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.train()
    synchronize(device)
    started = time.perf_counter()
    running_loss = 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    synchronize(device)
    return time.perf_counter() - started


def benchmark_loops(args: argparse.Namespace, config: ModelConfig, device: torch.device) -> None:
    in_shape = (3, args.image_size, args.image_size)
    x = torch.randn(args.loop_images, *in_shape)
    y = torch.randint(0, NUM_CLASSES, (args.loop_images,))
    val_size = min(args.batch_size, args.loop_images)  # the engine validates every epoch; keep that small
    val = (x[:val_size], y[:val_size], y[:val_size])

    torch.manual_seed(0)
    model = build_model(config, in_shape, NUM_CLASSES).to(device)
    authors_style_epoch(model, x, y, args.batch_size, device)  # warm-up epoch
    baseline = authors_style_epoch(model, x, y, args.batch_size, device)

    # Two epochs, the second one timed: the first pays for cuDNN autotuning and allocation.
    engine_config = TrainConfig(
        epochs=2, batch_size=args.batch_size, lr=0.1, schedule="constant", device=device.type, progress=False
    )
    torch.manual_seed(0)
    history = train(build_model(config, in_shape, NUM_CLASSES), (x, y, y), val, engine_config).history
    engine = float(history["seconds"].iloc[1])

    print(f"\n== one epoch of {args.loop_images} images, batch {args.batch_size}, {device} ==")
    print(f"DataLoader fp32 loop   {baseline:8.2f} s   {args.loop_images / baseline:9.0f} images/s")
    print(f"engine (+{val_size} val images) {engine:7.2f} s   {args.loop_images / engine:9.0f} images/s")
    print(f"speed-up               {baseline / engine:8.2f}x")


def main() -> None:
    args = parse_args()
    device = resolve_device(args.device)
    # ModelConfig is a union type: validating a dict picks the class of the architecture.
    config = model_config({"arch": args.arch, "width_multiplier": args.width_multiplier})
    benchmark_masks(args, config, device)
    if args.compare_loops == "on" or (args.compare_loops == "auto" and device.type == "cuda"):
        benchmark_loops(args, config, device)


if __name__ == "__main__":
    main()
