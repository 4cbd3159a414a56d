from kedro.pipeline import Pipeline

from linearization_fairness.fingerprints import semantic
from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.linearize.nodes import linearize, rank_stages
from linearization_fairness.sweep import Cell


def create_pipeline(cell: Cell) -> Pipeline:
    """The node that turns the cell's base model into `linearized_model` by the cell's method."""
    inputs, outputs = ["base_model"], ["linearized_model", "kept_by_layer_table"]
    if cell.linearization.searches:
        inputs, outputs = [*inputs, "splits"], [*outputs, "search_history"]
    # The method's settings but the list of budgets: adding a budget must not make the other cells stale.
    settings = {key: value for key, value in semantic(cell.settings).items() if key != "budgets"}
    depends_on = {"method": cell.method, "settings": settings, "budget": cell.budget, "seed": cell.seed}
    return Pipeline([bound_node(linearize, inputs, outputs, f"linearize_{cell.method}", "linearize", depends_on, cell=cell)])


def create_criticality_pipeline(cell: Cell) -> Pipeline:
    """DeepReDuce's stage ranking on a base model, with the culling it proposes per budget."""
    outputs = ["criticality_table", "culling_proposals_table"]
    depends_on = {"linearize": cell.config.linearize, "seed": cell.seed}
    return Pipeline([bound_node(rank_stages, ["splits", "base_model"], outputs, "rank_stages", "linearize", depends_on, cell=cell)])
