"""Per-group measurements of the paper: accuracy, margins, gradient norms, Hessian, weight distance."""

from linearization_fairness.metrics.config import MetricsConfig
from linearization_fairness.metrics.distance import parameter_distance
from linearization_fairness.metrics.gradients import group_mean_loss_grad_norm, group_means, per_sample_grad_norms
from linearization_fairness.metrics.group import (
    GROUP_TABLE_COLUMNS,
    accuracy_parity_gap,
    group_accuracy_table,
    overall_accuracy,
    worst_group_accuracy,
)
from linearization_fairness.metrics.hessian import TopEigenvalue, group_hessian_top_eigenvalue
from linearization_fairness.metrics.predictions import PREDICTION_COLUMNS, logit_statistics, predict
from linearization_fairness.metrics.sampling import diagnostic_positions
from linearization_fairness.metrics.weights import is_mask_name, network_weights

__all__ = [
    "GROUP_TABLE_COLUMNS",
    "PREDICTION_COLUMNS",
    "MetricsConfig",
    "TopEigenvalue",
    "accuracy_parity_gap",
    "diagnostic_positions",
    "group_accuracy_table",
    "group_hessian_top_eigenvalue",
    "group_mean_loss_grad_norm",
    "group_means",
    "is_mask_name",
    "logit_statistics",
    "network_weights",
    "overall_accuracy",
    "parameter_distance",
    "per_sample_grad_norms",
    "predict",
    "worst_group_accuracy",
]
