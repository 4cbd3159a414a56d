from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.report.nodes import (
    combine_experiments,
    combine_group_metrics,
    draw_decision_boundaries,
    draw_kept_by_layer,
    write_report,
    write_report_with_boundaries,
)
from linearization_fairness.reporting import aggregate_over_seeds, figures

# Each figure is its own catalog entry (a PNG previewable in kedro viz); report.html embeds them all.
FIGURES = {
    "group_accuracy_drop_lowest_budget": (figures.fig_group_accuracy_drop_lowest_budget, ["aggregated_metrics"]),
    "accuracy_vs_budget": (figures.fig_accuracy_vs_budget, ["aggregated_metrics"]),
    "relative_drop_vs_budget": (figures.fig_relative_drop_vs_budget, ["aggregated_metrics"]),
    "param_distance_vs_budget": (figures.fig_param_distance_vs_budget, ["aggregated_metrics"]),
    "gradnorm_vs_accuracy": (figures.fig_gradnorm_vs_accuracy, ["aggregated_metrics"]),
    "margin_vs_accuracy": (figures.fig_margin_vs_accuracy, ["aggregated_metrics"]),
    "hessian_by_group": (figures.fig_hessian_by_group, ["aggregated_metrics"]),
    "mitigation_effect": (figures.fig_mitigation_effect, ["aggregated_metrics"]),
    "worst_group_vs_cost": (figures.fig_worst_group_vs_cost, ["aggregated_metrics", "params:pi_cost"]),
}


def create_pipeline(
    metric_tables: list[str], kept_tables: dict[str, str], boundary_models: tuple[str, str] | None = None
) -> Pipeline:
    """`metric_tables`: the `<cell>.<variant>_metrics` datasets of every evaluated model;
    `kept_tables`: cell -> its `kept_by_layer_table`, for one seed's linearized cells;
    `boundary_models`: (all-ReLU, half-linear) models whose decision regions to draw (2-D data)."""
    nodes = [
        node(combine_group_metrics, metric_tables, ["group_metrics", "group_metrics_csv"], name="combine_group_metrics"),
        node(aggregate_over_seeds, "group_metrics", "aggregated_metrics", name="aggregate_over_seeds"),
    ]
    report_inputs = ["group_statistics", "aggregated_metrics", "params:experiment", "params:pi_cost"]
    if boundary_models is None:
        nodes.append(node(write_report, report_inputs, "report", name="write_report"))
    else:
        inputs = [*report_inputs, "splits", "data_info", *boundary_models]
        nodes.append(node(write_report_with_boundaries, inputs, "report", name="write_report"))
    for name, (draw, inputs) in FIGURES.items():
        nodes.append(node(draw, inputs, f"fig_{name}", name=f"draw_{name}"))
    if kept_tables:
        nodes.append(node(draw_kept_by_layer, kept_tables, "fig_kept_by_layer", name="draw_kept_by_layer"))
    if boundary_models is not None:
        nodes.append(
            node(
                draw_decision_boundaries,
                ["splits", "data_info", *boundary_models],
                "fig_decision_boundaries",
                name="draw_decision_boundaries",
            )
        )
    return Pipeline(nodes, tags="report")


def create_run_pipeline(experiment_tables: list[str]) -> Pipeline:
    """The whole run's `group_metrics`, every experiment stacked, for cross-experiment analysis."""
    return Pipeline(
        [node(combine_experiments, experiment_tables, ["group_metrics", "group_metrics_csv"], name="combine_experiments")],
        tags="report",
    )
