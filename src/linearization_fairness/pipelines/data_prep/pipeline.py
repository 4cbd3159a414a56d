from kedro.pipeline import Pipeline, node

from linearization_fairness.pipelines.data_prep.nodes import prepare_data


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(
                prepare_data,
                inputs=["params:data", "params:raw_data_dir"],
                outputs=["splits", "data_info", "group_statistics"],
                name="prepare_data",
            )
        ],
        tags="data_prep",
    )
