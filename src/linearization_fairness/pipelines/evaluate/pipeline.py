from kedro.pipeline import Pipeline

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.evaluate.nodes import evaluate_model
from linearization_fairness.sweep import Cell


def create_pipeline(cell: Cell, variants: list[str]) -> Pipeline:
    """Nodes measuring the cell's `<variant>_model` for each variant ("base" measures the base model)."""
    nodes = [
        bound_node(
            evaluate_model, ["splits", "data_info", f"{variant}_model", "base_model"],
            [f"{variant}_model_metrics", f"{variant}_group_metrics", f"{variant}_predictions"],
            f"evaluate_{variant}", "evaluate",
            {"evaluate": cell.config.evaluate, "variant": variant, "cell": [cell.experiment.name, cell.name, cell.budget_label]},
            cell=cell, variant=variant,
        )  # fmt: skip
        for variant in variants
    ]
    return Pipeline(nodes)
