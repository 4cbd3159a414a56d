"""The finetune variants every linearized model goes through, by name; adding one is a function
plus an entry here.

A variant's name is its conf section (`finetune:`, `mitigate:`, `label_free:`, validated by its config class),
its model (`<name>_model`, `<name>_history`) and its value in the results' `variant` column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel
from torch import nn

from linearization_fairness.finetuning.config import FinetuneConfig, LabelFreeConfig, MitigateConfig
from linearization_fairness.finetuning.finetune import finetune, label_free, mitigate
from linearization_fairness.training import TrainResult
from linearization_fairness.training.engine import Split

# (student, teacher, train, val, config, num_groups, seed, checkpoint path)
Finetune = Callable[[nn.Module, nn.Module, Split, Split, BaseModel, int, int, str | os.PathLike | None], TrainResult]


@dataclass(frozen=True)
class FinetuneVariant:
    name: str
    label: str  # how the report names its models
    config: type[BaseModel]
    run: Finetune
    # Also run on the all-ReLU model, as the finetune-only control (a control needs only one).
    on_control: bool = False


PLAIN = "finetune"  # the variant every other one, and the finetune-only control, is compared with

VARIANTS: dict[str, FinetuneVariant] = {
    variant.name: variant
    for variant in (
        FinetuneVariant(PLAIN, "plain KD finetuning", FinetuneConfig, finetune, on_control=True),
        FinetuneVariant("mitigate", "fairness-aware finetuning", MitigateConfig, mitigate),
        FinetuneVariant("label_free", "label-free (CVaR) finetuning", LabelFreeConfig, label_free),
    )
}
