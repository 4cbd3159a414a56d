import io

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.reporting.figures import (
    FIGURE_CAPTIONS,
    fig_accuracy_vs_budget,
    fig_decision_boundaries,
    fig_gradnorm_vs_accuracy,
    fig_group_accuracy_drop_lowest_budget,
    fig_hessian_by_group,
    fig_margin_vs_accuracy,
    fig_mitigation_effect,
    fig_relative_drop_vs_budget,
    fig_worst_group_vs_cost,
    report_figures,
)


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    return buffer.getvalue()


def texts(figure: Figure) -> str:
    return " | ".join(text.get_text() for text in figure.findobj(Text))


def is_no_data(figure: Figure) -> bool:
    return "no data for" in texts(figure)


def test_every_figure_renders_from_a_full_table(group_metrics) -> None:
    figures = report_figures(aggregate_over_seeds(group_metrics))

    assert set(figures) <= set(FIGURE_CAPTIONS)
    for name, figure in figures.items():
        assert png_bytes(figure).startswith(b"\x89PNG"), name
        assert not is_no_data(figure), name


@pytest.mark.parametrize(
    "shape",
    [
        {"seeds": (0,), "methods": ("snl",), "budgets": (1000,)},
        {"variants": ("finetune",), "with_references": False},
    ],
    ids=["one-seed-one-method-one-budget", "no-mitigate-no-base-no-control"],
)
def test_every_figure_renders_from_a_degenerate_table(make_group_metrics, shape) -> None:
    figures = report_figures(aggregate_over_seeds(make_group_metrics(**shape)))

    for name, figure in figures.items():
        assert png_bytes(figure).startswith(b"\x89PNG"), name
    assert is_no_data(figures["mitigation_effect"]) == ("variants" in shape)


def test_nan_metrics_and_an_empty_table_give_no_data_figures(group_metrics) -> None:
    without_curvature = aggregate_over_seeds(group_metrics.assign(hessian_top_eig=np.nan, grad_norm=np.nan))
    assert is_no_data(fig_hessian_by_group(without_curvature))
    assert is_no_data(fig_gradnorm_vs_accuracy(without_curvature))
    assert not is_no_data(fig_margin_vs_accuracy(without_curvature))

    empty = aggregate_over_seeds(group_metrics).iloc[0:0]
    for name, figure in report_figures(empty).items():
        assert is_no_data(figure), name
        png_bytes(figure)


def test_minority_groups_are_dashed_and_hatched(group_metrics) -> None:
    aggregated = aggregate_over_seeds(group_metrics)

    drop_lines = fig_relative_drop_vs_budget(aggregated).axes[0].get_lines()
    styles = {line.get_label().split(" (")[0]: line.get_linestyle() for line in drop_lines if "(" in line.get_label()}
    assert styles == {"cat": "-", "dog": "-", "frog": "--"}

    bars = fig_group_accuracy_drop_lowest_budget(aggregated).axes[0].patches
    hatched = [bar for bar in bars if bar.get_hatch()]
    # frog's bar of snl, deepreduce and the finetune-only control
    assert len(hatched) == 3


def test_accuracy_vs_budget_uses_a_log_axis_and_reference_lines(group_metrics) -> None:
    axes = fig_accuracy_vs_budget(aggregate_over_seeds(group_metrics)).axes[0]

    assert axes.get_xscale() == "log"
    labels = axes.get_legend_handles_labels()[1]
    assert {"all-ReLU base model", "finetune only (no ReLU removed)", "snl (plain KD finetuning)"} <= set(labels)


def test_mitigation_panel_shows_the_planted_minority_gain(group_metrics) -> None:
    figure = fig_mitigation_effect(aggregate_over_seeds(group_metrics))
    heights = [bar.get_height() for bar in figure.axes[0].patches if bar.get_hatch()]

    # frog's drop is halved: +0.05 * base accuracy at 4000, +0.20 * base accuracy at 1000 (points)
    assert heights == pytest.approx([0.805 * 5.0, 0.805 * 20.0])


def test_several_experiments_and_unknown_cost_are_refused(group_metrics) -> None:
    two = aggregate_over_seeds(pd.concat([group_metrics, group_metrics.assign(experiment="other")]))
    with pytest.raises(ValueError, match="holds experiments .*pass one experiment's rows"):
        fig_accuracy_vs_budget(two)
    with pytest.raises(ValueError, match="cost='euros' is unknown"):
        fig_worst_group_vs_cost(aggregate_over_seeds(group_metrics), cost="euros")


def test_decision_boundaries_report_global_and_per_class_accuracy() -> None:
    points = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.1, 0.0]], dtype=np.float32)
    labels = np.array([0, 0, 0, 0, 1])
    torch.manual_seed(0)
    always_majority = torch.nn.Linear(2, 2)
    with torch.no_grad():
        always_majority.weight.zero_()
        always_majority.bias.copy_(torch.tensor([1.0, 0.0]))
    by_sign = torch.nn.Linear(2, 2)
    with torch.no_grad():
        by_sign.weight.copy_(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
        by_sign.bias.zero_()
    by_sign.train()

    figure = fig_decision_boundaries(
        {"all-ReLU": always_majority, "half-linear": by_sign}, points, torch.from_numpy(labels), grid_points=20
    )

    titles = [axes.get_title() for axes in figure.axes]
    assert titles[0] == "all-ReLU\nglobal 80.0%, class 0 100.0%, class 1 0.0%"
    assert titles[1] == "half-linear\nglobal 60.0%, class 0 50.0%, class 1 100.0%"
    assert by_sign.training  # the caller's mode is restored
    png_bytes(figure)
    with pytest.raises(ValueError, match="2-D inputs of shape"):
        fig_decision_boundaries({"m": by_sign}, np.zeros((3, 3)), np.zeros(3))
    assert is_no_data(fig_decision_boundaries({}, points, labels))
