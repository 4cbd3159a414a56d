"""The one parameter schema: everything an experiment block in conf may say, validated up front."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

import torch

from linearization_fairness.data import DataConfig
from linearization_fairness.fairness import FinetuneConfig, MitigateConfig
from linearization_fairness.linearization import LinearizeConfig, check_against_model
from linearization_fairness.metrics import MetricsConfig
from linearization_fairness.models import ModelConfig, build_model
from linearization_fairness.training import TrainConfig


class ExperimentConfig(BaseModel):
    """One `experiments.<name>` block of parameters.yml."""

    model_config = ConfigDict(extra="forbid")

    data: DataConfig
    model: ModelConfig = ModelConfig()
    seeds: list[int] = [0]
    base_train: TrainConfig = TrainConfig()
    linearize: LinearizeConfig = LinearizeConfig()
    finetune: FinetuneConfig = FinetuneConfig()
    mitigate: MitigateConfig = MitigateConfig()
    evaluate: MetricsConfig = MetricsConfig()

    @field_validator("seeds")
    @classmethod
    def _usable_seeds(cls, seeds: list[int]) -> list[int]:
        if not seeds:
            raise ValueError("seeds is empty; list at least one seed, e.g. [0, 1, 2]")
        if len(set(seeds)) != len(seeds) or min(seeds) < 0:
            raise ValueError(f"seeds={seeds} must be distinct non-negative integers")
        return seeds

    @model_validator(mode="after")
    def _model_fits_data(self) -> ExperimentConfig:
        if self.model.arch == "mlp" and len(self.data.input_shape) != 1:
            raise ValueError(f"model.arch='mlp' takes 2-D points; {self.data.dataset} has images, use a ResNet")
        if self.model.arch != "mlp" and len(self.data.input_shape) != 3:
            raise ValueError(f"{self.data.dataset} has 2-D points; use model.arch: mlp")
        # Budgets and culled stages are checked against the real architecture, built on the meta
        # device: shapes only, no memory, no initialisation.
        with torch.device("meta"):
            model = build_model(self.model, self.data.input_shape, self.data.num_classes)
        check_against_model(self.linearize, model)
        return self


class ConfigError(ValueError):
    """A parameter problem, stated in one line that says where it is and what to do."""


def one_line(error: ValidationError, where: str) -> str:
    """Pydantic's multi-line report as `where.field: message; where.other: message`."""
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in (where, *item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown parameter; check its spelling against conf/base/parameters.yml"
        problems.append(f"{location}: {message}")
    return "; ".join(problems)


# Added to every experiment block by the config loader (see sweep.py), never written by users.
DERIVED_KEYS = ("cells",)


def validate_experiment(name: str, raw: Any) -> ExperimentConfig:
    if isinstance(raw, dict):
        raw = {key: value for key, value in raw.items() if key not in DERIVED_KEYS}
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(error, f"experiments.{name}")) from None
