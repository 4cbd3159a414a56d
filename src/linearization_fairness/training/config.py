"""Training configuration shared by every stage (base training, mask search, finetuning)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("multistep", "cosine", "constant")
DEVICES = ("auto", "cpu", "cuda")
# Settings that change how a run executes but not what it computes: a checkpoint written
# under other values of these can still be resumed.
EXECUTION_ONLY_FIELDS = frozenset({"checkpoint_every", "device", "compile", "progress", "eval_batch_size"})


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"train.{field}={value!r} is unknown; use one of: {', '.join(allowed)}")
    return value


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9  # SGD only
    weight_decay: float = 5e-4
    nesterov: bool = False
    batch_size: int = 256
    eval_batch_size: int = 1024
    epochs: int = 10
    schedule: str = "cosine"
    milestones: list[int] = []  # multistep: 0-based epochs at which the lr is multiplied by gamma
    gamma: float = 0.1
    label_smoothing: float = 0.0
    augment: bool = False  # random crop with zero padding + horizontal flip, on the device
    augment_padding: int = 4
    checkpoint_every: int = 1
    device: str = "auto"
    compile: bool = False
    progress: bool = True
    seed: int = 0

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, value: str) -> str:
        return _one_of("optimizer", value, OPTIMIZERS)

    @field_validator("schedule")
    @classmethod
    def _known_schedule(cls, value: str) -> str:
        return _one_of("schedule", value, SCHEDULES)

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        return _one_of("device", value, DEVICES)

    @field_validator("lr")
    @classmethod
    def _positive_lr(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"train.lr={value} must be > 0 (e.g. 0.1 for SGD, 1e-3 for Adam)")
        return value

    @field_validator("epochs", "batch_size", "eval_batch_size", "checkpoint_every")
    @classmethod
    def _at_least_one(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError(f"train.{info.field_name}={value} must be >= 1")
        return value

    @field_validator("momentum", "label_smoothing")
    @classmethod
    def _unit_interval(cls, value: float, info: ValidationInfo) -> float:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"train.{info.field_name}={value} must be in [0, 1)")
        return value

    @field_validator("weight_decay", "augment_padding")
    @classmethod
    def _not_negative(cls, value: float, info: ValidationInfo) -> float:
        if value < 0:
            raise ValueError(f"train.{info.field_name}={value} must be >= 0")
        return value

    @field_validator("gamma")
    @classmethod
    def _decay_factor(cls, value: float) -> float:
        if not 0.0 < value <= 1.0:
            raise ValueError(f"train.gamma={value} must be in (0, 1] (0.1 divides the lr by 10 at each milestone)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError("train.nesterov=true needs optimizer='sgd' and momentum > 0; set nesterov: false")
        if self.schedule == "multistep":
            if not self.milestones:
                raise ValueError("train.schedule='multistep' needs train.milestones, e.g. [80, 120]")
            increasing = all(a < b for a, b in zip(self.milestones, self.milestones[1:]))
            if not increasing or self.milestones[0] < 1 or self.milestones[-1] >= self.epochs:
                raise ValueError(
                    f"train.milestones={self.milestones} must increase strictly and lie in "
                    f"[1, epochs-1={self.epochs - 1}]"
                )
        elif self.milestones:
            raise ValueError(
                f"train.milestones only apply to schedule='multistep' (got '{self.schedule}'); remove them"
            )
        return self
