from kedro.pipeline import Node, Pipeline, node

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.report.figures import FIGURES, draw_results_figure
from linearization_fairness.pipelines.report.nodes import (
    STATISTICS_TABLES,
    aggregate_groups,
    aggregate_models,
    combine_experiments,
    combine_group_metrics,
    combine_mitigation_diagnostics,
    combine_model_metrics,
    compare_models,
    measure_group_label_metrics,
    write_report,
)
from linearization_fairness.sweep import Experiment

TABLES = [
    "group_statistics", "aggregated_group_metrics", "aggregated_model_metrics",
    "aggregated_group_differences", "aggregated_model_differences", "group_accuracy_intervals",
]  # fmt: skip


def _figure_node(name: str, experiment: Experiment, sources: dict[str, list[str] | dict[str, str] | None]) -> Node | None:
    """The node drawing figure `name`, or None when the experiment has nothing to draw it from."""
    spec = FIGURES[name]
    if spec.variant is not None and spec.variant not in experiment.config.finetune_variants:
        return None
    output, node_name = f"fig_{name}", f"draw_{name}"
    if spec.source == "results":
        inputs = ["aggregated_group_metrics", "aggregated_model_metrics", "aggregated_group_differences", "aggregated_model_differences"]
        settings = {"spec": spec, "pi_cost": experiment.run.pi_cost}
        return bound_node(draw_results_figure, inputs, output, node_name, "report", {"figure": name, "pi_cost": experiment.run.pi_cost}, **settings)
    inputs = sources[spec.source]
    return None if not inputs else node(spec.draw, inputs, output, name=node_name, tags="report")


def create_pipeline(
    experiment: Experiment,
    model_tables: list[str],
    group_tables: list[str],
    prediction_tables: list[str],
    sources: dict[str, list[str] | dict[str, str] | None],
    mitigated: list[str],
) -> Pipeline:
    """The experiment's tables, aggregates, figures and report. `model_tables` / `group_tables` /
    `prediction_tables`: every evaluated model's `<cell>.<variant>_model_metrics` / `_group_metrics` /
    `_predictions`; `sources`: the inputs of the figures not drawn from the results tables (see
    figures.Source), None where the experiment has none; `mitigated`: the cells whose fairness-aware
    finetune the mitigation diagnostics describe. Every model is also measured per (group, label)
    from its predictions, which the report shows where the group is not the label."""
    nodes = [
        node(combine_model_metrics, model_tables, ["model_metrics", "model_metrics_csv"], name="combine_model_metrics"),
        node(combine_group_metrics, group_tables, ["group_metrics", "group_metrics_csv"], name="combine_group_metrics"),
        node(aggregate_models, "model_metrics", "aggregated_model_metrics", name="aggregate_models"),
        node(aggregate_groups, "group_metrics", "aggregated_group_metrics", name="aggregate_groups"),
        bound_node(
            compare_models,
            {"model_metrics": "model_metrics", "group_metrics": "group_metrics"} | {name: name for name in prediction_tables},
            list(STATISTICS_TABLES), "compare_models", "report", {"statistics": experiment.config.statistics},
            experiment=experiment,
        ),  # fmt: skip
    ]
    drawn = []
    for name in FIGURES:
        figure = _figure_node(name, experiment, sources)
        if figure is not None:
            nodes.append(figure)
            drawn.append(name)
    nodes.append(node(measure_group_label_metrics, ["model_metrics", "data_info", *prediction_tables], "group_label_metrics", name="measure_group_label_metrics"))
    diagnostics = ["mitigation_diagnostics"] if mitigated else []
    if mitigated:
        inputs = [f"{cell}.mitigation_diagnostics" for cell in mitigated]
        nodes.append(node(combine_mitigation_diagnostics, inputs, "mitigation_diagnostics", name="combine_mitigation_diagnostics"))
    report_inputs = [*TABLES, "group_label_statistics", "group_label_metrics", *diagnostics, *(f"fig_{name}" for name in drawn)]
    depends_on = {"config": experiment.config, "pi_cost": experiment.run.pi_cost, "figures": drawn}
    settings = {"experiment": experiment, "figures": drawn, "with_mitigation": bool(mitigated)}
    nodes.append(bound_node(write_report, report_inputs, ["report", "headline"], "write_report", "report", depends_on, **settings))
    return Pipeline(nodes, tags="report")


def create_run_pipeline(experiments: list[str]) -> Pipeline:
    """The whole run's `model_metrics` and `group_metrics`, every experiment stacked."""
    return Pipeline(
        [
            node(combine_experiments, [f"{name}.{table}" for name in experiments], [table, f"{table}_csv"], name=f"combine_{table}")
            for table in ("model_metrics", "group_metrics")
        ],
        tags="report",
    )
