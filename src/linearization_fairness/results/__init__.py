"""The results tables: one declared schema per table, checked where the table is written."""

from linearization_fairness.results.schema import (
    GROUP_KEYS,
    GROUP_METRICS,
    MODEL_KEYS,
    MODEL_METRICS,
    CellGroupMetrics,
    Figure2Accuracy,
    Figure2Aggregated,
    GroupLabelMetrics,
    GroupMetrics,
    MitigationDiagnostics,
    ModelMetrics,
    aggregated_schema,
    is_minority,
)

__all__ = [
    "GROUP_KEYS",
    "GROUP_METRICS",
    "MODEL_KEYS",
    "MODEL_METRICS",
    "CellGroupMetrics",
    "Figure2Accuracy",
    "Figure2Aggregated",
    "GroupLabelMetrics",
    "GroupMetrics",
    "MitigationDiagnostics",
    "ModelMetrics",
    "aggregated_schema",
    "is_minority",
]
