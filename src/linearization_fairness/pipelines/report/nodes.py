from __future__ import annotations

import pandas as pd

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


def combine_mitigation_diagnostics(*tables: pd.DataFrame) -> pd.DataFrame:
    """Every fairness-aware finetuned model's diagnostic rows (see evaluate.diagnose_mitigation)."""
    return MitigationDiagnostics.validate(pd.concat(tables, ignore_index=True))


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
