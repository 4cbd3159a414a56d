"""The Figure 2 study's tables, its one figure and its standalone report page."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from torch import nn

from linearization_fairness.figure2.config import Figure2Config
from linearization_fairness.figure2.study import ALL_RELU, class_accuracy
from linearization_fairness.figure2.task import CLASS_NAMES, TaskConfig
from linearization_fairness.models import ModelArtifact
from linearization_fairness.reporting.aggregate import ci95_half_width
from linearization_fairness.reporting.figures import fig_decision_boundaries
from linearization_fairness.reporting.html import figure_data_uri, flatten_config, page_html, table_html
from linearization_fairness.results.schema import FIGURE2_GROUPS, Figure2Accuracy, Figure2Aggregated

MEASURED_SPLITS = ("val", "test")
GROUP_COLOURS = {"global": "0.55", "majority": "#3182bd", "minority": "#de2d26"}


def model_name(rule: str | None) -> str:
    return ALL_RELU if rule is None else f"half_{rule}"


def accuracy_table(splits: dict[str, np.ndarray], models: list[tuple[str, ModelArtifact]]) -> pd.DataFrame:
    """Figure2Accuracy of `models`: (name, artifact whose metadata holds its seed and kept epoch) pairs."""
    rows = []
    for name, artifact in models:
        model = artifact.build()
        for split in MEASURED_SPLITS:
            labels = splits[f"{split}_y"]
            sizes = {"global": len(labels)} | {group: int((labels == label).sum()) for label, group in enumerate(CLASS_NAMES)}
            accuracy = class_accuracy(model, splits, split)
            rows += [{
                "model": name, "split": split, "relus_kept": artifact.metadata["relu_count"],
                "total_relus": artifact.metadata["total_relu_sites"], "seed": artifact.metadata["seed"],
                "best_epoch": artifact.metadata["epoch"], "group": group, "n": sizes[group], "accuracy": accuracy[group],
            } for group in FIGURE2_GROUPS]  # fmt: skip
    return Figure2Accuracy.validate(pd.DataFrame(rows))


def aggregate_accuracy(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Figure2Aggregated: per model, split and group over seeds, with the drop paired to the
    all-ReLU model of each seed."""
    keys = ["seed", "split", "group"]
    reference = accuracy[accuracy["model"] == ALL_RELU].set_index(keys)["accuracy"]
    if reference.empty:
        raise ValueError(f"the accuracy table has no {ALL_RELU} rows; the paired drops need the all-ReLU model of each seed")
    paired = reference.reindex(pd.MultiIndex.from_frame(accuracy[keys])).to_numpy()
    grouped = accuracy.assign(drop=paired - accuracy["accuracy"].to_numpy()).groupby(["model", "split", "group"], sort=False)
    table = grouped.agg(
        relus_kept=("relus_kept", "first"), n_seeds=("seed", "nunique"), accuracy_mean=("accuracy", "mean"),
        accuracy_std=("accuracy", "std"), drop_mean=("drop", "mean"), drop_std=("drop", "std"),
        seeds_worse=("drop", lambda drop: int((drop > 0).sum())),
    ).reset_index()  # fmt: skip
    table["accuracy_ci95"] = ci95_half_width(table["accuracy_std"], table["n_seeds"])
    table["drop_ci95"] = ci95_half_width(table["drop_std"], table["n_seeds"])
    columns = list(Figure2Aggregated.to_schema().columns)
    return Figure2Aggregated.validate(table[columns])


def _draw_boundary(axes, task: TaskConfig) -> None:
    x = np.linspace(-1.0, 1.0, 200)
    y = task.curvature * x**2 + task.offset
    inside = y <= 1.0
    axes.plot(x[inside], y[inside], color="black", linestyle=":", linewidth=1.2, label="true boundary")


def of_split(table: pd.DataFrame, split: str) -> pd.DataFrame:
    return table[table["split"] == split]


def draw_figure2(splits: dict[str, np.ndarray], aggregated: pd.DataFrame, models: dict[str, nn.Module], config: Figure2Config) -> Figure:
    """Left: decision regions of the first seed's models on the test points, the true boundary
    dotted. Right: global / majority / minority test accuracy of each model, mean over seeds with
    95% CIs."""
    figure = Figure(figsize=(4.0 * len(models) + 4.6, 4.6), layout="constrained")
    regions, bars = figure.subfigures(1, 2, width_ratios=[len(models), 1.15])
    minority = [CLASS_NAMES.index("minority")]
    fig_decision_boundaries(
        models, splits["test_x"], splits["test_y"], list(CLASS_NAMES), config.grid_points, figure=regions, minority_classes=minority
    )
    for axes in regions.axes:
        _draw_boundary(axes, config.task)
        axes.set_xlim(-1.05, 1.05)
        axes.set_ylim(-1.05, 1.05)
    regions.suptitle(f"Decision regions, seed {config.seeds[0]} (test points)", fontsize=10)

    test = of_split(aggregated, "test")
    axes = bars.subplots()
    names = list(dict.fromkeys(test["model"]))
    width = 0.8 / len(FIGURE2_GROUPS)
    for offset, group in enumerate(FIGURE2_GROUPS):
        rows = test[test["group"] == group].set_index("model").reindex(names)
        positions = np.arange(len(names)) + (offset - 1) * width
        axes.bar(positions, 100 * rows["accuracy_mean"], width, yerr=100 * rows["accuracy_ci95"].fillna(0.0),
                 color=GROUP_COLOURS[group], capsize=3, label=group)  # fmt: skip
    axes.set_xticks(np.arange(len(names)), [name.replace("_", "\n", 1) for name in names], fontsize=8)
    low = 100 * (test["accuracy_mean"] - test["accuracy_ci95"].fillna(0.0)).min()
    axes.set_ylim(max(0.0, np.floor(low / 5) * 5 - 5), 100.5)
    axes.set_ylabel("test accuracy (%)")
    axes.legend(fontsize=8, loc="lower left")
    bars.suptitle(f"Mean over {int(test['n_seeds'].max())} seeds ± 95% CI", fontsize=10)
    return figure


def findings(aggregated: pd.DataFrame) -> list[str]:
    """Each half-linear model's test accuracy drop per group, paired by seed, flagged where its 95%
    CI includes zero."""
    test = of_split(aggregated, "test")
    sentences = []
    for name in dict.fromkeys(test.loc[test["model"] != ALL_RELU, "model"]):
        rows = test[test["model"] == name].set_index("group")
        parts = []
        for group in FIGURE2_GROUPS:
            row = rows.loc[group]
            interval = "" if pd.isna(row["drop_ci95"]) else f" ± {100 * row['drop_ci95']:.1f}"
            unsure = pd.isna(row["drop_ci95"]) or abs(row["drop_mean"]) <= row["drop_ci95"]
            parts.append(
                f"{group} {100 * row['drop_mean']:+.1f}{interval} points ({row['seeds_worse']} of {row['n_seeds']} seeds worse"
                + ("; CI includes zero)" if unsure else ")")
            )
        sentences.append(
            f"{name} ({rows['relus_kept'].iloc[0]} ReLUs kept) loses, against the all-ReLU model of the same seed on test: "
            + ", ".join(parts) + "."
        )
    return sentences


def _cells(aggregated: pd.DataFrame, mean: str, ci: str) -> pd.DataFrame:
    """One row per model, one column per group, cells "mean ± ci95" in percent (points)."""
    text = [f"{100 * m:.1f}" + ("" if pd.isna(c) else f" ± {100 * c:.1f}") for m, c in zip(aggregated[mean], aggregated[ci])]
    wide = aggregated.assign(cell=text).pivot(index="model", columns="group", values="cell")
    return wide.reindex(index=list(dict.fromkeys(aggregated["model"])), columns=list(FIGURE2_GROUPS)).reset_index()


def figure2_html(aggregated: pd.DataFrame, accuracy: pd.DataFrame, png: bytes, config: Figure2Config) -> str:
    """The study's standalone page: findings, the figure, the tables, the configuration."""
    note = (
        '<p class="note">Both models of a seed start from the same initial weights and are trained from scratch by '
        "the project's training loop; a half-linear model has half its ReLUs replaced by identity before training "
        "(half_random: a seeded uniform draw over all ReLUs; half_every_other: every other neuron of each layer). "
        "Validation and test are balanced between the classes; the kept epoch is the best on validation. Cells are "
        "means over seeds ± the Student-t 95% half-width; drops are paired by seed. Paper (Fig. 2, one run): "
        "all-ReLU 99.3 / 100.0 / 93.0, half-linear 99.0 / – / 88.0 (global / majority / minority).</p>"
    )
    findings_body = "<ul>" + "".join(f"<li>{html.escape(sentence)}</li>" for sentence in findings(aggregated)) + "</ul>"
    figure_body = (
        f'<figure id="figure-figure2"><img alt="figure2" src="{figure_data_uri(png)}"><figcaption>'
        "Left: decision regions of one seed's models, the true boundary dotted; look for the half-linear models "
        "cutting into the minority's cap. Right: test accuracy per group over all seeds.</figcaption></figure>"
    )
    test, val = of_split(aggregated, "test"), of_split(aggregated, "val")
    per_seed = of_split(accuracy, "test").assign(accuracy=lambda table: (100 * table["accuracy"]).round(1))
    config_rows = pd.DataFrame(flatten_config(config.model_dump(mode="json")), columns=["section", "parameter", "value"])
    sections = {
        "findings": ("Findings", note + findings_body),
        "figure": ("Figure", figure_body),
        "results": (
            "Results",
            "<h3>Test accuracy (%)</h3>" + table_html(_cells(test, "accuracy_mean", "accuracy_ci95"))
            + "<h3>Test accuracy drop vs the all-ReLU model of the same seed (points)</h3>"
            + table_html(_cells(test, "drop_mean", "drop_ci95"))
            + "<h3>Validation accuracy (%): the split that picks each model's kept epoch (the width was chosen on another draw's, see the README)</h3>"
            + table_html(_cells(val, "accuracy_mean", "accuracy_ci95"))
            + "<h3>Test accuracy per seed (%)</h3>" + table_html(per_seed),
        ),  # fmt: skip
        "configuration": ("Configuration", table_html(config_rows)),
    }
    return page_html("Figure 2 from scratch: all-ReLU vs half-linear MLPs on a 2-D task", sections)
