from __future__ import annotations

from typing import Any

import pandas as pd

from linearization_fairness.finetuning import multiplier_summary
from linearization_fairness.metrics.table import with_relative_drop
from linearization_fairness.pipelines.report.figures import FIGURES
from linearization_fairness.reporting import build_report_html, findings
from linearization_fairness.results import (
    GROUP_KEYS, GROUP_METRICS, MODEL_KEYS, MODEL_METRICS, GroupMetrics, MitigationDiagnostics, ModelMetrics, aggregated_schema,
)  # fmt: skip
from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.sweep import Experiment


def combine_model_metrics(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every evaluated model of the experiment, one row each (returned twice: Parquet and CSV)."""
    combined = ModelMetrics.validate(pd.concat(tables, ignore_index=True))
    return combined, combined


def combine_group_metrics(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every group of every evaluated model of the experiment (Parquet and CSV)."""
    combined = GroupMetrics.validate(with_relative_drop(pd.concat(tables, ignore_index=True)))
    return combined, combined


def aggregate_models(model_metrics: pd.DataFrame) -> pd.DataFrame:
    return aggregated_schema(ModelMetrics, MODEL_METRICS).validate(aggregate_over_seeds(model_metrics, MODEL_KEYS, MODEL_METRICS))


def aggregate_groups(group_metrics: pd.DataFrame) -> pd.DataFrame:
    return aggregated_schema(GroupMetrics, GROUP_METRICS).validate(aggregate_over_seeds(group_metrics, GROUP_KEYS, GROUP_METRICS))


def mitigation_diagnostics(data_info: dict[str, Any], *metrics_and_histories: pd.DataFrame, violations_on: str) -> pd.DataFrame:
    """Per fairness-aware finetuned model and group, the final multiplier and the violations that
    drove it; `metrics_and_histories` alternates each model's `model_metrics` row and its history."""
    rows = []
    for model_row, history in zip(metrics_and_histories[::2], metrics_and_histories[1::2]):
        keys = model_row[[*MODEL_KEYS, "seed", "cell"]].iloc[0].to_dict()
        summary = multiplier_summary(history)
        names = [data_info["group_names"][group_id] for group_id in summary["group_id"]]
        rows.append(summary.assign(**keys, group_name=names, violations_on=violations_on))
    table = pd.concat(rows, ignore_index=True)
    return MitigationDiagnostics.validate(table[list(MitigationDiagnostics.to_schema().columns)])


def combine_experiments(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One of the whole run's tables: every experiment's stacked (Parquet and CSV)."""
    combined = pd.concat(tables, ignore_index=True)
    return combined, combined


def write_report(
    group_statistics: pd.DataFrame,
    groups: pd.DataFrame,
    models: pd.DataFrame,
    *inputs: bytes | pd.DataFrame,
    experiment: Experiment,
    figures: list[str],
    with_mitigation: bool,
) -> str:
    """The self-contained report.html of one experiment, embedding the PNGs of `figures`; `inputs`:
    the mitigation diagnostics first if `with_mitigation`, then the PNGs."""
    mitigation, pngs = (inputs[0], inputs[1:]) if with_mitigation else (None, inputs)
    return build_report_html(
        f"Disparate impact of ReLU linearization: {experiment.name}",
        experiment.config.model_dump(mode="json"),
        group_statistics,
        groups,
        models,
        dict(zip(figures, pngs)),
        findings(groups, models),
        experiment.run.pi_cost,
        captions={name: FIGURES[name].caption for name in figures},
        mitigation=mitigation,
    )
