"""Finetuning after linearization: plain KD (SNL), the paper's fairness-aware Lagrangian variant and a label-free CVaR variant."""

from linearization_fairness.finetuning.config import FinetuneConfig, LabelFreeConfig, MitigateConfig
from linearization_fairness.finetuning.finetune import finetune, heldout_slice, label_free, mitigate
from linearization_fairness.finetuning.multipliers import fig_multipliers, multiplier_history, multiplier_summary
from linearization_fairness.finetuning.objective import (
    FairnessAwareDistillation,
    LabelFreeDistillation,
    MonitoredDistillation,
    check_group_ids,
    cvar_weights,
    group_mean_gaps,
)
from linearization_fairness.finetuning.variants import PLAIN, VARIANTS, FinetuneVariant

__all__ = [
    "PLAIN",
    "VARIANTS",
    "FairnessAwareDistillation",
    "FinetuneConfig",
    "FinetuneVariant",
    "LabelFreeConfig",
    "LabelFreeDistillation",
    "MitigateConfig",
    "MonitoredDistillation",
    "check_group_ids",
    "cvar_weights",
    "fig_multipliers",
    "finetune",
    "group_mean_gaps",
    "heldout_slice",
    "label_free",
    "mitigate",
    "multiplier_history",
    "multiplier_summary",
]
