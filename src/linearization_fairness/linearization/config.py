"""Settings of the three linearization methods, and their checks against the model they will act on.

A budget is a number of ReLUs to keep: an absolute count (an integer >= 1) or a fraction in
(0, 1) of the model's ReLUs. Everything that needs the model (a budget above its ReLU count, a
DeepReDuce stage it lacks) is checked by `check_against_model`, which reads only module names
and shapes, so the caller can run it at start-up on a model built on the meta device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from torch import nn

from linearization_fairness.linearization.sites import is_resnet, site_stages
from linearization_fairness.models import total_relu_sites
from linearization_fairness.training import TrainConfig

Budget = int | float

# SNL's mask search (Cho et al. 2022): Adam at lr 1e-3 on the weights, no schedule.
SEARCH_TRAIN_DEFAULTS: dict[str, Any] = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0, "schedule": "constant"}
# The criticality test is a short finetune from the base weights, so a small SGD lr suits it.
CRITICALITY_TRAIN_DEFAULTS: dict[str, Any] = {
    "optimizer": "sgd",
    "lr": 0.01,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "schedule": "cosine",
}


def _checked_budgets(budgets: Any, where: str) -> Any:
    if not isinstance(budgets, list) or not budgets:
        raise ValueError(f"{where}={budgets!r} must be a non-empty list of ReLU counts or fractions, e.g. [2000, 0.05]")
    for budget in budgets:
        # bool is an int to Python, and a YAML `true` here is a typo, not a budget of 1.
        is_count = isinstance(budget, int) and not isinstance(budget, bool) and budget >= 1
        is_fraction = isinstance(budget, float) and 0.0 < budget < 1.0
        if not (is_count or is_fraction):
            raise ValueError(
                f"{where} entry {budget!r} is neither a ReLU count (an integer >= 1) nor a fraction in (0, 1); "
                "use e.g. 2000 or 0.05"
            )
    if len(set(budgets)) != len(budgets):
        raise ValueError(f"{where}={budgets} lists a budget twice; keep each once")
    return budgets


def resolve_budget(budget: Budget, total: int) -> int:
    """A budget as a ReLU count: fractions of `total` are rounded, and keep at least one ReLU."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise ValueError(f"budget={budget!r} must be a ReLU count or a fraction in (0, 1)")
    if isinstance(budget, float):
        if not 0.0 < budget < 1.0:
            raise ValueError(f"budget={budget} as a fraction must lie in (0, 1); use an integer for a ReLU count")
        return max(1, round(budget * total))
    if not 1 <= budget <= total:
        raise ValueError(f"budget={budget} must be a count in 1..{total} (the model's ReLUs) or a fraction in (0, 1)")
    return budget


@dataclass(frozen=True)
class DeepReDuceVariant:
    culled: tuple[int, ...]  # 1-based stages whose ReLUs are all linearized
    thinned: bool  # in every remaining block keep relu2 only (see deepreduce.py)


_VARIANT = re.compile(r"^([1-9]*)(t?)$")


def parse_variant(variant: str) -> DeepReDuceVariant:
    """'14t' -> stages (1, 4) culled, the rest thinned; 't' alone thins every stage."""
    match = _VARIANT.match(variant) if isinstance(variant, str) else None
    stages = tuple(int(digit) for digit in match.group(1)) if match else ()
    increasing = all(a < b for a, b in zip(stages, stages[1:]))
    if match is None or not variant or not increasing:
        raise ValueError(
            f"{variant!r} is not a DeepReDuce variant; write the culled stages in increasing order, "
            "optionally followed by 't' to thin the rest, e.g. '1', '1t', '14', '14t'"
        )
    return DeepReDuceVariant(culled=stages, thinned=match.group(2) == "t")


def check_variant(variant: str, model: nn.Module) -> DeepReDuceVariant:
    """The parsed variant, or a ValueError saying why this model cannot take it."""
    parsed = parse_variant(variant)
    stages = sorted(set(site_stages(model).values()))
    unit = "stages" if is_resnet(model) else "hidden layers"
    missing = [stage for stage in parsed.culled if stage not in stages]
    if missing:
        raise ValueError(
            f"{variant!r} culls {unit} {missing}, but the model has {unit} {stages} only; use digits in 1..{stages[-1]}"
        )
    if set(parsed.culled) == set(stages):
        raise ValueError(f"{variant!r} culls every one of the model's {unit}, leaving no ReLU; keep at least one")
    if parsed.thinned and not is_resnet(model):
        raise ValueError(f"{variant!r} thins blocks, but an MLP has no blocks with two ReLU sites; drop the 't'")
    return parsed


def _train_with_defaults(value: Any, defaults: dict[str, Any], epochs: Any) -> Any:
    # A partial `train:` block in YAML must fall back to this stage's recipe, not to TrainConfig's
    # base-training defaults; the epochs come from the method's own field so they are set once.
    if isinstance(value, dict):
        epochs_default = {"epochs": epochs} if epochs is not None else {}
        return {**defaults, **epochs_default, **value}
    return value


def _epochs_match(train: TrainConfig, epochs: int, where: str, epochs_field: str) -> None:
    if train.epochs != epochs:
        raise ValueError(
            f"{where}.train.epochs={train.epochs} differs from {where}.{epochs_field}={epochs}, which sets the "
            f"length of this training; remove {where}.train.epochs"
        )


class SNLConfig(BaseModel):
    """SNL's mask search (Cho et al. 2022); the defaults are SNL's own values.

    Loss: (1 - kd_alpha) * CE + kd_alpha * T^2 * KL(teacher || student) + lambda * ||alpha||_1.
    mask_lr: SNL trains masks and weights at one lr; with few steps per epoch on small data the
    masks then barely move, so they get their own, larger lr (Adam 0.02 worked on a CPU trial).
    """

    model_config = ConfigDict(extra="forbid")

    budgets: list[Budget]
    lambda_init: float = 1e-5
    lambda_growth: float = 1.1
    warmup_epochs: int = 5
    threshold: float = 1e-2
    max_epochs: int = 100
    temperature: float = 4.0
    kd_alpha: float = 0.5
    mask_lr: float = 0.02
    train: TrainConfig = Field(default_factory=dict, validate_default=True)  # epochs come from max_epochs

    @field_validator("budgets", mode="before")
    @classmethod
    def _budgets(cls, value: Any) -> Any:
        return _checked_budgets(value, "linearize.snl.budgets")

    @field_validator("lambda_init", "mask_lr", "temperature")
    @classmethod
    def _positive(cls, value: float, info: ValidationInfo) -> float:
        if not value > 0:
            raise ValueError(f"linearize.snl.{info.field_name}={value} must be > 0")
        return value

    @field_validator("lambda_growth")
    @classmethod
    def _growing(cls, value: float) -> float:
        if not value > 1.0:
            raise ValueError(f"linearize.snl.lambda_growth={value} must be > 1 (SNL uses 1.1)")
        return value

    @field_validator("warmup_epochs")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"linearize.snl.warmup_epochs={value} must be >= 0 (SNL uses 5)")
        return value

    @field_validator("max_epochs")
    @classmethod
    def _at_least_one_epoch(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"linearize.snl.max_epochs={value} must be >= 1")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold_inside_the_mask_range(cls, value: float) -> float:
        if not 0.0 < value < 1.0:
            raise ValueError(f"linearize.snl.threshold={value} must be in (0, 1) (SNL uses 1e-2)")
        return value

    @field_validator("kd_alpha")
    @classmethod
    def _kd_weight(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"linearize.snl.kd_alpha={value} must be in [0, 1] (the weight of the KD term)")
        return value

    @field_validator("train", mode="before")
    @classmethod
    def _search_defaults_under_overrides(cls, value: Any, info: ValidationInfo) -> Any:
        return _train_with_defaults(value, SEARCH_TRAIN_DEFAULTS, info.data.get("max_epochs"))

    @model_validator(mode="after")
    def _one_epoch_setting(self) -> SNLConfig:
        _epochs_match(self.train, self.max_epochs, "linearize.snl", "max_epochs")
        return self


class CriticalityConfig(BaseModel):
    """DeepReDuce's stage criticality test: one short training per stage (see deepreduce.py)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    epochs: int = 5
    train: TrainConfig = Field(default_factory=dict, validate_default=True)  # epochs come from `epochs`

    @field_validator("epochs")
    @classmethod
    def _at_least_one_epoch(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"linearize.deepreduce.criticality.epochs={value} must be >= 1")
        return value

    @field_validator("train", mode="before")
    @classmethod
    def _criticality_defaults_under_overrides(cls, value: Any, info: ValidationInfo) -> Any:
        return _train_with_defaults(value, CRITICALITY_TRAIN_DEFAULTS, info.data.get("epochs"))

    @model_validator(mode="after")
    def _one_epoch_setting(self) -> CriticalityConfig:
        _epochs_match(self.train, self.epochs, "linearize.deepreduce.criticality", "epochs")
        return self


class DeepReDuceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variants: list[str]
    criticality: CriticalityConfig = CriticalityConfig()

    @field_validator("variants", mode="before")
    @classmethod
    def _known_variants(cls, variants: Any) -> list[str]:
        if not isinstance(variants, list) or not variants:
            raise ValueError(
                f"linearize.deepreduce.variants={variants!r} must be a non-empty list such as ['1', '1t', '14', '14t']"
            )
        # YAML reads an unquoted 14 as a number; it still names stages 1 and 4.
        variants = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in variants]
        for variant in variants:
            try:
                parse_variant(variant)
            except ValueError as error:
                raise ValueError(f"linearize.deepreduce.variants: {error}") from None
        if len(set(variants)) != len(variants):
            raise ValueError(f"linearize.deepreduce.variants={variants} lists a variant twice; keep each once")
        return variants


class RandomConfig(BaseModel):
    """The control: keep a uniformly random set of ReLU pixels of the same size as a budget."""

    model_config = ConfigDict(extra="forbid")

    budgets: list[Budget]

    @field_validator("budgets", mode="before")
    @classmethod
    def _budgets(cls, value: Any) -> Any:
        return _checked_budgets(value, "linearize.random.budgets")


class LinearizeConfig(BaseModel):
    """Which methods to sweep; a method left out is not run."""

    model_config = ConfigDict(extra="forbid")

    snl: SNLConfig | None = None
    deepreduce: DeepReDuceConfig | None = None
    random: RandomConfig | None = None


def check_against_model(config: LinearizeConfig, model: nn.Module) -> None:
    """Raise one ValueError for the first setting this model cannot take (names and shapes only)."""
    total = total_relu_sites(model)
    for method, budgets in (("snl", config.snl), ("random", config.random)):
        if budgets is None:
            continue
        resolved: dict[int, Budget] = {}
        for budget in budgets.budgets:
            if isinstance(budget, int) and budget > total:
                raise ValueError(
                    f"linearize.{method}.budgets: {budget} is above the model's {total} ReLUs; "
                    f"use a count in 1..{total} or a fraction in (0, 1)"
                )
            count = resolve_budget(budget, total)
            if count in resolved:
                raise ValueError(
                    f"linearize.{method}.budgets: {resolved[count]} and {budget} both mean {count} of the model's "
                    f"{total} ReLUs; keep one"
                )
            resolved[count] = budget
    if config.deepreduce is not None:
        for variant in config.deepreduce.variants:
            try:
                check_variant(variant, model)
            except ValueError as error:
                raise ValueError(f"linearize.deepreduce.variants: {error}") from None
