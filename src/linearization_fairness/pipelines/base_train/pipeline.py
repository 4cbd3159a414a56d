from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.base_train.nodes import train_base_model
from linearization_fairness.training import plot_history


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(
                train_base_model,
                inputs=["splits", "data_info", "params:model", "params:base_train", "params:cell", "params:checkpoint_dir"],
                outputs=["base_model", "base_history"],
                name="train_base_model",
            ),
            node(plot_history, inputs="base_history", outputs="base_history_plot", name="plot_base_history"),
        ],
        tags="base_train",
    )
