"""The report's figures, by name: what draws each, its caption, and what it is drawn from.

One registry for every reader: the report pipeline makes one node per figure (its PNG is the
catalog entry `<experiment>.fig_<name>`), the report embeds those PNGs with these captions, and
the notebook draws from here too. A figure is drawn once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from matplotlib.figure import Figure

from linearization_fairness.finetuning import fig_multipliers, multiplier_history
from linearization_fairness.linearization import fig_kept_by_layer
from linearization_fairness.models import ModelArtifact
from linearization_fairness.reporting import FIGURE_CAPTIONS, figures
from linearization_fairness.reporting.aggregate import MITIGATED_VARIANT
from linearization_fairness.reporting.cost import PICostConfig

# What a figure is drawn from: the experiment's aggregated tables (groups, models and their paired
# comparisons), the first seed's per-cell tables (kept ReLUs by layer, mitigation
# histories), or two models on 2-D data.
Source = Literal["results", "kept_by_layer", "multipliers", "decision_boundaries"]


@dataclass(frozen=True)
class FigureSpec:
    draw: Callable[..., Figure]
    caption: str
    source: Source = "results"
    variant: str | None = None  # the finetune variant the figure shows; drawn only where the sweep runs it


def draw_results_figure(
    groups: pd.DataFrame,
    models: pd.DataFrame,
    group_differences: pd.DataFrame,
    model_differences: pd.DataFrame,
    *,
    spec: FigureSpec,
    pi_cost: PICostConfig,
) -> Figure:
    """A results figure from the aggregated tables; the comparison tables and the PI cost constants
    go to the figures whose drawing takes them (the mitigation, relative-drop and cost figures)."""
    extras = {"group_differences": group_differences, "model_differences": model_differences, "pi_cost": pi_cost}
    taken = inspect.signature(spec.draw).parameters
    return spec.draw(groups, models, **{name: value for name, value in extras.items() if name in taken})


def draw_kept_by_layer(**kept_by_cell: pd.DataFrame) -> Figure:
    """Where each method keeps its ReLUs, layer by layer, for one seed's cells."""
    return fig_kept_by_layer({cell.rsplit("_s", 1)[0].replace("_", " "): table for cell, table in kept_by_cell.items()})


def draw_multipliers(data_info: dict[str, Any], **history_by_cell: pd.DataFrame) -> Figure:
    """The fairness-aware finetune's multipliers and violations, one row per cell of one seed."""
    histories = {cell: multiplier_history(history) for cell, history in history_by_cell.items()}
    return fig_multipliers(histories, data_info["group_names"])


def draw_decision_boundaries(
    splits: dict[str, Any], data_info: dict[str, Any], base_model: ModelArtifact, linearized_model: ModelArtifact
) -> Figure:
    """The paper's Figure 2 on 2-D data: the all-ReLU model next to one with about half its ReLUs
    linearized (and finetuned), on the test points."""
    label = f"{linearized_model.metadata['relu_count']} of {linearized_model.metadata['total_relu_sites']} ReLUs"
    models = {"all ReLUs": base_model.build(), f"{label} ({linearized_model.metadata['cell']})": linearized_model.build()}
    return figures.fig_decision_boundaries(models, splits["test_x"], splits["test_y"], data_info["class_names"])


_RESULTS = (
    ("group_accuracy_drop_lowest_budget", figures.fig_group_accuracy_drop_lowest_budget, None),
    ("accuracy_vs_budget", figures.fig_accuracy_vs_budget, None),
    ("relative_drop_vs_budget", figures.fig_relative_drop_vs_budget, None),
    ("param_distance_vs_budget", figures.fig_param_distance_vs_budget, None),
    ("gradnorm_vs_accuracy", figures.fig_gradnorm_vs_accuracy, None),
    ("margin_vs_accuracy", figures.fig_margin_vs_accuracy, None),
    ("hessian_by_group", figures.fig_hessian_by_group, None),
    ("mitigation_effect", figures.fig_mitigation_effect, MITIGATED_VARIANT),
    ("worst_group_vs_cost", figures.fig_worst_group_vs_cost, None),
)

FIGURES: dict[str, FigureSpec] = {
    **{name: FigureSpec(draw, FIGURE_CAPTIONS[name], variant=variant) for name, draw, variant in _RESULTS},
    "kept_by_layer": FigureSpec(
        draw_kept_by_layer,
        "Share of each layer's ReLUs that each method keeps, for one seed: SNL tends to keep later, smaller "
        "layers, DeepReDuce removes whole stages, the random control spreads them evenly.",
        "kept_by_layer",
    ),
    "multipliers": FigureSpec(
        draw_multipliers,
        "The fairness-aware finetune's Lagrange multipliers and the violations |L_g - L| that drive them, per "
        "linearized cell of one seed: look for the minority groups' multipliers rising.",
        "multipliers",
        MITIGATED_VARIANT,
    ),
    "decision_boundaries": FigureSpec(draw_decision_boundaries, FIGURE_CAPTIONS["decision_boundaries"], "decision_boundaries"),
}
