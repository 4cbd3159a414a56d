"""The one training engine and the objectives it optimises."""

from linearization_fairness.training.config import TrainConfig
from linearization_fairness.training.plots import plot_history
from linearization_fairness.training.engine import (
    NonFiniteLossError,
    TrainResult,
    evaluate_logits,
    lr_multiplier,
    resolve_device,
    train,
)
from linearization_fairness.training.objectives import (
    CrossEntropy,
    Distillation,
    Objective,
    ObjectiveBase,
    default_param_groups,
)

__all__ = [
    "CrossEntropy",
    "Distillation",
    "NonFiniteLossError",
    "Objective",
    "ObjectiveBase",
    "TrainConfig",
    "plot_history",
    "TrainResult",
    "default_param_groups",
    "evaluate_logits",
    "lr_multiplier",
    "resolve_device",
    "train",
]
