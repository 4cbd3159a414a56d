from __future__ import annotations

from typing import Any

import pandas as pd

from linearization_fairness.metrics.table import add_relative_drop
from linearization_fairness.reporting import (
    PICostConfig,
    aggregate_over_seeds,
    build_report_html,
    findings,
    report_figures,
)


def combine_group_metrics(*tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every evaluated model of the experiment in one table (returned twice: Parquet and CSV)."""
    combined = add_relative_drop(pd.concat(tables, ignore_index=True))
    return combined, combined


def write_report(
    group_statistics: pd.DataFrame, aggregated: pd.DataFrame, experiment: dict[str, Any], pi_cost: PICostConfig
) -> str:
    """The self-contained report.html of one experiment."""
    configuration = {key: value for key, value in experiment.items() if key != "cells"}
    title = f"Disparate impact of ReLU linearization: {aggregated['experiment'].iloc[0]}"
    return build_report_html(
        title, configuration, group_statistics, aggregated, report_figures(aggregated, pi_cost), findings(aggregated),
        pi_cost,
    )  # fmt: skip
