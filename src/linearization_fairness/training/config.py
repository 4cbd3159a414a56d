"""Training configuration shared by every stage (base training, mask search, finetuning).

Each stage has its own recipe: `stage_train(**recipe)` is the one way a stage declares it, so a
partial `train:` block in YAML falls back to that stage's recipe, not to the base-training
defaults below (lr 0.1 would wreck a converged student).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, NonNegativeFloat, PositiveInt, model_validator

# Settings that change how a run executes but not what it computes: a checkpoint written
# under other values of these can still be resumed.
EXECUTION_ONLY_FIELDS = frozenset({"checkpoint_every", "device", "compile", "progress", "eval_batch_size"})


class TrainConfig(BaseModel):
    """One training run of the engine; the run's seed comes from the sweep cell, not from here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float = Field(0.1, gt=0)
    momentum: float = Field(0.9, ge=0, lt=1)  # SGD only
    weight_decay: NonNegativeFloat = 5e-4
    nesterov: bool = False
    batch_size: PositiveInt = 256
    eval_batch_size: PositiveInt = 1024
    epochs: PositiveInt = 10
    schedule: Literal["multistep", "cosine", "constant"] = "cosine"
    milestones: list[PositiveInt] = []  # multistep: 0-based epochs at which the lr is multiplied by gamma
    gamma: float = Field(0.1, gt=0, le=1)
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    augment: bool = False  # random crop with zero padding + horizontal flip, on the device
    augment_padding: Annotated[int, Field(ge=0)] = 4
    checkpoint_every: PositiveInt = 1
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # torch.compile on a GPU; ignored on the CPU, where compiling a ResNet takes minutes and the
    # tiny models of a CPU run gain nothing from it, so one conf serves both.
    compile: bool = False
    progress: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError("nesterov: true needs optimizer 'sgd' and momentum > 0; set nesterov: false")
        if self.schedule != "multistep" and self.milestones:
            raise ValueError(f"milestones only apply to schedule 'multistep', not '{self.schedule}'; remove them")
        if self.schedule == "multistep":
            increasing = all(a < b for a, b in zip(self.milestones, self.milestones[1:]))
            if not self.milestones or not increasing or self.milestones[-1] >= self.epochs:
                raise ValueError(
                    f"schedule 'multistep' needs milestones that increase strictly within 1..{self.epochs - 1} "
                    f"(epochs - 1), e.g. [80, 120]; got {self.milestones}"
                )
        return self


def _under_recipe(recipe: dict[str, Any], value: Any) -> Any:
    return {**recipe, **value} if isinstance(value, dict) else value


def stage_train(**recipe: Any) -> Any:
    """The type of a stage's `train:` field: TrainConfig with `recipe` under whatever YAML sets."""
    return Annotated[
        TrainConfig,
        BeforeValidator(lambda value: _under_recipe(recipe, value)),
        Field(default_factory=lambda: TrainConfig(**recipe)),
    ]
