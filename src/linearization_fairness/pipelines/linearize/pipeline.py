from kedro.pipeline import Pipeline

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.linearize.nodes import linearize, rank_stages
from linearization_fairness.sweep import Cell


def create_pipeline(cell: Cell) -> Pipeline:
    """The node that turns the cell's base model into `linearized_model` by the cell's method."""
    inputs, outputs = ["base_model"], ["linearized_model", "kept_by_layer_table"]
    if cell.linearization.searches:
        inputs, outputs = [*inputs, "splits"], [*outputs, "search_history"]
    return Pipeline([bound_node(linearize, inputs, outputs, f"linearize_{cell.method}", "linearize", cell=cell)])


def create_criticality_pipeline(cell: Cell) -> Pipeline:
    """DeepReDuce's stage ranking on a base model, with the culling it proposes per budget."""
    outputs = ["criticality_table", "culling_proposals_table"]
    return Pipeline([bound_node(rank_stages, ["splits", "base_model"], outputs, "rank_stages", "linearize", cell=cell)])
