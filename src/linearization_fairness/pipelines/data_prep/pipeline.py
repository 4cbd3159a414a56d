from kedro.pipeline import Pipeline

from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.data_prep.nodes import prepare_data
from linearization_fairness.sweep import Experiment


def create_pipeline(experiment: Experiment) -> Pipeline:
    outputs = ["splits", "data_info", "group_statistics", "group_label_statistics"]
    return Pipeline([bound_node(prepare_data, None, outputs, "prepare_data", "data_prep", experiment.config.data, experiment=experiment)])
