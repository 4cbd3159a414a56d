"""Settings of the finetunes after linearization: plain KD finetuning, the paper's
fairness-aware (Lagrangian) finetuning, which adds only the dual-ascent knobs, and the label-free
(CVaR) finetuning, which adds only the share of each batch it trains on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, model_validator

from linearization_fairness.training.config import stage_train


class FinetuneConfig(BaseModel):
    """KD finetuning of a linearized student: (1 - kd_alpha) * CE + kd_alpha * T^2 * KL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: PositiveFloat = 4.0
    kd_alpha: float = Field(0.5, ge=0, le=1)
    # Checkpoint choice on the validation split; compare variants under the same rule, or the
    # rule rather than the objective may explain a difference in worst-group accuracy.
    select_on: Literal["val_accuracy", "val_worst_group_accuracy", "val_loss"] = "val_accuracy"
    # SNL's finetuning recipe (Cho et al. 2022), which the paper reuses for both variants.
    train: stage_train(optimizer="sgd", lr=1e-3, momentum=0.9, weight_decay=5e-4, schedule="cosine", epochs=100)


def _distinct_sorted(groups: list[int]) -> list[int]:
    if len(set(groups)) != len(groups):
        raise ValueError(f"{groups} lists a group twice; keep each once")
    return sorted(groups)


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

    mu: NonNegativeFloat = 0.05
    lambda_init: NonNegativeFloat = 0.0
    # Multipliers are projected onto [0, lambda_max]; None leaves them unbounded, as in the paper.
    # Why a bound: |L_g - L| is never exactly 0 on a batch, so the multipliers never stop growing.
    # At lambda_g = 1 a group's mean loss already weighs as much as the whole batch's mean loss;
    # beyond that the kinked, few-sample penalty dominates the step. On toy2d with mu = 0.2 an
    # unbounded run diverged; the bound of 1 avoided that on most seeds: a guard, not a guarantee.
    lambda_max: PositiveFloat | None = 1.0
    update: Literal["epoch", "batch"] = "epoch"
    # Where the epoch's violations are measured. "train": the epoch's training batches (the
    # paper's form). A student that fits its training data has |L_g - L| near 0 there whatever
    # its unseen minority samples do, so the multipliers barely move (SNL on digits: ~0.003).
    # "heldout": a slice of the training split, `heldout_fraction` of each group's samples drawn
    # by the seed and never trained on, so the validation split still only chooses the
    # checkpoint. "val": the validation split itself, which then also chooses the checkpoint.
    violations_on: Literal["train", "val", "heldout"] = "train"
    heldout_fraction: float | None = Field(None, gt=0, lt=1)
    # The penalty per group. "gap": the paper's lambda_g * |L_g - L|, whose gradient through L
    # lowers the weight of the groups above the mean: with few groups it can cancel, then invert,
    # the majority's loss (digits_styled, 2 groups: -48.7 points of validation accuracy at random 750).
    # "excess": lambda_g * (L_g - L)_+ with L held fixed, which only adds weight to the groups
    # below the mean, so the finetune never trains against any group.
    penalty: Literal["gap", "excess"] = "gap"
    # The groups that get a multiplier; None: every group.
    groups: Annotated[list[NonNegativeInt], Field(min_length=1), AfterValidator(_distinct_sorted)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MitigateConfig:
        if self.lambda_max is not None and self.lambda_init > self.lambda_max:
            raise ValueError(f"lambda_init {self.lambda_init} exceeds lambda_max {self.lambda_max}; lower lambda_init")
        if self.update == "batch" and self.violations_on != "train":
            raise ValueError(
                "update 'batch' steps on each training batch's violation; use violations_on 'train', "
                f"or update 'epoch' to measure violations on {self.violations_on!r}"
            )
        if (self.violations_on == "heldout") != (self.heldout_fraction is not None):
            raise ValueError(
                "violations_on 'heldout' needs heldout_fraction (the share of each group's training samples "
                "held out, e.g. 0.2), and heldout_fraction applies only to violations_on 'heldout'; "
                f"got violations_on {self.violations_on!r} with heldout_fraction {self.heldout_fraction}"
            )
        return self


class LabelFreeConfig(FinetuneConfig):
    """FinetuneConfig plus CVaR's level: each batch's loss is the mean over its worst
    `worst_fraction` of samples by per-sample finetune loss (1.0 is plain KD finetuning).

    Choose it on validation worst-group accuracy (scripts/choose_worst_fraction.py); the default
    is the value chosen on digits.
    """

    worst_fraction: float = Field(0.3, gt=0, le=1)
