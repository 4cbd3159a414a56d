"""What the one training loop optimises, stage by stage.

An objective supplies the loss of a batch, the optimizer's parameter groups, hooks that run
after every optimizer step and at the end of every epoch, and its own state (e.g. Lagrange
multipliers) so that a resumed run restores it. Subclass `ObjectiveBase` and override what
differs; `CrossEntropy` trains a base model, `Distillation` finetunes a linearized student
against the all-ReLU teacher.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional as F

from linearization_fairness.models.masks import mask_parameters, weight_parameters
from linearization_fairness.training.config import TrainConfig


class Objective(Protocol):
    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        """Called once before training starts (move helpers such as a teacher to `device`)."""

    def param_groups(self, model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]: ...

    def loss(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        group: torch.Tensor,
        batch_index: int,
    ) -> torch.Tensor:
        """Scalar loss of one batch; `batch_index` is the step within the epoch (0 first).

        Runs inside the engine's autocast region, so on CUDA `logits` are bf16: compute the loss
        from logits.float(). Avoid .item() here; per-step work should stay on the device."""

    def after_step(self, model: nn.Module) -> None:
        """Called after every optimizer step, e.g. to project masks back into [0, 1]."""

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        """Extra metrics to log for this (1-based) epoch; a truthy "stop" entry ends training."""

    def state_dict(self) -> dict[str, Any]:
        """Tensors and plain containers only: checkpoints are read with weights_only=True."""

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def default_param_groups(model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """Weights with the config's lr and weight decay; trainable masks (if any) in their own group
    with the same lr and no weight decay, since their sparsity pressure is an explicit penalty."""
    groups = [
        {"params": weight_parameters(model), "lr": config.lr, "weight_decay": config.weight_decay},
        {"params": mask_parameters(model), "lr": config.lr, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]


class ObjectiveBase(ABC):
    """Defaults for every hook; subclasses overriding `prepare` must call super().prepare()."""

    label_smoothing: float = 0.0

    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        self.label_smoothing = config.label_smoothing

    def param_groups(self, model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
        return default_param_groups(model, config)

    @abstractmethod
    def per_sample(self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss of every sample, shape (N,): fairness objectives average it per group."""

    def loss(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        group: torch.Tensor,
        batch_index: int,
    ) -> torch.Tensor:
        return self.per_sample(model, logits, x, y).mean()

    def after_step(self, model: nn.Module) -> None:
        return None

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None


class CrossEntropy(ObjectiveBase):
    def per_sample(self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), y, reduction="none", label_smoothing=self.label_smoothing)


class Distillation(ObjectiveBase):
    """(1 - alpha) * CE + alpha * T^2 * KL(teacher_T || student_T), with a frozen teacher.

    T = 4 is SNL's finetuning temperature; T^2 keeps the KD gradients on the CE scale."""

    def __init__(self, teacher: nn.Module, temperature: float = 4.0, alpha: float = 0.5) -> None:
        if temperature <= 0:
            raise ValueError(f"distillation temperature={temperature} must be > 0 (SNL uses 4)")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"distillation alpha={alpha} must be in [0, 1] (the weight of the KD term)")
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha

    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        super().prepare(model, config, device)
        self.teacher.to(device).eval().requires_grad_(False)
        if device.type == "cuda":
            self.teacher.to(memory_format=torch.channels_last)

    def per_sample(self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            teacher_logits = self.teacher(x).float()
        student_logits = logits.float()
        cross_entropy = F.cross_entropy(student_logits, y, reduction="none", label_smoothing=self.label_smoothing)
        student_log_probs = F.log_softmax(student_logits / self.temperature, dim=1)
        teacher_log_probs = F.log_softmax(teacher_logits / self.temperature, dim=1)
        kl = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True).sum(dim=1)
        return (1.0 - self.alpha) * cross_entropy + self.alpha * self.temperature**2 * kl
