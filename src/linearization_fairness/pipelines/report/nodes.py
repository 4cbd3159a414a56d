from __future__ import annotations

from typing import Any

import pandas as pd

from matplotlib.figure import Figure

from linearization_fairness.linearization import fig_kept_by_layer
from linearization_fairness.metrics.table import add_relative_drop
from linearization_fairness.models import ModelArtifact
from linearization_fairness.reporting import PICostConfig, build_report_html, findings, report_figures
from linearization_fairness.reporting.figures import fig_decision_boundaries


def combine_group_metrics(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every evaluated model of the experiment in one table (returned twice: Parquet and CSV)."""
    combined = add_relative_drop(pd.concat(tables, ignore_index=True))
    return combined, combined


def combine_experiments(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole run's `group_metrics`: every experiment's table stacked (Parquet and CSV)."""
    combined = pd.concat(tables, ignore_index=True)
    return combined, combined


def draw_kept_by_layer(**kept_by_cell: pd.DataFrame) -> Figure:
    """Where each method keeps its ReLUs, layer by layer, for one seed's cells."""
    return fig_kept_by_layer({cell.rsplit("_s", 1)[0].replace("_", " "): table for cell, table in kept_by_cell.items()})


def write_report(
    group_statistics: pd.DataFrame, aggregated: pd.DataFrame, experiment: dict[str, Any], pi_cost: PICostConfig
) -> str:
    """The self-contained report.html of one experiment."""
    return _report_html(group_statistics, aggregated, experiment, pi_cost, report_figures(aggregated, pi_cost))


def write_report_with_boundaries(
    group_statistics: pd.DataFrame,
    aggregated: pd.DataFrame,
    experiment: dict[str, Any],
    pi_cost: PICostConfig,
    splits: dict[str, Any],
    data_info: dict[str, Any],
    base_model: ModelArtifact,
    linearized_model: ModelArtifact,
) -> str:
    """report.html of an experiment on 2-D data, which also shows the decision regions (Figure 2)."""
    figures = report_figures(aggregated, pi_cost)
    figures["decision_boundaries"] = draw_decision_boundaries(splits, data_info, base_model, linearized_model)
    return _report_html(group_statistics, aggregated, experiment, pi_cost, figures)


def _report_html(
    group_statistics: pd.DataFrame,
    aggregated: pd.DataFrame,
    experiment: dict[str, Any],
    pi_cost: PICostConfig,
    figures: dict[str, Figure],
) -> str:
    configuration = {key: value for key, value in experiment.items() if key != "cells"}
    title = f"Disparate impact of ReLU linearization: {aggregated['experiment'].iloc[0]}"
    return build_report_html(title, configuration, group_statistics, aggregated, figures, findings(aggregated), pi_cost)


def draw_decision_boundaries(
    splits: dict[str, Any], data_info: dict[str, Any], base_model: ModelArtifact, linearized_model: ModelArtifact
) -> Figure:
    """The paper's Figure 2 on 2-D data: the all-ReLU model next to one with about half its ReLUs
    linearized (and finetuned), on the test points."""
    label = f"{linearized_model.metadata['relu_count']} of {linearized_model.metadata['total_relu_sites']} ReLUs"
    models = {"all ReLUs": base_model.build(), f"{label} ({linearized_model.metadata['cell']})": linearized_model.build()}
    return fig_decision_boundaries(models, splits["test_x"], splits["test_y"], data_info["class_names"])
