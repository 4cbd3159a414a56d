from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.evaluate.nodes import evaluate_base_model, evaluate_model

SHARED_INPUTS = ["splits", "data_info"]
SETTINGS = ["params:evaluate", "params:cell"]


def create_pipeline(variants: tuple[str, ...]) -> Pipeline:
    """Nodes measuring the cell's `<variant>_model` for each variant ("base" measures the base model)."""
    nodes = []
    for variant in variants:
        if variant == "base":
            inputs = [*SHARED_INPUTS, "base_model", *SETTINGS]
            function = evaluate_base_model
        else:
            inputs = [*SHARED_INPUTS, f"{variant}_model", "base_model", *SETTINGS]
            function = evaluate_model
        nodes.append(
            node(
                function,
                inputs=inputs,
                outputs=[f"{variant}_metrics", f"{variant}_predictions"],
                name=f"evaluate_{variant}",
            )
        )
    return Pipeline(nodes, tags="evaluate")
