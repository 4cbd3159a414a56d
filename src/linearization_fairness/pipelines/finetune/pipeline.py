from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.finetune.nodes import finetune_model, mitigate_model

SETTINGS = ["params:cell", "params:checkpoint_dir"]


def create_pipeline(student: str, mitigation: bool) -> Pipeline:
    """Finetune the cell's `student` model into `finetune_model`, and, with `mitigation`, into
    `mitigate_model` by the fairness-aware objective too."""
    nodes = [
        node(
            finetune_model,
            inputs=["splits", student, "base_model", "params:finetune", *SETTINGS],
            outputs=["finetune_model", "finetune_history"],
            name="finetune",
        )
    ]
    if mitigation:
        nodes.append(
            node(
                mitigate_model,
                inputs=["splits", "data_info", student, "base_model", "params:mitigate", *SETTINGS],
                outputs=["mitigate_model", "mitigate_history", "multipliers_plot"],
                name="mitigate",
            )
        )
    return Pipeline(nodes, tags="finetune")
