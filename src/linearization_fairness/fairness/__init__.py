"""Finetuning after linearization: plain KD (SNL) and the paper's fairness-aware Lagrangian variant."""

from linearization_fairness.fairness.config import FINETUNE_TRAIN_DEFAULTS, FinetuneConfig, MitigateConfig
from linearization_fairness.fairness.finetune import finetune, mitigate
from linearization_fairness.fairness.multipliers import fig_multipliers, multiplier_history
from linearization_fairness.fairness.objective import (
    FairnessAwareDistillation,
    MonitoredDistillation,
    check_group_ids,
    group_mean_gaps,
)

__all__ = [
    "FINETUNE_TRAIN_DEFAULTS",
    "FairnessAwareDistillation",
    "FinetuneConfig",
    "MitigateConfig",
    "MonitoredDistillation",
    "check_group_ids",
    "fig_multipliers",
    "finetune",
    "group_mean_gaps",
    "mitigate",
    "multiplier_history",
]
