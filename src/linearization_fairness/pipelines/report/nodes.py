from __future__ import annotations

import pandas as pd

from linearization_fairness.finetuning import VARIANTS
from linearization_fairness.metrics.table import with_relative_drop
from linearization_fairness.pipelines.report.figures import FIGURES
from linearization_fairness.reporting import build_report_html, findings, headline
from linearization_fairness.reporting.provenance import provenance
from linearization_fairness.reporting.statistics import paired_statistics
from linearization_fairness.results import (
    GROUP_KEYS, GROUP_METRICS, MODEL_KEYS, MODEL_METRICS, GroupMetrics, MitigationDiagnostics, ModelMetrics, aggregated_schema,
)  # fmt: skip
from linearization_fairness.results.schema import accuracy_intervals_schema, differences_schema
from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.reporting.groups import group_label_metrics
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


PREDICTIONS_SUFFIX = "_predictions"
STATISTICS_TABLES = {
    "group_differences": differences_schema("group"),
    "model_differences": differences_schema("model"),
    "aggregated_group_differences": differences_schema("group", aggregated=True),
    "aggregated_model_differences": differences_schema("model", aggregated=True),
    "group_accuracy_intervals": accuracy_intervals_schema(),
}


def compare_models(
    model_metrics: pd.DataFrame, group_metrics: pd.DataFrame, *, experiment: Experiment, **predictions: pd.DataFrame
) -> tuple[pd.DataFrame, ...]:
    """The paired comparisons and test-sample intervals of reporting/statistics.py, in the order of
    STATISTICS_TABLES; `predictions` are keyed by their dataset names, `<cell>.<variant>_predictions`."""
    by_model = {
        tuple(name.removesuffix(PREDICTIONS_SUFFIX).split(".", 1)): table for name, table in predictions.items()
    }
    tables = paired_statistics(model_metrics, group_metrics, by_model, experiment.config.statistics)
    return tuple(schema.validate(tables[name]) for name, schema in STATISTICS_TABLES.items())


def combine_mitigation_diagnostics(*tables: pd.DataFrame) -> pd.DataFrame:
    """Every fairness-aware finetuned model's diagnostic rows (see evaluate.diagnose_mitigation)."""
    return MitigationDiagnostics.validate(pd.concat(tables, ignore_index=True))


def combine_experiments(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One of the whole run's tables: every experiment's stacked (Parquet and CSV)."""
    combined = pd.concat(tables, ignore_index=True)
    return combined, combined


def measure_group_label_metrics(model_metrics: pd.DataFrame, data_info: dict, *predictions: pd.DataFrame) -> pd.DataFrame:
    """Every model's accuracy per (group, label), and TPR / FPR / equalized odds on a binary target."""
    return group_label_metrics(model_metrics, predictions, data_info["group_names"])


def write_report(
    group_statistics: pd.DataFrame,
    groups: pd.DataFrame,
    models: pd.DataFrame,
    group_differences: pd.DataFrame,
    model_differences: pd.DataFrame,
    accuracy_intervals: pd.DataFrame,
    group_label_statistics: pd.DataFrame,
    group_label: pd.DataFrame,
    *inputs: bytes | pd.DataFrame,
    experiment: Experiment,
    figures: list[str],
    with_mitigation: bool,
) -> tuple[str, list[str]]:
    """The self-contained report.html of one experiment, embedding the PNGs of `figures`, and its
    headline sentences (which the run prints at its end); `inputs`: the mitigation diagnostics
    first if `with_mitigation`, then the PNGs."""
    mitigation, pngs = (inputs[0], inputs[1:]) if with_mitigation else (None, inputs)
    data = experiment.config.data
    opening = headline(groups, models, group_differences, model_differences)
    html = build_report_html(
        f"Disparate impact of ReLU linearization: {experiment.name}",
        # the sections of the variants this sweep does not run are not part of its configuration
        experiment.config.model_dump(mode="json", exclude=set(VARIANTS) - set(experiment.config.finetune_variants)),
        group_statistics,
        groups,
        models,
        dict(zip(figures, pngs)),
        findings(groups, models, group_differences, model_differences),
        experiment.run.pi_cost,
        captions={name: FIGURES[name].caption for name in figures},
        provenance=provenance(),
        headline=opening,
        differences=(group_differences, model_differences, accuracy_intervals),
        task=(data.target, data.group),
        group_label=None if data.group_is_label else group_label,
        group_label_statistics=None if data.group_is_label else group_label_statistics,
        mitigation=mitigation,
    )
    return html, opening
