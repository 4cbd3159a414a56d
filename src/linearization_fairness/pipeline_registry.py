"""Every stage is registered by name, once per experiment that conf declares (its namespace).

`full` chains the stages. Registered explicitly because the template's `find_pipelines` only
imports `pipelines/<name>/` and so cannot provide `full`.
"""

from __future__ import annotations

from collections.abc import Callable

from kedro.pipeline import Pipeline

from linearization_fairness.experiments import declared_experiments
from linearization_fairness.pipelines import data_prep

# Parameters shared by all experiments; every other parameter a stage reads lives in its
# experiment's block, `experiments.<name>.<parameter>`.
GLOBAL_PARAMETERS = {"raw_data_dir"}

STAGES: dict[str, Callable[[], Pipeline]] = {
    "data_prep": data_prep.create_pipeline,
}


def for_experiment(template: Pipeline, experiment: str) -> Pipeline:
    """The stage's template with datasets under the experiment's namespace and its
    parameters read from the experiment's block."""
    parameters = {}
    for param in template.inputs():
        if param.startswith("params:"):
            name = param.removeprefix("params:")
            top_level = name.split(".")[0]
            parameters[name] = name if top_level in GLOBAL_PARAMETERS else f"experiments.{experiment}.{name}"
    return Pipeline(template, namespace=experiment, parameters=parameters)


def register_pipelines() -> dict[str, Pipeline]:
    experiments = declared_experiments()
    registry = {
        stage: sum((for_experiment(create(), name) for name in experiments), Pipeline([]))
        for stage, create in STAGES.items()
    }
    registry["full"] = sum(registry.values(), Pipeline([]))
    registry["__default__"] = registry["full"]
    return registry
