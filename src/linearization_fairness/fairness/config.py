"""Settings of the two finetuning stages after linearization: plain KD finetuning and the
paper's fairness-aware (Lagrangian) finetuning, which adds only the dual-ascent knobs."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from linearization_fairness.training import TrainConfig

# SNL's finetuning recipe (Cho et al. 2022), which the paper reuses for both variants.
FINETUNE_TRAIN_DEFAULTS: dict[str, Any] = {
    "optimizer": "sgd",
    "lr": 1e-3,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "schedule": "cosine",
    "epochs": 100,
}
SELECT_ON = ("val_accuracy", "val_worst_group_accuracy", "val_loss")
UPDATES = ("epoch", "batch")
VIOLATIONS_ON = ("train", "val")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is unknown; use one of: {', '.join(allowed)}")
    return value


class FinetuneConfig(BaseModel):
    """KD finetuning of a linearized student: (1 - kd_alpha) * CE + kd_alpha * T^2 * KL."""

    model_config = ConfigDict(extra="forbid")
    section: ClassVar[str] = "finetune"

    temperature: float = 4.0
    kd_alpha: float = 0.5
    # Checkpoint choice on the validation split; compare variants under the same rule, or the
    # rule rather than the objective may explain a difference in worst-group accuracy.
    select_on: str = "val_accuracy"
    train: TrainConfig = Field(default_factory=lambda: TrainConfig(**FINETUNE_TRAIN_DEFAULTS))

    @field_validator("train", mode="before")
    @classmethod
    def _finetune_defaults_under_overrides(cls, value: Any) -> Any:
        # A partial `train:` block in YAML must fall back to SNL's finetune recipe, not to the
        # base-training defaults of TrainConfig (lr 0.1 would wreck a converged student).
        if isinstance(value, dict):
            return {**FINETUNE_TRAIN_DEFAULTS, **value}
        return value

    @field_validator("temperature")
    @classmethod
    def _positive_temperature(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"{cls.section}.temperature={value} must be > 0 (SNL uses 4)")
        return value

    @field_validator("kd_alpha")
    @classmethod
    def _weight(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{cls.section}.kd_alpha={value} must be in [0, 1] (the weight of the KD term)")
        return value

    @field_validator("select_on")
    @classmethod
    def _known_select_on(cls, value: str) -> str:
        return _one_of(f"{cls.section}.select_on", value, SELECT_ON)


class MitigateConfig(FinetuneConfig):
    """FinetuneConfig plus the dual ascent on one Lagrange multiplier per group.

    mu: the violations are means of |L_g - L| over an epoch's batches, so a step does not grow
    with the number of batches (the authors' code sums over batches, with mu = 0.001). A group's
    penalty starts to matter once lambda_g reaches about 0.1-1, so mu should get there within
    the run: violations are typically 0.1-1 loss units, runs here last tens of epochs, hence
    mu = 0.05. On toy2d (30 epochs) it took the minority's multiplier to 0.26-0.64, while 0.001
    left it near 0.01 and the penalty had no visible effect.
    With update="batch" the step is taken every batch: divide mu by the batches per epoch.
    """

    section: ClassVar[str] = "mitigate"

    mu: float = 0.05
    lambda_init: float = 0.0
    # Multipliers are projected onto [0, lambda_max]; None leaves them unbounded, as in the paper.
    # Why a bound: |L_g - L| is never exactly 0 on a batch, so the multipliers never stop growing.
    # At lambda_g = 1 a group's mean loss already weighs as much as the whole batch's mean loss;
    # beyond that the kinked, few-sample penalty dominates the step. On toy2d with mu = 0.2 an
    # unbounded run diverged; the bound of 1 avoided that on most seeds: a guard, not a guarantee.
    lambda_max: float | None = 1.0
    update: str = "epoch"
    violations_on: str = "train"
    groups: list[int] | None = None  # the groups that get a multiplier; None: every group

    @field_validator("mu", "lambda_init")
    @classmethod
    def _not_negative(cls, value: float, info: ValidationInfo) -> float:
        if not value >= 0:
            raise ValueError(f"{cls.section}.{info.field_name}={value} must be >= 0 (multipliers never go negative)")
        return value

    @field_validator("lambda_max")
    @classmethod
    def _positive_bound(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise ValueError(f"{cls.section}.lambda_max={value} must be > 0, or null for unbounded multipliers")
        return value

    @field_validator("update")
    @classmethod
    def _known_update(cls, value: str) -> str:
        return _one_of(f"{cls.section}.update", value, UPDATES)

    @field_validator("violations_on")
    @classmethod
    def _known_split(cls, value: str) -> str:
        return _one_of(f"{cls.section}.violations_on", value, VIOLATIONS_ON)

    @field_validator("groups")
    @classmethod
    def _distinct_group_ids(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value or min(value) < 0 or len(set(value)) != len(value):
            raise ValueError(
                f"{cls.section}.groups={value} must be distinct group ids >= 0; leave it out to constrain every group"
            )
        return sorted(value)

    @model_validator(mode="after")
    def _consistent(self) -> MitigateConfig:
        if self.lambda_max is not None and self.lambda_init > self.lambda_max:
            raise ValueError(
                f"{self.section}.lambda_init={self.lambda_init} exceeds lambda_max={self.lambda_max}; lower lambda_init"
            )
        if self.update == "batch" and self.violations_on == "val":
            raise ValueError(
                f"{self.section}.update='batch' steps on each training batch's violation; "
                "use violations_on='train', or update='epoch' to measure violations on the validation split"
            )
        return self
