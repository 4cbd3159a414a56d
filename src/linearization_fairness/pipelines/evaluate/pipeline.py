from kedro.pipeline import Pipeline

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.evaluate.nodes import diagnose_mitigation, evaluate_model
from linearization_fairness.sweep import Cell


def create_pipeline(cell: Cell, variants: list[str]) -> Pipeline:
    """Nodes measuring the cell's `<variant>_model` for each variant ("base" measures the base model),
    and the mitigation diagnostic of its fairness-aware finetune, if it has one."""
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
    if "mitigate" in variants:
        inputs = ["data_info", "mitigate_model_metrics", "mitigate_model"]
        depends_on = {"penalty": cell.config.mitigate.penalty, "violations_on": cell.config.mitigate.violations_on}
        nodes.append(bound_node(diagnose_mitigation, inputs, "mitigation_diagnostics", "diagnose_mitigation", "evaluate", depends_on, cell=cell))
    return Pipeline(nodes)
