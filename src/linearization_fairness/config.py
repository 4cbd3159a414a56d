"""The one parameter schema: a run's parameters, validated once, resolved (every default filled in).

`validate_run` turns the parameters Kedro loaded into a `RunConfig`; everything downstream (the
pipeline registry, the hooks, every node through its cell, the report) reads that object. A
resolved config dumps and validates back to itself (`RunConfig.model_validate(c.model_dump()) == c`).
The stage sections come from the registries: one per linearization method under `linearize:`,
one per finetune variant at the top of an experiment.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import torch
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, create_model, model_validator

from linearization_fairness.data import DataConfig
from linearization_fairness.figure2 import Figure2Config
from linearization_fairness.finetuning import PLAIN, VARIANTS
from linearization_fairness.linearization import LinearizeConfig, check_against_model
from linearization_fairness.metrics import MetricsConfig
from linearization_fairness.models import ModelConfig, ResNetConfig, build_model
from linearization_fairness.reporting.cost import PICostConfig
from linearization_fairness.reporting.statistics import StatisticsConfig
from linearization_fairness.runner.config import RayConfig
from linearization_fairness.tracking.config import TrackingConfig
from linearization_fairness.training import TrainConfig

EXPERIMENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A parameter problem, stated in one line that says where it is and what to do."""


def _distinct_seeds(seeds: list[int]) -> list[int]:
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{seeds} lists a seed twice; keep each once")
    return seeds


def _known_variants(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown finetune variant(s) {unknown}; choose from {list(VARIANTS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{names} lists a variant twice; keep each once")
    if PLAIN not in names:
        raise ValueError(f"{names} leaves out {PLAIN!r}, the reference every other variant is compared with; add it")
    return names


class _Experiment(BaseModel):
    """One `experiments.<name>` block of parameters.yml (the finetune sections are added below)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: DataConfig
    model: ModelConfig = ResNetConfig()
    seeds: Annotated[list[NonNegativeInt], Field(min_length=1), AfterValidator(_distinct_seeds)] = [0]
    base_train: TrainConfig = TrainConfig()
    linearize: LinearizeConfig = LinearizeConfig()
    evaluate: MetricsConfig = MetricsConfig()
    statistics: StatisticsConfig = StatisticsConfig()
    # The finetune variants each linearized model goes through (each one's settings are its own
    # section below); dropping one drops its trainings, evaluations and report rows.
    finetune_variants: Annotated[list[str], AfterValidator(_known_variants)] = list(VARIANTS)

    @model_validator(mode="after")
    def _model_fits_data(self) -> _Experiment:
        if self.model.arch == "mlp" and len(self.data.input_shape) != 1:
            raise ValueError(f"model.arch 'mlp' takes 2-D points; {self.data.dataset} has images, use a ResNet")
        if self.model.arch != "mlp" and len(self.data.input_shape) != 3:
            raise ValueError(f"{self.data.dataset} has 2-D points; use model.arch 'mlp'")
        # Budgets are checked against the real architecture, built on the meta device: shapes
        # only, no memory, no initialisation.
        with torch.device("meta"):
            network = build_model(self.model, self.data.input_shape, self.data.num_classes)
        check_against_model(self.linearize, network)
        return self


ExperimentConfig = create_model(
    "ExperimentConfig",
    __base__=_Experiment,
    **{name: (variant.config, Field(default_factory=variant.config)) for name, variant in VARIANTS.items()},
)


def _usable_names(experiments: dict[str, Any]) -> dict[str, Any]:
    for name in experiments:
        if not EXPERIMENT_NAME.match(name):
            raise ValueError(
                f"experiment name {name!r} is not usable as a Kedro namespace; "
                "use letters, digits and underscores, starting with a letter"
            )
    return experiments


class RunConfig(BaseModel):
    """All parameters of a run: the experiments and the settings they share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_data_dir: str = "data/01_raw"
    # Interrupted trainings resume from here; a finished training deletes its checkpoint.
    checkpoint_dir: str = "data/06_models/checkpoints"
    pi_cost: PICostConfig = PICostConfig()
    ray: RayConfig = RayConfig()  # used by `kedro run --runner=ray` only
    tracking: TrackingConfig = TrackingConfig()  # MLflow runs (tracking/), off unless enabled
    experiments: Annotated[dict[str, ExperimentConfig], Field(min_length=1), AfterValidator(_usable_names)]
    figure2: Figure2Config | None = None  # the Figure 2 study (pipeline `figure2`); left out, not run


def _location(loc: tuple[Any, ...], raw: Any) -> str:
    """Pydantic's error location as a dotted path through the YAML, without the tags it inserts
    for a union (e.g. `model.resnet18.widths` is `model.widths` in the file)."""
    parts, node = [], raw
    for index, part in enumerate(loc):
        is_tag = isinstance(node, dict) and part not in node and index + 1 < len(loc) and loc[index + 1] in node
        if is_tag:
            continue
        parts.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return ".".join(parts)


def one_line(error: ValidationError, raw: Any) -> str:
    """Pydantic's multi-line report as `where=value: problem; where: problem`, each location once."""
    problems = []
    for item in error.errors():
        where = _location(item["loc"], raw)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown parameter; check its spelling against conf/base/parameters.yml")
        elif item["type"] == "missing":
            problems.append(f"{where}: missing; add it (see conf/base/parameters.yml)")
        elif re.match(r"^[a-z_][\w.]*[=:]", message):
            problems.append(f"{where}.{message}")  # a check that names the place below `where` itself
        elif isinstance(item["input"], dict | list) or not item["loc"]:
            problems.append(f"{where}: {message}" if where else message)
        else:
            problems.append(f"{where}={item['input']!r}: {message}")
    return "; ".join(problems)


def validate_run(parameters: dict[str, Any]) -> RunConfig:
    """The run's parameters as a RunConfig, or one ConfigError line. Keys starting with `_` are
    YAML anchors (e.g. a shared recipe) and are not parameters."""
    raw = {key: value for key, value in parameters.items() if not str(key).startswith("_")}
    if not raw.get("experiments"):
        raise ConfigError(
            "parameters declare no experiments; add an `experiments:` mapping (name -> {data: ..., ...}) "
            "to conf/<env>/parameters.yml"
        )
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(error, raw)) from None
