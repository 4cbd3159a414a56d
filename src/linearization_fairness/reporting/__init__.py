"""Seed aggregation, the paper's figures, private-inference cost, findings and the HTML report."""

from linearization_fairness.reporting.aggregate import (
    aggregate_over_seeds,
    budget_text,
    ci95_half_width,
    linearization_methods,
)
from linearization_fairness.reporting.cost import PICostConfig, add_cost_columns
from linearization_fairness.reporting.figures import (
    FIGURE_CAPTIONS,
    fig_accuracy_vs_budget,
    fig_decision_boundaries,
    fig_gradnorm_vs_accuracy,
    fig_group_accuracy_drop_lowest_budget,
    fig_hessian_by_group,
    fig_margin_vs_accuracy,
    fig_mitigation_effect,
    fig_param_distance_vs_budget,
    fig_relative_drop_vs_budget,
    fig_worst_group_vs_cost,
    no_data_figure,
)
from linearization_fairness.reporting.findings import findings, headline
from linearization_fairness.reporting.html import SECTION_IDS, build_report_html, figure_data_uri

__all__ = [
    "FIGURE_CAPTIONS",
    "PICostConfig",
    "SECTION_IDS",
    "add_cost_columns",
    "aggregate_over_seeds",
    "budget_text",
    "build_report_html",
    "ci95_half_width",
    "fig_accuracy_vs_budget",
    "fig_decision_boundaries",
    "fig_gradnorm_vs_accuracy",
    "fig_group_accuracy_drop_lowest_budget",
    "fig_hessian_by_group",
    "fig_margin_vs_accuracy",
    "fig_mitigation_effect",
    "fig_param_distance_vs_budget",
    "fig_relative_drop_vs_budget",
    "fig_worst_group_vs_cost",
    "figure_data_uri",
    "findings",
    "headline",
    "linearization_methods",
    "no_data_figure",
]
