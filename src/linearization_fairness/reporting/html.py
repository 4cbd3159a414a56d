"""One self-contained HTML report: figures as base64 PNG data URIs, inline CSS, no scripts or links.

Every piece of text that comes from data or configuration goes through html.escape. Section ids
(SECTION_IDS) are stable so that tests and readers can jump to them.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from linearization_fairness.reporting.aggregate import CONTROL_METHOD, PLAIN_VARIANT, VARIANT_LABELS
from linearization_fairness.reporting.cost import COST_LABELS, PICostConfig, add_cost_columns
from linearization_fairness.reporting.figures import FIGURE_CAPTIONS
from linearization_fairness.reporting.statistics import cell_text, interval_text

SECTION_IDS = (
    "headline", "findings", "statistics", "configuration", "group-statistics", "results", "finetunes", "figures",
    "pi-cost", "provenance",
)  # fmt: skip

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .85em; }
.table { overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f2f2f2; } td.text, th.text { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #444; margin-top: .3em; }
nav a { margin-right: 1em; } .note { font-size: .85em; color: #555; }
.minority { color: #b22222; }
"""


def figure_data_uri(figure: Figure | bytes, dpi: int = 100) -> str:
    """The figure as a `data:image/png;base64,...` URI: PNG bytes as they are, a Figure rendered at `dpi`."""
    if isinstance(figure, Figure):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        figure = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(figure).decode("ascii")


def _text(value: object) -> str:
    return html.escape(str(value))


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "<td>–</td>"
        return f"<td>{value:,.4g}</td>"
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"<td>{value:,}</td>"
    return f'<td class="text">{_text(value)}</td>'


def table_html(table: pd.DataFrame) -> str:
    """A plain HTML table of `table` (escaped; NaN shown as a dash), scrolling sideways in its own
    box where it is wider than the page (ten groups of "mean ± CI [interval]" are), so the page is not."""
    if table.empty:
        return '<p class="note">No rows.</p>'
    header = "".join(f'<th class="text">{_text(column)}</th>' for column in table.columns)
    body = "".join(
        "<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in table.itertuples(index=False)
    )
    return f'<div class="table"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


TOP_LEVEL = "(top level)"


def flatten_config(config: Mapping[str, Any], section: str = "") -> list[tuple[str, str, str]]:
    """A nested mapping of plain values as (section, parameter, value) rows, one per leaf: the section
    is the dotted path of the mappings above the leaf (`linearize.snl`), values written compactly."""
    rows = []
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            rows += flatten_config(value, f"{section}.{key}" if section else str(key))
        else:
            rows.append((section or TOP_LEVEL, str(key), config_value(value)))
    return rows


def config_value(value: Any) -> str:
    """A leaf as one would write it in the YAML config: strings bare, anything else as compact JSON
    (`[750, 250]`, `true`, `null`, `{}`)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _with_interval(table: pd.DataFrame, metric: str, scale: float, decimals: int = 1) -> pd.Series:
    """Cells like "93.1 ± 0.4" from the metric's seed mean and CI (see interval_text: cut at the
    metric's range, left out with one seed)."""
    def one(value: float, interval: float) -> str:
        if pd.isna(value):
            return "–"
        return f"{scale * value:,.{decimals}f}{interval_text(value, interval, metric, scale, decimals)}"

    cells = [one(value, interval) for value, interval in zip(table[f"{metric}_mean"], table[f"{metric}_ci95"])]
    return pd.Series(cells, index=table.index, dtype=object)


# The columns that name a model in the results tables, and their headers.
MODEL_COLUMNS = {
    "experiment": "experiment",
    "method": "method",
    "budget": "budget",
    "relus_kept": "ReLUs kept",
    "variant": "variant",
}


def model_results_table(models: pd.DataFrame) -> pd.DataFrame:
    """Per model (method x budget x variant): seeds, global and worst-group accuracy, parity gap, weight distance."""

    def cells(metric: str, scale: float, decimals: int = 1) -> pd.Series:
        return _with_interval(models, metric, scale, decimals)

    return pd.DataFrame(
        {
            **{label: models[column] for column, label in MODEL_COLUMNS.items()},
            "seeds": models["n_seeds"],
            "global accuracy (%)": cells("overall_accuracy", 100.0),
            "worst-group accuracy (%)": cells("worst_group_accuracy", 100.0),
            "parity gap (points)": cells("parity_gap", 100.0),
            "parameter distance": cells("param_distance", 1.0, 3),
        }
    )


def per_group_table(groups: pd.DataFrame, metric: str, scale: float, cells: pd.Series | None = None) -> pd.DataFrame:
    """One row per model, one column per group (minority groups marked), cells "mean ± ci95" (or `cells`)."""
    if groups.empty:
        return pd.DataFrame()
    cells = groups.assign(
        cell=_with_interval(groups, metric, scale) if cells is None else cells,
        group=[
            f"{name} (minority)" if pd.notna(minority) and minority else str(name)
            for name, minority in zip(groups["group_name"], groups["is_minority"])
        ],
    )
    group_order = cells.sort_values(["train_share", "group_id"], ascending=[False, True])["group"].unique()
    wide = cells.pivot_table(index=list(MODEL_COLUMNS), columns="group", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=group_order).fillna("–").reset_index().rename_axis(columns=None)
    return wide.rename(columns=MODEL_COLUMNS)


# The comparison statistics the report tabulates, per pair of models and per group, and their headers.
PAIR_COLUMNS = {
    "overall_difference": "global accuracy (points)",
    "worst_group_difference": "worst-group accuracy (points)",
    "max_excess_drop": "max excess drop psi (points)",
    "minority_gap": "minority minus majority relative drop (points)",
    "flip_rate": "flip rate (%)",
}


def paired_table(model_differences: pd.DataFrame, reference: str, statistics: Sequence[str]) -> pd.DataFrame:
    """Per compared model against `reference`: seeds and each statistic as "mean ± seed CI
    [test-sample CI]", flagged where an interval includes 0, with the count of seeds above 0."""
    rows = model_differences[model_differences["reference"] == reference]
    columns = {label: rows[column] for column, label in MODEL_COLUMNS.items()} | {"seeds": rows["n_seeds"]}
    for statistic in statistics:
        columns[PAIR_COLUMNS[statistic]] = [cell_text(row, statistic) for _, row in rows.iterrows()]
        columns[f"seeds above 0 ({statistic})"] = rows[f"{statistic}_positive_seeds"]
    return pd.DataFrame(columns)


def group_difference_table(group_differences: pd.DataFrame, reference: str, statistic: str) -> pd.DataFrame:
    """Per compared model against `reference`, one column per group: `statistic` as paired_table writes it."""
    rows = group_differences[group_differences["reference"] == reference]
    cells = pd.Series([cell_text(row, statistic) for _, row in rows.iterrows()], index=rows.index, dtype=object)
    return per_group_table(rows, statistic, 100.0, cells)


def accuracy_interval_table(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per model, one column per group: accuracy (%) "mean ± seed CI [test-sample CI]"."""
    samples = [f" [{100 * low:.1f}, {100 * high:.1f}]" for low, high in zip(intervals["accuracy_sample_low"], intervals["accuracy_sample_high"])]
    return per_group_table(intervals, "accuracy", 100.0, _with_interval(intervals, "accuracy", 100.0) + samples)


STATISTICS_NOTE = (
    '<p class="note">Each comparison pairs two models of the same seed on the same test samples: '
    "every model minus the all-ReLU model of its seed here, and each other finetune (fairness-aware, label-free) minus "
    "plain finetuning of the same cell in the section The finetunes compared. Cells: the mean over seeds of the paired differences ± the half-width of its Student-t 95% "
    "confidence interval over seeds (+a/-b where it is cut at the range of the value), then [the 95% bootstrap interval of that mean over test samples]; "
    '"(CI includes 0 over ...)" marks a difference that one of them does not tell apart from 0. '
    "The excess drop of group g is psi_g = (acc_base,g - acc_lin,g) - (acc_base - acc_lin); weighted by group "
    "size the psi_g average to 0, so their maximum is never below 0 and its interval excluding 0 says nothing "
    "by itself: read a group's own psi_g. The flip rate is the "
    "share of test samples whose predicted class differs between the two models.</p>"
)


NO_PAIRS = '<p class="note">No pairs of models to compare.</p>'


def statistics_body(group_differences: pd.DataFrame, model_differences: pd.DataFrame, intervals: pd.DataFrame) -> str:
    """The statistics section: paired comparisons per model and per group, group accuracies' intervals."""
    if model_differences.empty:
        return NO_PAIRS
    return (
        STATISTICS_NOTE
        + "<h3>Minus the all-ReLU model</h3>"
        + table_html(paired_table(model_differences, "base", list(PAIR_COLUMNS)))
        + "<h3>Per group: excess accuracy drop psi_g against the all-ReLU model (points)</h3>"
        + table_html(group_difference_table(group_differences, "base", "excess_drop"))
        + "<h3>Per group: flip rate against the all-ReLU model (%)</h3>"
        + table_html(group_difference_table(group_differences, "base", "flip_rate"))
        + "<h3>Per group: accuracy (%), mean ± 95% CI over seeds [95% CI over test samples]</h3>"
        + table_html(accuracy_interval_table(intervals))
    )


def mitigation_table(diagnostics: pd.DataFrame) -> pd.DataFrame:
    """One row per fairness-aware finetuned model, one column per group: "final lambda_g / mean
    violation |L_g - L|" (the violation is "–" where never measured)."""
    if diagnostics.empty:
        return pd.DataFrame()
    cells = diagnostics.assign(
        cell=[
            f"{lam:.3f} / " + ("–" if pd.isna(violation) else f"{violation:.3f}")
            for lam, violation in zip(diagnostics["final_lambda"], diagnostics["mean_violation"])
        ]
    )
    index = [*MODEL_COLUMNS, "seed", "penalty", "violations_on"]
    wide = cells.pivot_table(index=index, columns="group_name", values="cell", aggfunc="first", sort=False)
    order = cells.sort_values("group_id")["group_name"].unique()
    return wide.reindex(columns=order).fillna("–").reset_index().rename_axis(columns=None).rename(columns=MODEL_COLUMNS)


MITIGATION_NOTE = (
    '<p class="note">Per fairness-aware finetuned model and group: the Lagrange multiplier after the last '
    "epoch / the violation that drove it, averaged over epochs: |L_g - L| (penalty gap, the paper's) or "
    "(L_g - L)_+ (penalty excess, 0 for a group at or below the mean loss), measured where violations_on says "
    "(train: the training batches, the paper's form; heldout: a slice of the training split not trained on; "
    "val: the validation split). Multipliers near 0 mean the penalty had nothing to act on: a student that "
    "fits its training data has violations near 0 on its training batches.</p>"
)


def group_label_counts_html(statistics: pd.DataFrame | None) -> str:
    """Per split and group, one column per label: its count (none given: nothing)."""
    if statistics is None or statistics.empty:
        return ""
    wide = statistics.pivot_table(index=["split", "group_name"], columns="class_name", values="count", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(statistics.sort_values("label")["class_name"])))
    table = wide.astype(int).reset_index().rename(columns={"group_name": "group"}).rename_axis(columns=None)
    return "<h3>Per (group, label): samples per split</h3>" + table_html(table)


def group_statistics_table(group_statistics: pd.DataFrame) -> pd.DataFrame:
    """Per group: count and share of each split side by side (the data_prep table is one row per split)."""
    needed = {"split", "group_id", "group_name", "count", "share"}
    if not needed <= set(group_statistics.columns) or group_statistics.empty:
        return group_statistics
    wide = group_statistics.pivot_table(
        index=["group_id", "group_name"], columns="split", values=["count", "share"], aggfunc="first", sort=False
    )
    splits = list(dict.fromkeys(group_statistics["split"]))
    columns = {}
    for split in splits:
        columns[f"{split} count"] = wide[("count", split)].astype(int)
        columns[f"{split} share (%)"] = (100 * wide[("share", split)]).round(1)
    return pd.DataFrame(columns).reset_index()


def cost_table(models: pd.DataFrame, pi_cost: PICostConfig) -> pd.DataFrame:
    """Per model (variants share a ReLU count): ReLUs kept, their share of all ReLUs, estimated cost."""
    distinct = models.drop_duplicates(["experiment", "method", "budget", "relus_kept"])
    with_cost = add_cost_columns(distinct, pi_cost, relu_column="relus_kept")
    return pd.DataFrame(
        {
            "experiment": with_cost["experiment"],
            "method": with_cost["method"],
            "budget": with_cost["budget"],
            "ReLUs kept": with_cost["relus_kept"],
            "share of all ReLUs (%)": (100 * with_cost["relus_kept"] / with_cost["total_relus"]).round(2),
            **{COST_LABELS[column]: with_cost[column].round(3) for column in COST_LABELS},
        }
    )


def results_note(variants: Sequence[str]) -> str:
    """What the results tables' variants, methods, budgets, minorities and intervals mean."""
    return (
        '<p class="note">Variants: '
        + "; ".join(f"{html.escape(variant)} = {html.escape(VARIANT_LABELS.get(variant, variant))}" for variant in variants)
        + f". Method {CONTROL_METHOD} is the all-ReLU model finetuned with distillation, no ReLU removed (a control). "
        "The budget is as the sweep declares it (a ReLU count such as 250, a share of the ReLUs such as p5 for 5%, "
        "or a DeepReDuce choice of stages such as 14t; all for the all-ReLU models), next to the ReLUs it keeps. "
        "A group is a minority when its share of the training split is below the uniform share 1/G, "
        "for G groups. "
        "Cells are means over seeds ± the half-width of the Student-t 95% confidence interval (none with one seed); "
        "+a/-b where the interval is cut at the range of the value (an accuracy at 100%).</p>"
    )


def task_note(task: tuple[str, str] | None) -> str:
    """What the model predicts, what the groups are, and whether they are the label."""
    if task is None:
        return ""
    target, group = task
    if target == group:
        return f'<p class="note">Target: {_text(target)}. Group: {_text(group)}, the label itself (as in the paper).</p>'
    return f'<p class="note">Target: {_text(target)}. Group: {_text(group)}, not the label.</p>'


def group_label_table(group_label: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean accuracy over seeds per (group, label), and the TPR / FPR / equalized odds where binary."""
    columns = ["accuracy", "tpr", "fpr", "equalized_odds_difference"]
    means = group_label.groupby([*MODEL_COLUMNS, "group_name", "label"], sort=False)[columns].mean().reset_index()
    means["cell"] = [f"{name}, label {label}" for name, label in zip(means["group_name"], means["label"])]
    wide = means.pivot_table(index=list(MODEL_COLUMNS), columns="cell", values="accuracy", aggfunc="first", sort=False)
    wide = (100 * wide).round(1)
    if means["equalized_odds_difference"].notna().any():
        per_model = means.groupby(list(MODEL_COLUMNS), sort=False)["equalized_odds_difference"].first()
        wide["equalized-odds difference"] = per_model.round(3)
    return wide.reset_index().rename_axis(columns=None).rename(columns=MODEL_COLUMNS)


def _section(section_id: str, heading: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{_text(heading)}</h2>{body}</section>'


def build_report_html(
    title: str,
    config: Mapping[str, Any],
    group_statistics: pd.DataFrame,
    groups: pd.DataFrame,
    models: pd.DataFrame,
    figures: Mapping[str, bytes | Figure],
    findings: Sequence[str],
    pi_cost: PICostConfig | None = None,
    captions: Mapping[str, str] | None = None,
    dpi: int = 100,
    differences: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    provenance: Mapping[str, str] | None = None,
    headline: Sequence[str] = (),
    lead_figure: str = "group_accuracy_drop_lowest_budget",
    task: tuple[str, str] | None = None,
    group_label: pd.DataFrame | None = None,
    mitigation: pd.DataFrame | None = None,
    group_label_statistics: pd.DataFrame | None = None,
) -> str:
    """The whole report as one HTML string.

    `config`: the resolved configuration, a nested mapping of plain values (every default filled
    in); `groups` and `models`: the aggregated group and model tables; `differences`: the aggregated
    group and model comparison tables and the group accuracies' intervals (none: the section says
    so); `figures`: name -> PNG bytes (or a Figure, rendered at `dpi`), captioned from `captions`
    (FIGURE_CAPTIONS by default); `provenance`: label -> value (reporting.provenance), a two-column
    table at the end; `headline`: the opening sentences, shown first with the figure `lead_figure`
    (paper Fig. 1) when it is among `figures`.
    `task`: (target, group) attributes; `group_label`: group_label_metrics, shown where the group is not the label.
    `mitigation`: the mitigation diagnostics (results.MitigationDiagnostics), if any.
    `group_label_statistics`: data.group_label_statistics, shown where the group is not the label.
    """
    pi_cost = pi_cost or PICostConfig()
    captions = FIGURE_CAPTIONS if captions is None else captions
    findings_body = (
        "<ul>" + "".join(f"<li>{_text(sentence)}</li>" for sentence in findings) + "</ul>"
        if findings
        else '<p class="note">The results hold nothing to state yet (no linearized models with measured metrics).</p>'
    )
    config_rows = pd.DataFrame(flatten_config(config), columns=["section", "parameter", "value"])
    results_body = '<p class="note">No aggregated results.</p>'
    cost_body = '<p class="note">No models to cost.</p>'
    if not (models.empty and groups.empty):
        results_body = (
            results_note(list(dict.fromkeys(models["variant"])))
            + "<h3>Per model: mean ± 95% CI over seeds</h3>"
            + table_html(model_results_table(models))
            + "<h3>Per group: accuracy (%)</h3>"
            + table_html(per_group_table(groups, "accuracy", 100.0))
            + "<h3>Per group: relative accuracy drop vs the all-ReLU model of the same seed (%)</h3>"
            + table_html(per_group_table(groups, "relative_drop", 100.0))
        )
    if mitigation is not None:
        results_body += (
            "<h3>Mitigation diagnostic: final multiplier / mean violation per group</h3>"
            + MITIGATION_NOTE
            + table_html(mitigation_table(mitigation))
        )
    if not models.empty:
        cost_body = table_html(cost_table(models, pi_cost))
    finetunes_body = '<p class="note">No finetune to compare with plain finetuning.</p>'
    against_plain = differences[1] if differences else pd.DataFrame()
    if not against_plain.empty and (against_plain["reference"] == PLAIN_VARIANT).any():
        finetunes_body = (
            '<p class="note">Each finetune (fairness-aware, label-free) minus plain finetuning of the same '
            "linearized model and seed, on the same test samples: mean over seeds ± the half-width of its "
            "Student-t 95% interval over seeds [the 95% bootstrap interval of that mean over test samples]; "
            '"(CI includes 0 over ...)" marks a difference either interval does not tell apart from 0.</p>'
            + table_html(paired_table(against_plain, PLAIN_VARIANT, ["worst_group_difference", "overall_difference"]))
        )
    if group_label is not None and not group_label.empty:
        finetunes_body += "<h3>Per (group, label): accuracy (%), mean over seeds</h3>" + table_html(group_label_table(group_label))
    cost_note = (
        f'<p class="note">Estimated as ReLU count x per-ReLU constants of one protocol: '
        f"{pi_cost.offline_kb_per_relu:g} KB offline garbled-circuit transfer, {pi_cost.online_kb_per_relu:g} KB "
        f"online traffic and {pi_cost.client_us_per_relu:g} µs of client evaluation per ReLU, measured for a "
        "Delphi-style protocol on 2021 hardware. Linear layers are left out as comparatively cheap; "
        "other protocols and machines have other constants. 1 MB = 1000 KB.</p>"
    )

    def embedded(name: str, figure: bytes | Figure) -> str:
        return (
            f'<figure id="figure-{_text(name)}"><img alt="{_text(name)}" src="{figure_data_uri(figure, dpi)}">'
            f"<figcaption>{_text(captions.get(name, name))}</figcaption></figure>"
        )

    figures_body = "".join(embedded(name, figure) for name, figure in figures.items() if name != lead_figure)
    figures_body = figures_body or '<p class="note">No figures.</p>'
    headline_body = "".join(f"<p>{_text(sentence)}</p>" for sentence in headline) or (
        '<p class="note">No headline: the results have no linearized models with measured metrics yet.</p>'
    )
    if lead_figure in figures:
        headline_body += embedded(lead_figure, figures[lead_figure])
    provenance_body = (
        table_html(pd.DataFrame(list(provenance.items()), columns=["what", "value"]))
        if provenance
        else '<p class="note">Not recorded.</p>'
    )
    contents = [
        ("Headline", headline_body),
        ("All findings", findings_body),
        ("Paired comparisons and intervals", statistics_body(*differences) if differences else NO_PAIRS),
        ("Configuration", table_html(config_rows)),
        ("Group statistics", task_note(task) + table_html(group_statistics_table(group_statistics)) + group_label_counts_html(group_label_statistics)),
        ("Results", results_body),
        ("The finetunes compared", finetunes_body),
        ("Figures", figures_body),
        ("Private-inference cost", cost_note + cost_body),
        ("Provenance", provenance_body),
    ]
    return page_html(title, dict(zip(SECTION_IDS, contents)))


def page_html(title: str, sections: Mapping[str, tuple[str, str]]) -> str:
    """A whole self-contained page: `sections` maps a section id to its (heading, HTML body), in
    order, each linked from the navigation bar."""
    navigation = "<nav>" + "".join(f'<a href="#{_text(section_id)}">{_text(section_id)}</a>' for section_id in sections) + "</nav>"
    body = "".join(_section(section_id, heading, content) for section_id, (heading, content) in sections.items())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{_text(title)}</h1>{navigation}{body}</body></html>"
    )
