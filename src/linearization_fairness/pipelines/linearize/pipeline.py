from kedro.pipeline import Pipeline

from linearization_fairness.fingerprints import semantic
from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.linearize.nodes import linearize, rank_stages, search_budgets
from linearization_fairness.sweep import Cell, Search


def create_pipeline(cell: Cell) -> Pipeline:
    """The node that turns the cell's base model into `linearized_model` by the cell's method
    (one without a search: methods that search write their cells' models in create_search_pipeline)."""
    # The method's settings but the list of budgets: adding a budget must not make the other cells stale.
    settings = {key: value for key, value in semantic(cell.settings).items() if key != "budgets"}
    depends_on = {"method": cell.method, "settings": settings, "budget": cell.budget, "seed": cell.seed}
    outputs = ["linearized_model", "kept_by_layer_table"]
    return Pipeline([bound_node(linearize, ["base_model"], outputs, f"linearize_{cell.method}", "linearize", depends_on, cell=cell)])


def create_search_pipeline(search: Search) -> Pipeline:
    """The node of a method's one search for a seed, which writes every cell of that method and seed
    as if it had searched alone: `<cell>.linearized_model`, `.kept_by_layer_table`, `.search_history`."""
    outputs = [f"{cell.name}.{name}" for cell in search.cells for name in ("linearized_model", "kept_by_layer_table", "search_history")]
    # The set of budgets, not their order: it is which cells the search writes, and when it may stop.
    settings = {key: value for key, value in semantic(search.settings).items() if key != "budgets"}
    depends_on = {"method": search.method, "settings": settings, "budgets": sorted(search.settings.budgets), "seed": search.seed}
    node = bound_node(search_budgets, ["base_model", "splits"], outputs, f"search_{search.method}", "linearize", depends_on, search=search)
    return Pipeline([node])


def create_criticality_pipeline(cell: Cell) -> Pipeline:
    """DeepReDuce's stage ranking on a base model, with the culling it proposes per budget."""
    outputs = ["criticality_table", "culling_proposals_table"]
    depends_on = {"linearize": cell.config.linearize, "seed": cell.seed}
    return Pipeline([bound_node(rank_stages, ["splits", "base_model"], outputs, "rank_stages", "linearize", depends_on, cell=cell)])
