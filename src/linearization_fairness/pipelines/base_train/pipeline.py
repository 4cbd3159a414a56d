from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.base_train.nodes import plot_base_history, train_base_model
from linearization_fairness.sweep import Cell


def create_pipeline(cell: Cell) -> Pipeline:
    return Pipeline(
        [
            bound_node(
                train_base_model, ["splits", "data_info"], ["base_model", "base_history"], "train_base_model", "base_train",
                {"model": cell.config.model, "train": cell.config.base_train, "seed": cell.seed}, cell=cell,
            ),  # fmt: skip
            node(plot_base_history, ["base_history", "base_model"], "base_history_plot", name="plot_base_history", tags="base_train"),
        ]
    )
