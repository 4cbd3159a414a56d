"""The one parameter schema: everything an experiment block in conf may say, validated up front."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from linearization_fairness.data import DataConfig


class ExperimentConfig(BaseModel):
    """One `experiments.<name>` block of parameters.yml."""

    model_config = ConfigDict(extra="forbid")

    data: DataConfig


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


def validate_experiment(name: str, raw: Any) -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(error, f"experiments.{name}")) from None
