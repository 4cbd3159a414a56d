"""Pipelines are built from the experiments and sweep cells that conf declares.

Each experiment is a namespace (`digits`), each cell a namespace inside it (`digits.base_s0`).
Every stage is a registered pipeline (its nodes carry the stage's tag), and `full` runs them all.
Registered explicitly because the template's `find_pipelines` only imports `pipelines/<name>/`
and so cannot provide `full`.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from linearization_fairness.config import ExperimentConfig
from linearization_fairness.experiments import validated_experiments
from linearization_fairness.linearization import resolve_budget
from linearization_fairness.pipelines import base_train, data_prep, evaluate, finetune, linearize, report
from linearization_fairness.sweep import Cell, cells_of

STAGES = ("data_prep", "base_train", "linearize", "finetune", "evaluate", "report")

# Parameters shared by all experiments; every other parameter lives in the experiment's block.
GLOBAL_PARAMETERS = {"raw_data_dir", "checkpoint_dir", "pi_cost"}
# Datasets a cell reads from its experiment (the rest of its inputs are its own or its base model's).
EXPERIMENT_INPUTS = {"splits", "data_info"}


def cell_stages(cell: Cell, config: ExperimentConfig) -> tuple[Pipeline, tuple[str, ...]]:
    """The stages a cell runs, and which of its models (variants) the evaluate stage measures."""
    if cell.method == "base":
        deepreduce = config.linearize.deepreduce
        if deepreduce is not None and deepreduce.criticality.enabled:
            return base_train.create_pipeline() + linearize.create_criticality_pipeline(), ("base",)
        return base_train.create_pipeline(), ("base",)
    if cell.method == "finetune_only":
        return finetune.create_pipeline("base_model", mitigation=False), ("finetune",)
    stages = linearize.create_pipeline(cell.method) + finetune.create_pipeline("linearized_model", mitigation=True)
    return stages, ("finetune", "mitigate")


def _parameter_names(template: Pipeline, experiment: str, cell: Cell | None) -> dict[str, str]:
    """Map each `params:x` of a template to where it lives in parameters.yml."""
    mapping = {}
    for name in sorted(param.removeprefix("params:") for param in template.inputs() if param.startswith("params:")):
        if name.split(".")[0] in GLOBAL_PARAMETERS:
            mapping[name] = name
        elif name == "cell" and cell is not None:
            mapping[name] = f"experiments.{experiment}.cells.{cell.name}"
        elif name == "experiment":
            mapping[name] = f"experiments.{experiment}"
        else:
            mapping[name] = f"experiments.{experiment}.{name}"
    return mapping


def _namespaced(template: Pipeline, experiment: str, cell: Cell | None = None) -> Pipeline:
    parameters = _parameter_names(template, experiment, cell)
    if cell is None:
        return Pipeline(template, namespace=experiment, parameters=parameters)
    shared = {name: name for name in template.inputs() if name in EXPERIMENT_INPUTS}
    if cell.method != "base" and "base_model" in template.inputs():
        shared["base_model"] = f"base_s{cell.seed}.base_model"
    in_cell = Pipeline(template, namespace=cell.name, inputs=shared, parameters=parameters)
    return Pipeline(in_cell, namespace=experiment, parameters=set(parameters.values()))


def experiment_pipeline(experiment: str, config: ExperimentConfig) -> Pipeline:
    parts = [_namespaced(data_prep.create_pipeline(), experiment)]
    metric_tables = []
    cells = cells_of(experiment, config)
    for cell in cells:
        stages, variants = cell_stages(cell, config)
        parts.append(_namespaced(stages + evaluate.create_pipeline(variants), experiment, cell))
        metric_tables += [f"{cell.name}.{variant}_metrics" for variant in variants]
    first_seed = config.seeds[0]
    kept_tables = {
        cell.name: f"{cell.name}.kept_by_layer_table"
        for cell in cells
        if cell.seed == first_seed and cell.method in ("snl", "random", "deepreduce")
    }
    reporting = report.create_pipeline(metric_tables, kept_tables, _boundary_models(config, cells))
    parts.append(_namespaced(reporting, experiment))
    # One Pipeline of all parts: adding them one by one re-validates the growing graph each time.
    return Pipeline(parts)


def _boundary_models(config: ExperimentConfig, cells: list[Cell]) -> tuple[str, str] | None:
    """On 2-D data, the first seed's base model and its finetuned model with the budget nearest
    half of the ReLUs (the paper's Figure 2), if the sweep has one."""
    if len(config.data.input_shape) != 1:
        return None
    seed = config.seeds[0]
    total = sum(config.model.hidden_sizes)
    candidates = [cell for cell in cells if cell.seed == seed and cell.budget is not None]
    if not candidates:
        return None
    half = min(candidates, key=lambda cell: abs(resolve_budget(cell.budget, total) - total / 2))
    return f"base_s{seed}.base_model", f"{half.name}.finetune_model"


def register_pipelines() -> dict[str, Pipeline]:
    experiments = validated_experiments()
    full = Pipeline(
        [experiment_pipeline(name, config) for name, config in experiments.items()]
        + [report.create_run_pipeline([f"{name}.group_metrics" for name in experiments])]
    )
    registry = {stage: full.only_nodes_with_tags(stage) for stage in STAGES}
    registry["full"] = full
    registry["__default__"] = full
    return registry
