from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.linearize.nodes import linearize_deepreduce, linearize_random, linearize_snl


def create_pipeline(method: str) -> Pipeline:
    """The node that turns the cell's base model into `linearized_model` by `method`."""
    if method == "snl":
        linearize = node(
            linearize_snl,
            inputs=["splits", "base_model", "params:linearize", "params:cell", "params:checkpoint_dir"],
            outputs=["linearized_model", "search_history", "kept_by_layer_table"],
            name="linearize_snl",
        )
    else:
        function = {"random": linearize_random, "deepreduce": linearize_deepreduce}[method]
        linearize = node(
            function,
            inputs=["base_model", "params:cell"],
            outputs=["linearized_model", "kept_by_layer_table"],
            name=f"linearize_{method}",
        )
    return Pipeline([linearize], tags="linearize")
