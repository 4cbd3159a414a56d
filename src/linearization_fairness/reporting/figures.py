"""The paper's figures, drawn from the seed-aggregated tables of one experiment.

Every figure function takes `(groups, models, ...)`: the aggregated group table and the
aggregated model table (see `reporting.aggregate`), both of one experiment, so that a registry can
call each one alike; a figure reads whichever of the two holds its numbers, and one drawn from
paired comparisons also takes the aggregated comparison table of the models (`model_differences`,
see `reporting.statistics`). Budgets are plotted on
a numeric axis of the ReLUs kept (`relus_kept`), never of the declared `budget` (a string such as
"250", "p5" or "14t"), which labels ticks, bars and points where the count alone would not name it.

Every function returns a `matplotlib.figure.Figure` built without pyplot, so no GUI backend or
global figure list is involved (PNG output goes through Agg) and nothing needs closing. Error bars
and bands are 95% confidence intervals over seeds (drawn as zero where there is a single seed).
Majority groups are drawn in blues with solid lines, minority groups (training share below the
uniform share) in reds with dashed lines and hatched bars. A figure whose inputs are absent
shows a "no data for ..." message instead of raising.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator

from linearization_fairness.reporting.aggregate import (
    BASE_METHOD,
    BASE_VARIANT,
    CONTROL_METHOD,
    MITIGATED_VARIANT,
    PLAIN_VARIANT,
    budget_text,
    declares_count,
    linearization_methods,
    lowest_budget_rows,
    rows_of,
    variant_label,
)
from linearization_fairness.reporting.cost import COST_LABELS, CostColumn, PICostConfig, add_cost_columns
from linearization_fairness.reporting.statistics import seed_interval

PANEL_SIZE = (5.2, 3.8)
# The report shows a figure at most 1200 px wide (at 100 dpi): panels wrap onto rows beyond it.
MAX_FIGURE_WIDTH = 12.0
# Ticks on a log axis closer than this (in decades, 0.06 ~ a ratio of 1.15) print their labels
# on alternate lines, so that 750 and 768 ReLUs do not overprint.
MIN_TICK_GAP = 0.06
MINORITY_HATCH = "///"
METHOD_COLOURS = {"snl": "#1b9e77", "deepreduce": "#7570b3", "random": "#e7298a"}
METHOD_MARKERS = {"snl": "o", "deepreduce": "s", "random": "D"}
EXTRA_METHOD_COLOURS = ("#66a61e", "#a6761d", "#e6ab02", "#666666")
EXTRA_METHOD_MARKERS = ("v", "P", "X", "*")
BASE_STYLE = {"color": "black", "linestyle": "-"}
CONTROL_STYLE = {"color": "0.45", "linestyle": "--"}
BASE_BAR_COLOUR = "0.7"  # light enough for the black minority hatching to show
# The two sets of groups of the relative-drop figure: their statistic in the comparison tables,
# whether it is the minority's, and their colours and line style as for single groups.
GROUP_SETS = (("majority_relative_drop", False, "Blues", "-"), ("minority_relative_drop", True, "Reds", "--"))

FIGURE_CAPTIONS = {
    "group_accuracy_drop_lowest_budget": "Each group's relative accuracy drop at every method's lowest ReLU budget "
    "(paper Fig. 1): look for minority (hatched) groups losing far more than the majority.",
    "accuracy_vs_budget": "Global accuracy against the number of ReLUs kept (paper Fig. 5): linearized models "
    "should stay close to the all-ReLU reference line while the per-group figures show who pays.",
    "relative_drop_vs_budget": "Mean relative accuracy drop of the minority groups and of the majority groups as "
    "the ReLU budget shrinks (paper Fig. 6), each averaged over its groups per seed, with 95% CI bands over seeds: "
    "look for the dashed minority line rising while the solid majority line stays near zero.",
    "param_distance_vs_budget": "Distance of the linearized weights from the all-ReLU weights (paper Fig. 8, left): "
    "it should grow as fewer ReLUs are kept, which amplifies the group gradient terms of the bound.",
    "gradnorm_vs_accuracy": "Group accuracy against the norm of the group's loss gradient (paper Fig. 8, middle): "
    "look for minority groups combining larger gradient norms with lower accuracy.",
    "margin_vs_accuracy": "Group accuracy against the mean top-1 minus top-2 softmax probability, a distance to "
    "the decision boundary (paper Fig. 8, right): minority groups should sit closer to the boundary.",
    "hessian_by_group": "Top eigenvalue of each group's loss Hessian per ReLU budget (paper Fig. 4): "
    "look for higher curvature on minority groups. Measured on the test split: the group's mean loss over "
    "batches of up to evaluate.hessian_batch_size of its samples (those drawn by diagnostics_per_group, or "
    "all), the maximum over batches; the values depend on that batch, so compare only runs that share it.",
    "mitigation_effect": "Accuracy of fairness-aware finetuning minus plain distillation finetuning, per group and "
    "budget (paper Fig. 9), the mean over seeds of the two models' paired difference on the same test samples, "
    "with its 95% CI over seeds: bars above zero mean the mitigation helped that group.",
    "worst_group_vs_cost": "Worst-group accuracy against the estimated private-inference cost of each model: "
    "look for the budget below which the cheapest models give up the worst group.",
    "decision_boundaries": "Decision regions of models trained on the 2-D toy task (paper Fig. 2): "
    "look for the model with fewer ReLUs bending its boundary less around the minority class.",
}


@dataclass(frozen=True)
class GroupStyle:
    name: str
    colour: tuple[float, float, float, float]
    linestyle: str
    hatch: str
    label: str
    is_minority: bool


@dataclass(frozen=True)
class BarSeries:
    """One set of bars across the groups: `rows` hold `<column>_mean` and `error_column` per group_id."""

    label: str
    rows: pd.DataFrame
    colour: str | tuple[float, ...]
    error_column: str


def no_data_figure(message: str) -> Figure:
    """A figure that states what is missing instead of a plot."""
    figure = Figure(figsize=PANEL_SIZE, layout="constrained")
    axes = figure.subplots()
    axes.axis("off")
    axes.text(0.5, 0.5, textwrap.fill(message, 50), ha="center", va="center", fontsize=10)
    return figure


def _experiment_title(groups: pd.DataFrame, models: pd.DataFrame, title: str) -> str:
    experiments = sorted(set(groups["experiment"]) | set(models["experiment"]))
    if len(experiments) > 1:
        raise ValueError(
            f"the tables hold experiments {experiments}; pass one experiment's rows of both, "
            f"e.g. groups[groups['experiment'] == {experiments[0]!r}]"
        )
    return f"{title} ({experiments[0]})" if experiments else title


def _flag(value: object) -> bool:
    return bool(pd.notna(value) and value)


def group_styles(rows: pd.DataFrame) -> dict[int, GroupStyle]:
    """Style per group id, majority groups (largest training share first) in blues, minority in reds."""
    groups = rows.drop_duplicates("group_id")[["group_id", "group_name", "train_share", "is_minority"]]
    groups = groups.sort_values(["train_share", "group_id"], ascending=[False, True], na_position="last")
    minority = groups["is_minority"].map(_flag)
    styles = {}
    for is_minority, colour_map in ((False, "Blues"), (True, "Reds")):
        members = groups[minority == is_minority]
        shades = np.linspace(0.9, 0.45, len(members)) if len(members) > 1 else [0.75]
        for shade, (_, group) in zip(shades, members.iterrows()):
            share = "" if pd.isna(group["train_share"]) else f"{group['train_share']:.0%} of train"
            kind = "minority" if is_minority else "majority"
            styles[int(group["group_id"])] = GroupStyle(
                name=str(group["group_name"]),
                colour=matplotlib.colormaps[colour_map](shade),
                linestyle="--" if is_minority else "-",
                hatch=MINORITY_HATCH if is_minority else "",
                label=f"{group['group_name']} ({kind}{', ' + share if share else ''})",
                is_minority=is_minority,
            )
    return {group_id: styles[group_id] for group_id in groups["group_id"].astype(int)}


def _method_colour(method: str, methods: Sequence[str]) -> str:
    if method in METHOD_COLOURS:
        return METHOD_COLOURS[method]
    return EXTRA_METHOD_COLOURS[list(methods).index(method) % len(EXTRA_METHOD_COLOURS)]


def _method_marker(method: str, methods: Sequence[str]) -> str:
    if method in METHOD_MARKERS:
        return METHOD_MARKERS[method]
    return EXTRA_METHOD_MARKERS[list(methods).index(method) % len(EXTRA_METHOD_MARKERS)]


def _values(column: pd.Series, scale: float = 1.0) -> np.ndarray:
    return column.to_numpy(dtype=float) * scale


def _errors(column: pd.Series, scale: float = 1.0) -> np.ndarray:
    """CI half-widths ready for matplotlib: NaN (a single seed) drawn as no error bar."""
    return np.nan_to_num(_values(column, scale), nan=0.0)


def _bounded_errors(means: np.ndarray, half_widths: pd.Series, metric: str, scale: float = 1.0) -> np.ndarray:
    """(below, above) error lengths, in plotted units, of the intervals over seeds mean ± half-width
    cut at the metric's range, as the report's tables and sentences cut them (see seed_interval)."""
    low, high = seed_interval(means, _errors(half_widths, scale), metric, scale)
    return np.vstack([np.maximum(means - low, 0.0), np.maximum(high - means, 0.0)])


def _panel_grid(panel_size: tuple[float, float], count: int, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure of `count` panels on as few rows as fit MAX_FIGURE_WIDTH, rather than one long strip."""
    columns = max(1, min(count, int(MAX_FIGURE_WIDTH // panel_size[0])))
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows), layout="constrained")
    axes = list(figure.subplots(rows, columns, sharey=sharey, squeeze=False).ravel())
    for unused in axes[count:]:
        figure.delaxes(unused)
    return figure, axes[:count]


def _staggered(values: Sequence[float], labels: Sequence[str]) -> list[str]:
    """`labels` (of ascending tick `values`) on as many lines of labels as needed so that no two
    within MIN_TICK_GAP decades share one: each goes on the first line whose last label is far enough."""
    height = max((label.count("\n") + 1 for label in labels), default=1)
    last_on_line: list[float] = []
    staggered = []
    for value, label in zip(values, labels):
        line = next(
            (index for index, last in enumerate(last_on_line) if value <= 0 or last <= 0 or math.log10(value / last) >= MIN_TICK_GAP),
            len(last_on_line),
        )
        last_on_line[line : line + 1] = [value]
        staggered.append("\n" * (height * line) + label)
    return staggered


def _log_axis(axes: Axes, values: Sequence[float], labels: Sequence[str], axis_label: str) -> None:
    """Log x axis with a tick at each value plotted, labelled `labels` rather than powers of ten."""
    # A log axis cannot show a model with zero ReLUs, so fall back to symlog when one is present.
    if all(value > 0 for value in values):
        axes.set_xscale("log")
    else:
        axes.set_xscale("symlog", linthresh=1.0)
        axis_label = axis_label.replace("log scale", "symlog scale")
    axes.xaxis.set_minor_locator(NullLocator())
    axes.set_xticks(list(values), _staggered(list(values), list(labels)), rotation=30, fontsize=8)
    axes.set_xlabel(axis_label)


def _budget_axis(axes: Axes, rows: pd.DataFrame) -> None:
    """Log axis of the ReLUs kept, a tick per count plotted: the count, with the declared budgets
    that are not that count below it ("768" over "14t"), so DeepReDuce and fractional budgets
    stay recognisable."""
    declared: dict[float, list[str]] = {}
    for budget, relus_kept in rows[["budget", "relus_kept"]].drop_duplicates().itertuples(index=False):
        names = declared.setdefault(float(relus_kept), [])
        if not declares_count(budget, relus_kept) and str(budget) not in names:
            names.append(str(budget))
    counts = sorted(value for value in declared if np.isfinite(value))
    labels = [f"{count:,.0f}" + "".join(f"\n{name}" for name in declared[count]) for count in counts]
    _log_axis(axes, counts, labels, "ReLUs kept (log scale; declared budget below where not a count)")


def _reference_row(models: pd.DataFrame, method: str, column: str) -> pd.Series | None:
    """The model row of the base model or the finetune-only control, if it has `column`."""
    variant = BASE_VARIANT if method == BASE_METHOD else PLAIN_VARIANT
    rows = rows_of(models, method, variant)
    rows = rows[rows[f"{column}_mean"].notna()]
    return None if rows.empty else rows.iloc[0]


def _draw_reference_lines(axes: Axes, models: pd.DataFrame, column: str, scale: float) -> None:
    """Horizontal lines (with CI bands) for the all-ReLU model and the finetune-only control."""
    for method, style, label in (
        (BASE_METHOD, BASE_STYLE, "all-ReLU base model"),
        (CONTROL_METHOD, CONTROL_STYLE, "finetune only (no ReLU removed)"),
    ):
        row = _reference_row(models, method, column)
        if row is None:
            continue
        mean = row[f"{column}_mean"] * scale
        (below,), (above,) = _bounded_errors(np.array([mean]), pd.Series([row[f"{column}_ci95"]]), column, scale)
        axes.axhline(mean, label=label, linewidth=1.2, **style)
        if below + above > 0:
            axes.axhspan(mean - below, mean + above, color=style["color"], alpha=0.12, linewidth=0)


def _grouped_bars(
    axes: Axes,
    styles: Mapping[int, GroupStyle],
    series: Sequence[BarSeries],
    column: str,
    scale: float,
) -> None:
    """Bars of `<column>_mean` per group (x axis), one bar per series side by side, minority hatched."""
    group_ids = list(styles)
    positions = np.arange(len(group_ids))
    width = 0.8 / len(series)
    for index, one_series in enumerate(series):
        by_group = one_series.rows.drop_duplicates("group_id").set_index("group_id").reindex(group_ids)
        means = _values(by_group[f"{column}_mean"], scale)
        bars = axes.bar(
            positions - 0.4 + width * (index + 0.5),
            means,
            width,
            yerr=_bounded_errors(means, by_group[one_series.error_column], column, scale),
            color=one_series.colour,
            edgecolor="black",
            linewidth=0.5,
            capsize=2,
            label=one_series.label,
        )
        for bar, group_id in zip(bars.patches, group_ids):
            bar.set_hatch(styles[group_id].hatch)
    axes.set_xticks(positions, [styles[group_id].name for group_id in group_ids])
    for tick, group_id in zip(axes.get_xticklabels(), group_ids):
        tick.set_color("firebrick" if styles[group_id].is_minority else "black")
    axes.axhline(0.0, color="black", linewidth=0.6)


def _series_per_budget(rows: pd.DataFrame, error_column: str) -> list[BarSeries]:
    """One bar series per budget of `rows`, most ReLUs first, shaded from light to dark."""
    budgets = rows[["budget", "relus_kept"]].drop_duplicates().sort_values("relus_kept", ascending=False)
    shades = matplotlib.colormaps["viridis"](np.linspace(0.85, 0.2, len(budgets)))
    return [
        BarSeries(
            budget_text(budget, relus_kept),
            rows[(rows["budget"] == budget) & (rows["relus_kept"] == relus_kept)],
            tuple(shade),
            error_column,
        )
        for (budget, relus_kept), shade in zip(budgets.itertuples(index=False), shades)
    ]


def _minority_legend_handle() -> Patch:
    return Patch(facecolor="white", edgecolor="firebrick", hatch=MINORITY_HATCH, label="hatched / red: minority group")


def fig_group_accuracy_drop_lowest_budget(
    groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT
) -> Figure:
    """Paper Fig. 1: per-group relative accuracy drop at each method's lowest budget, with the control."""
    title = _experiment_title(groups, models, "Relative accuracy drop per group\nat each method's lowest ReLU budget")
    methods = linearization_methods(groups)
    series = []
    for method in methods:
        rows = lowest_budget_rows(groups, method, variant)
        if rows["relative_drop_mean"].notna().any():
            budget = budget_text(rows["budget"].iloc[0], rows["relus_kept"].iloc[0])
            label = f"{method}, {budget}, {variant_label(variant)}"
            series.append(BarSeries(label, rows, _method_colour(method, methods), "relative_drop_ci95"))
    if not series:
        return no_data_figure(f"no data for the relative accuracy drop of linearized models ({variant_label(variant)})")
    control = rows_of(groups, CONTROL_METHOD, PLAIN_VARIANT)
    if control["relative_drop_mean"].notna().any():
        control_label = "finetune only (no ReLU removed)"
        series.append(BarSeries(control_label, control, CONTROL_STYLE["color"], "relative_drop_ci95"))

    styles = group_styles(pd.concat([one_series.rows for one_series in series]))
    figure = Figure(figsize=(max(PANEL_SIZE[0], 0.9 * len(styles) + 2), PANEL_SIZE[1] + 0.6), layout="constrained")
    axes = figure.subplots()
    _grouped_bars(axes, styles, series, "relative_drop", 100.0)
    axes.set_xlabel("group (majority left, by training share)")
    axes.set_ylabel("relative accuracy drop\nvs all-ReLU model (%)")
    handles, _ = axes.get_legend_handles_labels()
    axes.legend(handles=[*handles, _minority_legend_handle()], fontsize=7)
    figure.suptitle(title, fontsize=10)
    return figure


def fig_accuracy_vs_budget(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> Figure:
    """Paper Fig. 5: global accuracy vs ReLUs kept per method, base model and control as reference lines."""
    title = _experiment_title(groups, models, "Global accuracy vs ReLU budget")
    return _model_metric_vs_budget(models, "overall_accuracy", 100.0, "global test accuracy (%)", title, variant)


def fig_param_distance_vs_budget(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> Figure:
    """Paper Fig. 8 (left): ||theta - theta_base||_2 vs ReLUs kept per method, the control as reference."""
    title = _experiment_title(groups, models, "Distance of the weights from the all-ReLU model")
    label = "parameter distance ||θ − θ_base||₂"
    return _model_metric_vs_budget(models, "param_distance", 1.0, label, title, variant)


def _model_metric_vs_budget(
    models: pd.DataFrame, column: str, scale: float, y_label: str, title: str, variant: str
) -> Figure:
    methods = linearization_methods(models)
    lines = [
        (method, rows.sort_values("relus_kept"))
        for method in methods
        if not (rows := rows_of(models, method, variant).dropna(subset=[f"{column}_mean"])).empty
    ]
    if not lines:
        return no_data_figure(f"no data for {column} of linearized models ({variant_label(variant)})")
    figure = Figure(figsize=PANEL_SIZE, layout="constrained")
    axes = figure.subplots()
    for method, rows in lines:
        means = _values(rows[f"{column}_mean"], scale)
        axes.errorbar(
            _values(rows["relus_kept"]),
            means,
            yerr=_bounded_errors(means, rows[f"{column}_ci95"], column, scale),
            marker=_method_marker(method, methods),
            color=_method_colour(method, methods),
            capsize=3,
            label=f"{method} ({variant_label(variant)})",
        )
    _draw_reference_lines(axes, models, column, scale)
    _budget_axis(axes, pd.concat([rows for _, rows in lines]))
    axes.set_ylabel(y_label)
    axes.legend(fontsize=7)
    figure.suptitle(title, fontsize=10)
    return figure


def fig_relative_drop_vs_budget(
    groups: pd.DataFrame, models: pd.DataFrame, model_differences: pd.DataFrame, variant: str = PLAIN_VARIANT
) -> Figure:
    """Paper Fig. 6: the mean relative accuracy drop of the minority groups and that of the
    majority groups vs ReLUs kept, one panel per method, from the aggregated comparison table
    `model_differences` (see reporting/statistics.py): each seed's model against the all-ReLU model
    of its seed, its drops averaged over each set, then over seeds. One line per set, not per
    group, so that ten groups stay readable; the groups of each set are named in the legend."""
    title = _experiment_title(groups, models, "Relative accuracy drop of the minority and the majority groups vs ReLU budget")
    against_base = model_differences[model_differences["reference"] == BASE_VARIANT]
    means = [f"{statistic}_mean" for statistic, *_ in GROUP_SETS]
    panels = [
        (method, rows.sort_values("relus_kept"))
        for method in linearization_methods(against_base)
        if not (rows := rows_of(against_base, method, variant).dropna(subset=means, how="all")).empty
    ]
    if not panels:
        return no_data_figure(f"no data for the relative accuracy drop of linearized models ({variant_label(variant)})")
    members = {False: [], True: []}
    for style in group_styles(groups).values():
        members[style.is_minority].append(style.name)
    drawn = set()
    figure, all_axes = _panel_grid((PANEL_SIZE[0], PANEL_SIZE[1] + 0.6), len(panels), sharey=True)
    for axes, (method, rows) in zip(all_axes, panels):
        relus = _values(rows["relus_kept"])
        for statistic, is_minority, colour_map, linestyle in GROUP_SETS:
            mean = _values(rows[f"{statistic}_mean"], 100.0)
            if np.isnan(mean).all():
                continue
            drawn.add(is_minority)
            below, above = _bounded_errors(mean, rows[f"{statistic}_ci95"], "relative_drop", 100.0)
            colour = matplotlib.colormaps[colour_map](0.75)
            axes.plot(relus, mean, marker="o", color=colour, linestyle=linestyle)
            axes.fill_between(relus, mean - below, mean + above, color=colour, alpha=0.15)
        axes.axhline(0.0, color="black", linewidth=0.6)
        _budget_axis(axes, rows)
        axes.set_title(f"{method} ({variant_label(variant)})", fontsize=9)
    all_axes[0].set_ylabel("mean relative accuracy drop\nvs all-ReLU model (%)")
    handles = []
    for _, is_minority, colour_map, linestyle in GROUP_SETS:
        label = f"{'minority' if is_minority else 'majority'} groups"
        if members[is_minority]:
            label += f" ({textwrap.shorten(', '.join(members[is_minority]), 60, placeholder=', …')})"
        if is_minority not in drawn:
            # A relative drop needs an all-ReLU accuracy above 0: say why a set has no line.
            label += ": none" if not members[is_minority] else ": no relative drop, the all-ReLU model gets none right"
        handles.append(Line2D([], [], marker="o", color=matplotlib.colormaps[colour_map](0.75), linestyle=linestyle, label=label))
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=7)
    figure.suptitle(f"{title}\n(mean over the set's groups per seed; bands: 95% CI over seeds)", fontsize=10)
    return figure


def fig_gradnorm_vs_accuracy(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> Figure:
    """Paper Fig. 8 (middle): group accuracy vs the norm of the gradient of the group's mean loss."""
    title = _experiment_title(groups, models, "Group accuracy vs group gradient norm")
    x_label = "norm of the gradient of the group's mean loss"
    return _group_metric_vs_accuracy(groups, "grad_norm", x_label, title, variant)


def fig_margin_vs_accuracy(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> Figure:
    """Paper Fig. 8 (right): group accuracy vs mean top-1 minus top-2 softmax probability."""
    title = _experiment_title(groups, models, "Group accuracy vs distance to the decision boundary")
    x_label = "mean top-1 − top-2 softmax probability (distance to boundary)"
    return _group_metric_vs_accuracy(groups, "prob_margin", x_label, title, variant)


def _group_metric_vs_accuracy(groups: pd.DataFrame, metric: str, x_label: str, title: str, variant: str) -> Figure:
    """One point per (linearization method, budget, group): colour = group, marker = method."""
    methods = linearization_methods(groups)
    rows = groups[groups["method"].isin(methods) & (groups["variant"] == variant)]
    rows = rows.dropna(subset=[f"{metric}_mean", "accuracy_mean"])
    if rows.empty:
        return no_data_figure(f"no data for {metric} and accuracy of linearized models ({variant_label(variant)})")
    styles = group_styles(rows)
    figure = Figure(figsize=(PANEL_SIZE[0] + 1.6, PANEL_SIZE[1]), layout="constrained")
    axes = figure.subplots()
    for (method, group_id), points in rows.groupby(["method", "group_id"], sort=False):
        x, y = _values(points[f"{metric}_mean"]), _values(points["accuracy_mean"], 100.0)
        axes.errorbar(
            x,
            y,
            xerr=_bounded_errors(x, points[f"{metric}_ci95"], metric),
            yerr=_bounded_errors(y, points["accuracy_ci95"], "accuracy", 100.0),
            fmt=_method_marker(method, methods),
            color=styles[int(group_id)].colour,
            markeredgecolor="black",
            markeredgewidth=0.4,
            capsize=2,
            elinewidth=0.8,
        )
    group_handles = [
        Line2D([], [], marker="o", linestyle="", color=style.colour, label=style.label) for style in styles.values()
    ]
    method_handles = [
        Line2D([], [], marker=_method_marker(method, methods), linestyle="", color="0.3", label=method)
        for method in rows["method"].unique()
    ]
    axes.legend(handles=group_handles + method_handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    axes.set_xlabel(x_label)
    axes.set_ylabel("group test accuracy (%)")
    figure.suptitle(f"{title}\n(one point per group, method and budget; {variant_label(variant)})", fontsize=10)
    return figure


def fig_hessian_by_group(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> Figure:
    """Paper Fig. 4: top Hessian eigenvalue of each group's loss, bars per budget, one panel per method."""
    title = _experiment_title(groups, models, "Top eigenvalue of the group loss Hessian")
    base = rows_of(groups, BASE_METHOD, BASE_VARIANT)
    base_series = (
        [BarSeries("all-ReLU base model", base, BASE_BAR_COLOUR, "hessian_top_eig_ci95")]
        if base["hessian_top_eig_mean"].notna().any()
        else []
    )
    panels = []
    for method in linearization_methods(groups):
        rows = rows_of(groups, method, variant).dropna(subset=["hessian_top_eig_mean"])
        if not rows.empty:
            panels.append((method, base_series + _series_per_budget(rows, "hessian_top_eig_ci95")))
    if not panels:
        return no_data_figure(
            f"no data for the group Hessian eigenvalue of linearized models ({variant_label(variant)})"
        )
    styles = group_styles(pd.concat([one_series.rows for _, series in panels for one_series in series]))
    width = max(PANEL_SIZE[0], 0.9 * len(styles) + 2)
    figure, all_axes = _panel_grid((width, PANEL_SIZE[1] + 0.4), len(panels))
    for axes, (method, series) in zip(all_axes, panels):
        _grouped_bars(axes, styles, series, "hessian_top_eig", 1.0)
        axes.set_title(f"{method} ({variant_label(variant)})", fontsize=9)
        axes.set_ylabel("top Hessian eigenvalue")
        handles, _ = axes.get_legend_handles_labels()
        axes.legend(handles=[*handles, _minority_legend_handle()], fontsize=7)
    figure.suptitle(title, fontsize=10)
    return figure


def fig_mitigation_effect(groups: pd.DataFrame, models: pd.DataFrame, group_differences: pd.DataFrame) -> Figure:
    """Paper Fig. 9: accuracy with fairness-aware finetuning minus plain finetuning, per group and
    budget, from `group_differences` (see reporting/statistics.py): the seed mean of each seed's
    paired difference and its 95% CI over seeds, as the report's tables give them."""
    title = _experiment_title(groups, models, "Mitigation: fairness-aware minus plain finetuning accuracy")
    against_plain = group_differences[group_differences["reference"] == PLAIN_VARIANT]
    panels = [
        (method, paired)
        for method in linearization_methods(against_plain)
        if not (paired := rows_of(against_plain, method, MITIGATED_VARIANT).dropna(subset=["difference_mean"])).empty
    ]
    if not panels:
        return no_data_figure(
            f"no data for the mitigation effect: no method has both {PLAIN_VARIANT!r} and "
            f"{MITIGATED_VARIANT!r} models of the same cell"
        )
    styles = group_styles(pd.concat([paired for _, paired in panels]))
    width = max(PANEL_SIZE[0], 0.9 * len(styles) + 2)
    figure, all_axes = _panel_grid((width, PANEL_SIZE[1] + 0.4), len(panels), sharey=True)
    for axes, (method, paired) in zip(all_axes, panels):
        _grouped_bars(axes, styles, _series_per_budget(paired, "difference_ci95"), "difference", 100.0)
        axes.set_title(method, fontsize=9)
        axes.set_ylabel("accuracy change from mitigation\n(percentage points)")
        handles, _ = axes.get_legend_handles_labels()
        axes.legend(handles=[*handles, _minority_legend_handle()], fontsize=7)
    figure.suptitle(f"{title}\n(above 0: the mitigation helped the group)", fontsize=10)
    return figure


def fig_worst_group_vs_cost(
    groups: pd.DataFrame,
    models: pd.DataFrame,
    pi_cost: PICostConfig | None = None,
    cost: CostColumn = "offline_mb",
    variant: str = PLAIN_VARIANT,
) -> Figure:
    """Worst-group accuracy vs estimated private-inference cost (from each model's ReLUs kept); each
    linearized point is labelled with its declared budget, as the cost axis does not name it."""
    if cost not in COST_LABELS:
        raise ValueError(f"cost={cost!r} is unknown; use one of: {', '.join(COST_LABELS)}")
    title = _experiment_title(groups, models, "Worst-group accuracy vs estimated private-inference cost")
    costed = add_cost_columns(models, pi_cost, relu_column="relus_kept")
    costed = costed.dropna(subset=["worst_group_accuracy_mean", cost])
    methods = linearization_methods(models)
    curves = [
        (
            f"{method} ({variant_label(variant)})",
            rows.sort_values(cost),
            _method_colour(method, methods),
            _method_marker(method, methods),
        )
        for method in methods
        if not (rows := rows_of(costed, method, variant)).empty
    ]
    labelled = len(curves)  # the reference models below keep every ReLU: no budget to name
    curves += [
        (label, rows, style["color"], marker)
        for method, label, style, marker in (
            (BASE_METHOD, "all-ReLU base model", BASE_STYLE, "*"),
            (CONTROL_METHOD, "finetune only (no ReLU removed)", CONTROL_STYLE, "X"),
        )
        if not (rows := rows_of(costed, method, BASE_VARIANT if method == BASE_METHOD else PLAIN_VARIANT)).empty
    ]
    if not curves:
        return no_data_figure("no data for worst-group accuracy with a known ReLU count")
    figure = Figure(figsize=PANEL_SIZE, layout="constrained")
    axes = figure.subplots()
    budgets_at: dict[tuple[float, float], list[str]] = {}  # point -> the declared budgets drawn there
    for index, (label, rows, colour, marker) in enumerate(curves):
        x, y = _values(rows[cost]), _values(rows["worst_group_accuracy_mean"], 100.0)
        axes.errorbar(
            x,
            y,
            yerr=_bounded_errors(y, rows["worst_group_accuracy_ci95"], "worst_group_accuracy", 100.0),
            marker=marker,
            markersize=8 if marker in ("*", "X") else 6,
            color=colour,
            capsize=3,
            label=label,
        )
        if index < labelled:
            for point, budget in zip(zip(x, y), rows["budget"]):
                budgets_at.setdefault(point, []).append(str(budget))
    # One label per point, so that methods meeting at the same cost and accuracy do not overprint.
    for point, budgets in budgets_at.items():
        axes.annotate("/".join(budgets), point, xytext=(4, 4), textcoords="offset points", fontsize=6, color="0.25")
    costs = sorted(set(costed[cost].astype(float)))
    _log_axis(axes, costs, [format(value, ".3g") for value in costs], f"estimated {COST_LABELS[cost]}, log scale")
    axes.set_ylabel("worst-group test accuracy (%)")
    axes.legend(fontsize=7)
    figure.suptitle(f"{title}\n(per-ReLU constants of a Delphi-style protocol, 2021 hardware)", fontsize=10)
    return figure


def fig_decision_boundaries(
    models: Mapping[str, torch.nn.Module],
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    class_names: Sequence[str] | None = None,
    grid_points: int = 150,
    figure: Figure | SubFigure | None = None,
    minority_classes: Collection[int] | None = None,
) -> Figure | SubFigure:
    """Paper Fig. 2: decision regions of each model over the 2-D inputs `x` (N, 2), points coloured by class.

    Drawn into `figure` when given (e.g. a subfigure beside other panels), else into a new Figure.
    `minority_classes` names the minority where `y` is balanced (a balanced test split).

    A class is a minority when its share of `y` is below the uniform share; minority classes are
    drawn in reds with triangles, majority classes in blues with circles. Each panel's title gives
    the model's global and per-class accuracy on (x, y).
    """
    points = (x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)).astype(np.float32)
    labels = (y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)).astype(np.int64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"x has shape {points.shape}; decision boundaries need 2-D inputs of shape (N, 2)")
    if len(labels) != len(points):
        raise ValueError(f"x has {len(points)} points but y has {len(labels)} labels; pass matching arrays")
    if grid_points < 2:
        raise ValueError(f"grid_points={grid_points} must be at least 2")
    if not models or len(points) == 0:
        return no_data_figure("no data for decision boundaries: pass at least one model and one point")

    classes, counts = np.unique(labels, return_counts=True)
    class_count = max(int(classes.max()) + 1, len(class_names or []))
    if minority_classes is None:
        minority = {int(c) for c, count in zip(classes, counts) if count / len(labels) < 1 / len(classes)}
    else:
        minority = {int(c) for c in minority_classes}
    names = list(class_names) if class_names is not None else [f"class {c}" for c in range(class_count)]
    if len(names) < class_count:
        raise ValueError(f"class_names names {len(names)} classes but y holds class {class_count - 1}")
    class_colours = _class_colours(class_count, minority)

    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.05 * np.maximum(high - low, 1e-6)
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], grid_points),
        np.linspace(low[1] - margin[1], high[1] + margin[1], grid_points),
    )
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)

    if figure is None:
        figure = Figure(figsize=(4.2 * len(models), 4.4), layout="constrained")
    for axes, (model_name, model) in zip(np.atleast_1d(figure.subplots(1, len(models))), models.items()):
        region = _predict_classes(model, grid).reshape(grid_x.shape)
        predicted = _predict_classes(model, points)
        regions_map = ListedColormap([to_rgba(colour, 0.25) for colour in class_colours])
        axes.contourf(grid_x, grid_y, region, levels=np.arange(class_count + 1) - 0.5, cmap=regions_map)
        axes.contour(grid_x, grid_y, region, levels=np.arange(class_count) + 0.5, colors="black", linewidths=0.8)
        accuracies = [f"global {np.mean(predicted == labels):.1%}"]
        for class_id in classes:
            members = labels == class_id
            axes.scatter(
                points[members, 0],
                points[members, 1],
                s=8,
                color=class_colours[class_id],
                marker="^" if class_id in minority else "o",
                edgecolors="none",
                label=_class_label(names[class_id], class_id in minority),
            )
            accuracies.append(f"{names[class_id]} {np.mean(predicted[members] == class_id):.1%}")
        axes.set_title(f"{model_name}\n" + ", ".join(accuracies), fontsize=9)
        axes.set_xlabel("x₁")
        axes.set_ylabel("x₂")
        axes.legend(fontsize=7, loc="upper right")
    figure.suptitle("Decision regions of each model on the 2-D task", fontsize=10)
    return figure


def _class_label(name: str, is_minority: bool) -> str:
    kind = "minority" if is_minority else "majority"
    # the toy task's classes are already called "majority" and "minority"
    return name if kind in name.lower() else f"{name} ({kind})"


def _class_colours(class_count: int, minority: set[int]) -> list[tuple[float, float, float, float]]:
    majority_ids = [c for c in range(class_count) if c not in minority]
    minority_ids = sorted(minority)
    colours: dict[int, tuple[float, float, float, float]] = {}
    for ids, colour_map in ((majority_ids, "Blues"), (minority_ids, "Reds")):
        shades = np.linspace(0.8, 0.5, len(ids)) if len(ids) > 1 else [0.7]
        colours.update({class_id: matplotlib.colormaps[colour_map](shade) for class_id, shade in zip(ids, shades)})
    return [colours[class_id] for class_id in range(class_count)]


def _predict_classes(model: torch.nn.Module, inputs: np.ndarray) -> np.ndarray:
    """Arg-max class of `model` on `inputs`, in eval mode; the model's train/eval mode is restored."""
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(torch.from_numpy(inputs).to(device))
    finally:
        model.train(was_training)
    return logits.argmax(dim=1).cpu().numpy()

