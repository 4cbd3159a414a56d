"""The one training loop: base training, SNL mask search, KD finetuning and fairness-aware
finetuning all run through `train`, differing only in their `Objective` and `TrainConfig`.

Design (after airbench): the whole data set lives on the device, batches are gathered by
index, and on CUDA the forward pass runs in bf16 autocast with channels_last tensors. The
loop never reads a GPU value per step: losses and hit counts accumulate on the device and
are read once per epoch, which is also when a non-finite loss is detected. On the CPU a run
is deterministic: shuffling and augmentation draw from a generator seeded by (seed, epoch),
so an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from linearization_fairness.models.artifact import atomic_torch_save, load_tensors, portable_state_dict
from linearization_fairness.training.augment import crop_and_flip, draw_crops_and_flips
from linearization_fairness.training.config import EXECUTION_ONLY_FIELDS, TrainConfig
from linearization_fairness.training.objectives import CrossEntropy, Objective

logger = logging.getLogger(__name__)

Split = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # (x, y, group)
CHECKPOINT_FORMAT_VERSION = 2


# What the progress bar calls the training in progress; the pipeline sets it to the node's name.
training_label: contextvars.ContextVar[str] = contextvars.ContextVar("training_label", default="train")


class NonFiniteLossError(RuntimeError):
    pass


@dataclass
class TrainResult:
    model: nn.Module  # holds the weights of best_epoch, in eval mode
    history: pd.DataFrame  # one row per epoch
    best_epoch: int  # 1-based
    stopped_reason: str  # "completed", or why the objective stopped early


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device='cuda' but no CUDA GPU is visible; use device 'auto' or 'cpu'")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def lr_multiplier(config: TrainConfig, epoch_index: int) -> float:
    """Factor on every group's base learning rate during 0-based epoch `epoch_index`."""
    if config.schedule == "multistep":
        return config.gamma ** sum(epoch_index >= milestone for milestone in config.milestones)
    if config.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * epoch_index / config.epochs))
    return 1.0


def evaluate_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """float32 logits of `x` in eval mode without gradients, on the device `x` lives on."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs = []
    with torch.no_grad(), _autocast(device):
        for start in range(0, len(x), batch_size):
            batch = x[start : start + batch_size].to(device)
            if device.type == "cuda" and batch.dim() == 4:
                batch = batch.contiguous(memory_format=torch.channels_last)
            outputs.append(model(batch).float())
    model.train(was_training)
    return torch.cat(outputs).to(x.device)


def train(
    model: nn.Module,
    train: Split,
    val: Split,
    config: TrainConfig,
    objective: Objective | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    select_on: str | None = "val_accuracy",
    seed: int = 0,
) -> TrainResult:
    """Train `model` in place and keep the epoch that scores best on `select_on`.

    `select_on` names a history column measured on the validation split (or one returned by
    the objective's end_epoch); columns ending in "loss" are minimised, others maximised;
    None keeps the last epoch (e.g. a mask search that must end at its ReLU budget).
    val_loss is plain cross-entropy whatever the objective, so it compares across stages.
    If `checkpoint_path` exists the run resumes from it. The finished run is checkpointed too and
    the file is left in place: delete it once what the run made is saved (the pipeline does so
    after the node's outputs are written), so a crash in between resumes instead of retraining.
    `seed` fixes the shuffling and augmentation of every epoch.
    """
    device = resolve_device(config.device)
    objective = objective if objective is not None else CrossEntropy()
    x_train, y_train, group_train = _on_device(_checked_split("train", train, config), device)
    x_val, y_val, _ = _on_device(_checked_split("val", val, config), device)
    model.to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        model.to(memory_format=torch.channels_last)
    objective.prepare(model, config, device)
    optimizer = _build_optimizer(objective.param_groups(model, config), config)
    forward = torch.compile(model) if config.compile and device.type == "cuda" else model

    # What the checkpoint must have been written under to be resumed.
    settings = {**config.model_dump(exclude=EXECUTION_ONLY_FIELDS), "seed": seed, "select_on": select_on}
    run = _RunState()
    if checkpoint_path is not None and Path(checkpoint_path).exists():
        run = _resume(Path(checkpoint_path), model, optimizer, objective, settings)
        logger.info("resumed from %s after epoch %d", checkpoint_path, run.epochs_done)

    show_progress = config.progress and sys.stderr.isatty() and not os.environ.get("CI")
    bar = tqdm(
        total=config.epochs, initial=run.epochs_done, unit="epoch", desc=training_label.get(), disable=not show_progress,
        leave=False,
    )  # fmt: skip
    for epoch in range(run.epochs_done + 1, config.epochs + 1):
        if run.stopped_reason is not None:
            break
        started = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * lr_multiplier(config, epoch - 1)
        train_loss_sum, train_correct, train_seen = _train_epoch(
            forward, model, optimizer, objective, (x_train, y_train, group_train), config, seed, epoch
        )
        val_logits = evaluate_logits(forward, x_val, config.eval_batch_size)
        val_loss_sum = F.cross_entropy(val_logits, y_val, reduction="sum")
        val_correct = (val_logits.argmax(dim=1) == y_val).sum()
        # The one host synchronisation of the epoch.
        sums = torch.stack([train_loss_sum, train_correct.float(), val_loss_sum, val_correct.float()]).tolist()
        train_loss, train_accuracy = sums[0] / train_seen, sums[1] / train_seen
        if not math.isfinite(train_loss):
            raise NonFiniteLossError(_divergence_message(train_loss, epoch, config, optimizer, checkpoint_path))

        metrics = {
            "epoch": epoch,
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "val_loss": sums[2] / len(y_val),
            "val_accuracy": sums[3] / len(y_val),
            "lr": optimizer.param_groups[0]["lr"],
        }
        extras = _plain_values(objective.end_epoch(model, epoch, dict(metrics)) or {})
        stop = extras.pop("stop", None)
        row = metrics | {"seconds": time.perf_counter() - started} | extras
        run.record(row, model, select_on)
        if stop:
            run.stopped_reason = stop if isinstance(stop, str) else "stopped by the objective"
        if checkpoint_path is not None and epoch % config.checkpoint_every == 0:
            _save_checkpoint(Path(checkpoint_path), run, model, optimizer, objective, settings)

        bar.set_postfix(loss=f"{train_loss:.4f}", acc=f"{train_accuracy:.4f}", val_acc=f"{metrics['val_accuracy']:.4f}")
        bar.update(1)
        if not show_progress:  # the history keeps every epoch; a log shows them when asked (DEBUG)
            logger.debug(
                "epoch %d/%d train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f lr=%.3g (%.1fs)",
                epoch, config.epochs, train_loss, train_accuracy, metrics["val_loss"], metrics["val_accuracy"],
                metrics["lr"], row["seconds"],
            )  # fmt: skip
    bar.close()

    if checkpoint_path is not None:
        _save_checkpoint(Path(checkpoint_path), run, model, optimizer, objective, settings)
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    return TrainResult(
        model=model.eval(),
        history=pd.DataFrame(run.history),
        best_epoch=run.best_epoch if run.best_epoch is not None else run.epochs_done,
        stopped_reason=run.stopped_reason or "completed",
    )


def _train_epoch(
    forward: nn.Module,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    data: Split,
    config: TrainConfig,
    seed: int,
    epoch: int,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One pass in fixed-size batches (the remainder differs every epoch and is skipped, which
    avoids a tiny last batch for BatchNorm and a recompile for torch.compile).
    Returns the device-side loss sum and hit count, and the number of samples seen."""
    x, y, group = data
    device = x.device
    batch_size = min(config.batch_size, len(x))
    steps = len(x) // batch_size
    seen = steps * batch_size
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(len(x), generator=generator)[:seen].to(device)
    if config.augment:
        offsets, flips = draw_crops_and_flips(seen, config.augment_padding, generator)
        offsets, flips = offsets.to(device), flips.to(device)

    model.train()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    for step in range(steps):
        rows = slice(step * batch_size, (step + 1) * batch_size)
        index = order[rows]
        x_batch, y_batch, group_batch = x[index], y[index], group[index]
        if config.augment:
            x_batch = crop_and_flip(x_batch, offsets[rows], flips[rows], config.augment_padding)
        with _autocast(device):
            logits = forward(x_batch)
            loss = objective.loss(model, logits, x_batch, y_batch, group_batch, step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        objective.after_step(model)
        loss_sum += loss.detach().float() * batch_size
        correct += (logits.detach().argmax(dim=1) == y_batch).sum()
    return loss_sum, correct, seen


@dataclass
class _RunState:
    """Everything about a run's progress that a checkpoint must restore besides the tensors."""

    epochs_done: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    best_state: dict[str, Any] | None = None
    stopped_reason: str | None = None

    def record(self, row: dict[str, Any], model: nn.Module, select_on: str | None) -> None:
        self.history.append(row)
        self.epochs_done = row["epoch"]
        if select_on is None:
            self.best_epoch = row["epoch"]
            return
        if select_on not in row:
            raise ValueError(f"select_on={select_on!r} is not a logged metric; use one of: {', '.join(row)}")
        score = float(row[select_on])
        if not math.isfinite(score):
            return
        minimise = select_on.endswith("loss")
        improved = self.best_score is None or (score < self.best_score if minimise else score > self.best_score)
        if improved:
            self.best_score, self.best_epoch = score, row["epoch"]
            self.best_state = {
                key: value.detach().clone() if isinstance(value, torch.Tensor) else value
                for key, value in model.state_dict().items()
            }


def _checked_split(name: str, split: Split, config: TrainConfig) -> Split:
    if not isinstance(split, (tuple, list)) or len(split) != 3:
        raise ValueError(f"the {name} split must be a tuple (x, y, group) of tensors")
    x, y, group = split
    if len(x) == 0:
        raise ValueError(f"the {name} split is empty")
    if not torch.is_floating_point(x):
        raise ValueError(f"{name} x has dtype {x.dtype}; convert images to normalised float tensors first")
    if y.dim() != 1 or len(y) != len(x) or len(group) != len(x):
        raise ValueError(
            f"{name} x, y and group need the same length; got {len(x)}, {tuple(y.shape)}, {tuple(group.shape)}"
        )
    if torch.is_floating_point(y):
        raise ValueError(f"{name} labels y have dtype {y.dtype}; pass integer class indices")
    if config.augment and x.dim() != 4:
        raise ValueError(f"train.augment=true needs images (N, C, H, W); {name} x has shape {tuple(x.shape)}")
    return x, y.long(), group


def _on_device(split: Split, device: torch.device) -> Split:
    x, y, group = (tensor.to(device) for tensor in split)
    if device.type == "cuda" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y, group


def _autocast(device: torch.device) -> contextlib.AbstractContextManager:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _build_optimizer(param_groups: list[dict[str, Any]], config: TrainConfig) -> torch.optim.Optimizer:
    groups = [dict(group) for group in param_groups if group["params"]]
    if not groups:
        raise ValueError("nothing to train: every parameter has requires_grad=False")
    for group in groups:
        # The schedule rescales this every epoch; each group keeps its own (e.g. a larger mask lr).
        group["base_lr"] = group.get("lr", config.lr)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=config.nesterov
        )
    return torch.optim.Adam(groups, lr=config.lr, weight_decay=config.weight_decay)


def _plain_values(extras: dict[str, Any]) -> dict[str, Any]:
    """end_epoch values as Python scalars, which history and checkpoints can hold."""
    plain = {}
    for key, value in extras.items():
        if isinstance(value, torch.Tensor) or hasattr(value, "item"):
            value = value.item()
        if not isinstance(value, (bool, int, float, str)) and value is not None:
            raise ValueError(f"end_epoch returned {key}={value!r}; return numbers or strings only")
        plain[key] = value
    return plain


def _divergence_message(
    loss: float, epoch: int, config: TrainConfig, optimizer: torch.optim.Optimizer, checkpoint_path: Any
) -> str:
    message = (
        f"training loss became {loss} in epoch {epoch} of {config.epochs} (lr={optimizer.param_groups[0]['lr']:g}); "
        "lower the learning rate, check the data normalisation (inputs roughly zero-mean, unit variance) "
        "and that labels lie in [0, num_classes)"
    )
    if checkpoint_path is not None and Path(checkpoint_path).exists():
        message += f"; {checkpoint_path} holds the last good epoch, delete it to restart with new settings"
    return message


def _save_checkpoint(
    path: Path,
    run: _RunState,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    settings: dict[str, Any],
) -> None:
    atomic_torch_save(
        {
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "settings": settings,
            "epochs_done": run.epochs_done,
            "history": run.history,
            "best_epoch": run.best_epoch,
            "best_score": run.best_score,
            "best_state": _on_cpu(run.best_state),
            "stopped_reason": run.stopped_reason,
            "model": portable_state_dict(model),
            "optimizer": optimizer.state_dict(),
            "objective": objective.state_dict(),
            "cpu_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        },
        path,
    )


def _resume(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    settings: dict[str, Any],
) -> _RunState:
    checkpoint = load_tensors(path, "delete it to start this training over")
    if not isinstance(checkpoint, dict) or checkpoint.get("format_version") != CHECKPOINT_FORMAT_VERSION:
        raise ValueError(f"{path} is not a training checkpoint of this version; delete it to start over")
    saved = checkpoint["settings"]
    changed = [f"{key}: {saved.get(key)!r} -> {value!r}" for key, value in settings.items() if saved.get(key) != value]
    if changed:
        raise ValueError(
            f"checkpoint {path} was written with other settings ({'; '.join(changed)}); "
            "delete it to start over or restore those settings"
        )
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    objective.load_state_dict(checkpoint["objective"])
    torch.set_rng_state(checkpoint["cpu_rng"])
    if checkpoint["cuda_rng"] and len(checkpoint["cuda_rng"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    return _RunState(
        epochs_done=checkpoint["epochs_done"],
        history=checkpoint["history"],
        best_epoch=checkpoint["best_epoch"],
        best_score=checkpoint["best_score"],
        best_state=checkpoint["best_state"],
        stopped_reason=checkpoint["stopped_reason"],
    )


def _on_cpu(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {key: value.cpu() if isinstance(value, torch.Tensor) else value for key, value in state.items()}
