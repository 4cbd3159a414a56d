"""Finetuning after linearization: plain KD (SNL) and the paper's fairness-aware Lagrangian variant."""

from linearization_fairness.finetuning.config import FinetuneConfig, MitigateConfig
from linearization_fairness.finetuning.finetune import finetune, heldout_slice, mitigate
from linearization_fairness.finetuning.multipliers import fig_multipliers, multiplier_history, multiplier_summary
from linearization_fairness.finetuning.objective import (
    FairnessAwareDistillation,
    MonitoredDistillation,
    check_group_ids,
    group_mean_gaps,
)
from linearization_fairness.finetuning.variants import VARIANTS, FinetuneVariant

__all__ = [
    "VARIANTS",
    "FairnessAwareDistillation",
    "FinetuneConfig",
    "FinetuneVariant",
    "MitigateConfig",
    "MonitoredDistillation",
    "check_group_ids",
    "fig_multipliers",
    "finetune",
    "group_mean_gaps",
    "heldout_slice",
    "mitigate",
    "multiplier_history",
    "multiplier_summary",
]
