import io

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

from linearization_fairness.pipelines.report.figures import FIGURES, draw_results_figure
from linearization_fairness.reporting.cost import PICostConfig
from linearization_fairness.reporting.figures import (
    FIGURE_CAPTIONS,
    MAX_FIGURE_WIDTH,
    _bounded_errors,
    _staggered,
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
)

def all_figures(groups: pd.DataFrame, models: pd.DataFrame, group_differences: pd.DataFrame, model_differences: pd.DataFrame) -> dict[str, Figure]:
    """Every figure drawn from the aggregated tables, as the report pipeline draws them."""
    return {
        name: draw_results_figure(groups, models, group_differences, model_differences, spec=spec, pi_cost=None)
        for name, spec in FIGURES.items()
        if spec.source == "results"
    }


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    return buffer.getvalue()


def texts(figure: Figure) -> str:
    return " | ".join(text.get_text() for text in figure.findobj(Text))


def is_no_data(figure: Figure) -> bool:
    return "no data for" in texts(figure)


def test_every_figure_renders_from_full_tables(aggregated, differences) -> None:
    figures = all_figures(*aggregated, *differences)

    assert set(figures) <= set(FIGURE_CAPTIONS)
    for name, figure in figures.items():
        assert png_bytes(figure).startswith(b"\x89PNG"), name
        assert not is_no_data(figure), name


@pytest.mark.parametrize(
    "shape",
    [
        {"seeds": (0,), "methods": ("snl",), "levels": ("low",)},
        {"variants": ("finetune",), "with_references": False},
    ],
    ids=["one-seed-one-method-one-budget", "no-mitigate-no-base-no-control"],
)
def test_every_figure_renders_from_degenerate_tables(make_tables, aggregate, make_differences, differences, shape) -> None:
    tables = make_tables(**shape)
    # without the all-ReLU models no model is compared with anything
    compared = [table.iloc[0:0] for table in differences] if "with_references" in shape else make_differences(*tables)
    figures = all_figures(*aggregate(*tables), *compared)

    for name, figure in figures.items():
        assert png_bytes(figure).startswith(b"\x89PNG"), name
    assert is_no_data(figures["mitigation_effect"]) == ("variants" in shape)
    assert is_no_data(figures["relative_drop_vs_budget"]) == ("with_references" in shape)


def test_nan_metrics_and_empty_tables_give_no_data_figures(tables, aggregate, differences) -> None:
    groups, models = tables
    without_curvature = aggregate(groups.assign(hessian_top_eig=np.nan, grad_norm=np.nan), models)
    assert is_no_data(fig_hessian_by_group(*without_curvature))
    assert is_no_data(fig_gradnorm_vs_accuracy(*without_curvature))
    assert not is_no_data(fig_margin_vs_accuracy(*without_curvature))

    empty = [table.iloc[0:0] for table in (*aggregate(groups, models), *differences)]
    for name, figure in all_figures(*empty).items():
        assert is_no_data(figure), name
        png_bytes(figure)


def test_minority_groups_are_dashed_and_hatched(aggregated) -> None:
    bars = fig_group_accuracy_drop_lowest_budget(*aggregated).axes[0].patches
    hatched = [bar for bar in bars if bar.get_hatch()]
    # frog's bar of snl, deepreduce, random and the finetune-only control
    assert len(hatched) == 4


def test_the_relative_drop_figure_draws_the_minority_and_the_majority_mean_per_method(aggregated, differences) -> None:
    figure = fig_relative_drop_vs_budget(*aggregated, differences[1])

    panels = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in panels] == ["snl (plain KD finetuning)", "deepreduce (plain KD finetuning)", "random (plain KD finetuning)"]
    for axes in panels:
        lines = [line for line in axes.get_lines() if line.get_marker() == "o"]  # not the zero line
        assert [line.get_linestyle() for line in lines] == ["-", "--"]
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == ["majority groups (cat, dog)", "minority groups (frog)"]
    # the planted drops: frog 10% at 4,000 and 40% at 1,000 ReLUs, cat and dog (1 + 2) / 2 and (2 + 3) / 2
    majority, minority = panels[0].get_lines()[:2]
    assert minority.get_xdata().tolist() == [1000, 4000]
    assert minority.get_ydata() == pytest.approx([40.0, 10.0]) and majority.get_ydata() == pytest.approx([2.5, 1.5])


def test_a_set_without_a_relative_drop_says_why_in_the_legend(make_tables, aggregate, make_differences) -> None:
    groups, models = make_tables(methods=("snl",))
    groups.loc[groups["group_name"] == "frog", "accuracy"] = 0.0  # the all-ReLU model too: no drop to divide
    figure = fig_relative_drop_vs_budget(*aggregate(groups, models), make_differences(groups, models)[1])

    assert [line.get_linestyle() for line in figure.axes[0].get_lines() if line.get_marker() == "o"] == ["-"]
    assert figure.legends[0].get_texts()[1].get_text() == "minority groups (frog): no relative drop, the all-ReLU model gets none right"


def test_a_set_s_band_is_its_ci_over_seeds_cut_at_a_drop_of_100_percent(spread_drop, aggregate, make_differences) -> None:
    groups, models = spread_drop
    figure = fig_relative_drop_vs_budget(*aggregate(groups, models), make_differences(groups, models)[1])

    band = figure.axes[0].collections[1].get_paths()[0].vertices  # the minority's, drawn second
    assert band[:, 1].max() == pytest.approx(100.0)
    assert band[:, 1].min() < 0  # the lower side keeps its full length: a drop may be a gain


def test_accuracy_vs_budget_uses_a_log_axis_and_reference_lines(aggregated) -> None:
    axes = fig_accuracy_vs_budget(*aggregated).axes[0]

    assert axes.get_xscale() == "log"
    labels = axes.get_legend_handles_labels()[1]
    assert {"all-ReLU base model", "finetune only (no ReLU removed)", "snl (plain KD finetuning)"} <= set(labels)


def test_budgets_are_placed_by_relus_kept_and_labelled_as_declared(aggregated) -> None:
    axes = fig_accuracy_vs_budget(*aggregated).axes[0]

    # every method's points sit at their ReLU counts, DeepReDuce and fractional budgets included
    plotted = {
        label: sorted(handle.lines[0].get_xdata())  # an errorbar container: its data line first
        for handle, label in zip(*axes.get_legend_handles_labels())
        if "KD" in label
    }
    assert plotted == {
        "snl (plain KD finetuning)": [1000, 4000],
        "deepreduce (plain KD finetuning)": [768, 3072],
        "random (plain KD finetuning)": [500, 4000],
    }
    ticks = {tick.get_text() for tick in axes.get_xticklabels()}
    assert {"500\np5", "768\n14t", "1,000", "3,072\n2t", "4,000\np40"} == ticks

    legend = fig_group_accuracy_drop_lowest_budget(*aggregated).axes[0].get_legend_handles_labels()[1]
    assert "deepreduce, 14t (768 ReLUs), plain KD finetuning" in legend
    assert "random, p5 (500 ReLUs), plain KD finetuning" in legend
    assert "snl, 1,000 ReLUs, plain KD finetuning" in legend
    hessian = fig_hessian_by_group(*aggregated)
    assert "14t (768 ReLUs)" in hessian.axes[1].get_legend_handles_labels()[1]
    assert "p5" in texts(fig_worst_group_vs_cost(*aggregated))  # cost-axis points name their budget


def test_mitigation_panel_shows_the_planted_minority_gain_with_its_paired_interval(aggregated, differences) -> None:
    figure = fig_mitigation_effect(*aggregated, differences[0])
    bars = [bar for bar in figure.axes[0].patches if bar.get_hatch()]

    # frog's drop is halved: +0.05 * base accuracy at 4000, +0.20 * base accuracy at 1000 (points)
    assert [bar.get_height() for bar in bars] == pytest.approx([0.805 * 5.0, 0.805 * 20.0])
    # the error bars are the paired comparison's CI over seeds, the one the report's tables show
    frog = differences[0].query("reference == 'finetune' and variant == 'mitigate' and method == 'snl' and group_name == 'frog'")
    frog = frog.sort_values("relus_kept", ascending=False)  # the bar series' order, most ReLUs first
    minority = list(figure.axes[0].get_xticklabels()).index(next(t for t in figure.axes[0].get_xticklabels() if t.get_text() == "frog"))
    bars = [container for container in figure.axes[0].containers if hasattr(container, "errorbar") and container.errorbar]
    spans = [np.ptp(container.errorbar.lines[2][0].get_segments()[minority][:, 1]) for container in bars]
    assert (frog["difference_ci95"] > 0).all() and spans == pytest.approx((200 * frog["difference_ci95"]).tolist())


def test_worst_group_cost_axis_follows_the_constants(aggregated) -> None:
    axes = fig_worst_group_vs_cost(*aggregated, pi_cost=PICostConfig(offline_kb_per_relu=1.0)).axes[0]

    # 1 KB per ReLU: 500 ReLUs cost 0.5 MB, the all-ReLU model 10 MB
    ticks = [tick.get_text() for tick in axes.get_xticklabels()]
    assert ticks[0] == "0.5" and ticks[-1] == "10"


def test_several_experiments_and_unknown_cost_are_refused(tables, aggregate, aggregated) -> None:
    groups, models = tables
    two = aggregate(
        pd.concat([groups, groups.assign(experiment="other")]), pd.concat([models, models.assign(experiment="other")])
    )
    with pytest.raises(ValueError, match="hold experiments .*pass one experiment's rows"):
        fig_accuracy_vs_budget(*two)
    with pytest.raises(ValueError, match="cost='euros' is unknown"):
        fig_worst_group_vs_cost(*aggregated, cost="euros")


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


def test_multi_panel_figures_wrap_onto_rows_within_the_page_width(aggregated, differences) -> None:
    for figure in (fig_relative_drop_vs_budget(*aggregated, differences[1]), fig_hessian_by_group(*aggregated), fig_mitigation_effect(*aggregated, differences[0])):
        width, height = figure.get_size_inches()
        panels = [axes for axes in figure.axes if axes.get_title()]
        assert len(panels) == 3  # snl, deepreduce, random
        assert width <= MAX_FIGURE_WIDTH and height > 0.4 * width  # no 3630 x 462 strip


def test_intervals_are_cut_at_the_metric_bounds() -> None:
    means = np.array([99.0, 50.0, 1.0])
    errors = _bounded_errors(means, pd.Series([0.05, 0.05, float("nan")]), "accuracy", 100.0)
    assert errors.tolist() == [[5.0, 5.0, 0.0], [1.0, 5.0, 0.0]]  # 99 + 5 would pass 100%; NaN: one seed
    eigenvalue = _bounded_errors(np.array([0.3]), pd.Series([1.0]), "hessian_top_eig")
    assert eigenvalue.tolist() == [[0.3], [1.0]]


def test_ticks_that_would_overprint_are_staggered_onto_another_line() -> None:
    labels = _staggered([250, 750, 768, 3584], ["250", "750", "768\n1t", "3,584"])
    assert labels == ["250", "750", "\n\n768\n1t", "3,584"]  # one label height down
    costs = _staggered([12.8, 13.1, 13.3, 20.0], ["12.8", "13.1", "13.3", "20"])
    assert costs == ["12.8", "\n13.1", "\n\n13.3", "20"]  # 13.3 is too close to both others
