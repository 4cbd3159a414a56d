"""The `figure2:` block of parameters.yml: the task, the MLP, the seeds, the rules, the recipe."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt

from linearization_fairness.figure2.study import HALF_RULES
from linearization_fairness.figure2.task import TaskConfig
from linearization_fairness.training.config import stage_train


def _even_widths(hidden_sizes: list[int]) -> list[int]:
    odd = [size for size in hidden_sizes if size % 2]
    if odd:
        raise ValueError(f"{hidden_sizes} has odd widths {odd}; use even widths, so that half of each layer is a whole number of neurons")
    return hidden_sizes


def _distinct(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError(f"{values} lists an entry twice; keep each once")
    return values


def _known_rules(rules: list[str]) -> list[str]:
    unknown = [rule for rule in rules if rule not in HALF_RULES]
    if unknown:
        raise ValueError(f"unknown half-linear rules {unknown}; use some of: {', '.join(HALF_RULES)}")
    return rules


class Figure2Config(BaseModel):
    """The paper's Figure 2 from scratch: per seed, the all-ReLU MLP and one half-linear MLP per rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: TaskConfig = TaskConfig()
    hidden_sizes: Annotated[list[PositiveInt], Field(min_length=1), AfterValidator(_even_widths)] = [8]
    seeds: Annotated[list[NonNegativeInt], Field(min_length=1), AfterValidator(_distinct)] = [0, 1, 2, 3, 4]
    rules: Annotated[list[str], Field(min_length=1), AfterValidator(_known_rules), AfterValidator(_distinct)] = list(HALF_RULES)
    # Full-batch Adam from scratch (the recipe chosen on validation, see the README); no weight
    # decay, which would flatten the small minority cap.
    train: stage_train(optimizer="adam", lr=0.05, weight_decay=0.0, batch_size=1000, epochs=300, schedule="cosine")
    grid_points: Annotated[int, Field(ge=10)] = 150  # resolution of the decision-region panels
