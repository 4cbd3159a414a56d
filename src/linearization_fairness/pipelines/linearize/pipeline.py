from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.linearize.nodes import (
    linearize_deepreduce,
    linearize_random,
    linearize_snl,
    rank_stages,
)


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


def create_criticality_pipeline() -> Pipeline:
    """DeepReDuce's stage ranking on a base model, with the culling it proposes per budget."""
    return Pipeline(
        [
            node(
                rank_stages,
                inputs=["splits", "base_model", "params:linearize", "params:cell"],
                outputs=["criticality_table", "culling_proposals_table"],
                name="rank_stages",
            )
        ],
        tags="linearize",
    )
