from kedro.pipeline import Pipeline

from linearization_fairness.figure2 import Figure2Config
from linearization_fairness.figure2.report import model_name
from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.figure2.nodes import aggregate, draw, make_splits, measure, train_model, write_report

NAMESPACE = "figure2"


def create_pipeline(config: Figure2Config) -> Pipeline:
    """The study in its own namespace: the task, one training node per seed and model
    (`figure2.s0.train_half_random`), then the tables, the figure and `figure2.report`. It reads
    nothing from the experiments and they read nothing from it."""
    task = {"task": config.task}
    nodes = [bound_node(make_splits, None, "splits", "make_splits", NAMESPACE, task, config=config)]
    trainings, models, names = [], [], []
    for seed in config.seeds:
        for rule in (None, *config.rules):
            name = model_name(rule)
            depends_on = task | {"hidden_sizes": config.hidden_sizes, "train": config.train, "rule": rule, "seed": seed}
            trainings.append(Pipeline(
                [bound_node(train_model, "splits", [f"{name}_model", f"{name}_history"], f"train_{name}", NAMESPACE, depends_on,
                            config=config, rule=rule, seed=seed)],
                namespace=f"s{seed}", inputs={"splits"},
            ))  # fmt: skip
            models.append(f"s{seed}.{name}_model")
            names.append(name)
    shown = len(config.rules) + 1  # the first seed's models, drawn as decision regions
    nodes += [
        bound_node(measure, ["splits", *models], "accuracy", "measure", NAMESPACE, {"models": models}, names=names),
        bound_node(aggregate, "accuracy", "aggregated_accuracy", "aggregate", NAMESPACE, {}),
        bound_node(draw, ["splits", "aggregated_accuracy", *models[:shown]], "figure", "draw_figure2", NAMESPACE,
                   {"grid_points": config.grid_points, "task": config.task, "seed": config.seeds[0]}, names=names[:shown], config=config),
        bound_node(write_report, ["aggregated_accuracy", "accuracy", "figure"], "report", "write_report", NAMESPACE, {"config": config}, config=config),
    ]  # fmt: skip
    return Pipeline([Pipeline(nodes), *trainings], namespace=NAMESPACE)
