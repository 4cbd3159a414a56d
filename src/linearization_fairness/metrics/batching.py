"""Shared plumbing for the measurements: input checks, device placement, eval mode, batches."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


def check_inputs(x: torch.Tensor, y: torch.Tensor, group: torch.Tensor | None, batch_size: int) -> None:
    """Raise ValueError when the sample tensors disagree or the batch size is unusable."""
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be a positive integer")
    if len(x) == 0:
        raise ValueError("x holds no samples; pass at least one sample to measure")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must have shape ({len(x)},) to match x; got {tuple(y.shape)}")
    if y.dtype != torch.int64:
        raise ValueError(f"y must hold int64 class indices; got {y.dtype}")
    if group is None:
        return
    if group.ndim != 1 or len(group) != len(x):
        raise ValueError(f"group must have shape ({len(x)},) to match x; got {tuple(group.shape)}")
    if group.dtype != torch.int64:
        raise ValueError(f"group must hold int64 group ids; got {group.dtype}")


def place_model(model: nn.Module, device: torch.device | str | None) -> torch.device:
    """Move the model (in place) to `device`, or keep it where it is when `device` is None."""
    if device is None:
        first_parameter = next(model.parameters(), None)
        return torch.device("cpu") if first_parameter is None else first_parameter.device
    device = torch.device(device)
    model.to(device)
    return device


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run the body with the model in eval mode, then restore each submodule's own mode.

    Restoring per submodule (not `model.train(flag)`) keeps deliberately frozen BatchNorm layers
    inside a training model frozen.
    """
    previous_modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, was_training in previous_modes:
            module.training = was_training


def batch_slices(num_samples: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices in the given sample order; the last one may be shorter."""
    for start in range(0, num_samples, batch_size):
        yield slice(start, min(start + batch_size, num_samples))


def group_batches(
    x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, batch_size: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int]]]:
    """(x, y) of each batch of `batch_slices` on `device`, with the batch's groups (on the host) and
    the ids present in it. Membership is read on the host once, so a loop needs no device syncs."""
    host_group = group.cpu()
    for batch in batch_slices(len(x), batch_size):
        batch_group = host_group[batch]
        x_batch, y_batch = x[batch].to(device, non_blocking=True), y[batch].to(device, non_blocking=True)
        yield x_batch, y_batch, batch_group, batch_group.unique().tolist()
