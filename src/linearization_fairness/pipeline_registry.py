"""Pipelines are built from the resolved config: each experiment a namespace (`digits`), each of
its sweep cells a namespace inside it (`digits.base_s0`), each cell bound into its nodes, and so is
each search that serves several cells (`digits.snl_s0`, writing `digits.snl_b250_s0.linearized_model`).

Every stage is a registered pipeline (its nodes carry the stage's tag), and `full` runs them all.
Registered explicitly because the template's `find_pipelines` only imports `pipelines/<name>/`
and so cannot provide `full`.
"""

from __future__ import annotations

import torch
from kedro.pipeline import Pipeline

from linearization_fairness.config_loader import run_config
from linearization_fairness.models import build_model, total_relu_sites
from linearization_fairness.pipelines import base_train, data_prep, evaluate, figure2, finetune, linearize, report
from linearization_fairness.sweep import BASE, CONTROL, Cell, Experiment, Search, cells_of, experiments_of, searches_of

STAGES = ("data_prep", "base_train", "linearize", "finetune", "evaluate", "report")
# Datasets a cell reads from its experiment (the rest of its inputs are its own or its base model's).
EXPERIMENT_INPUTS = {"splits", "data_info"}


def cell_pipeline(cell: Cell) -> tuple[Pipeline, list[str]]:
    """The stages a cell runs, and which of its models (variants) the evaluate stage measures."""
    if cell.method == BASE:
        stages = base_train.create_pipeline(cell)
        deepreduce = cell.config.linearize.deepreduce
        if deepreduce is not None and deepreduce.criticality.enabled:
            stages += linearize.create_criticality_pipeline(cell)
        variants = ["base"]
    elif cell.method == CONTROL:
        stages, variants = finetune.create_pipeline(cell), finetune.variants_of(cell)
    else:
        stages, variants = finetune.create_pipeline(cell), finetune.variants_of(cell)
        if cell.linearization.search is None:  # else the seed's search writes the cell's linearized model
            stages = linearize.create_pipeline(cell) + stages
    return stages + evaluate.create_pipeline(cell, variants), variants


def _in_cell(stages: Pipeline, cell: Cell) -> Pipeline:
    shared = {name: name for name in stages.inputs() if name in EXPERIMENT_INPUTS}
    if cell.method != BASE and "base_model" in stages.inputs():
        shared["base_model"] = f"base_s{cell.seed}.base_model"
    return Pipeline(stages, namespace=cell.name, inputs=shared)


def _in_search(stages: Pipeline, search: Search) -> Pipeline:
    """The search's node in its own namespace, writing the datasets of its cells."""
    inputs = {"splits": "splits", "base_model": f"base_s{search.seed}.base_model"}
    return Pipeline(stages, namespace=search.name, inputs=inputs, outputs={name: name for name in stages.outputs()})


def experiment_pipeline(experiment: Experiment) -> Pipeline:
    parts = [data_prep.create_pipeline(experiment)]
    model_tables, group_tables, prediction_tables, mitigated = [], [], [], []
    parts += [_in_search(linearize.create_search_pipeline(search), search) for search in searches_of(experiment)]
    cells = cells_of(experiment)
    for cell in cells:
        stages, variants = cell_pipeline(cell)
        parts.append(_in_cell(stages, cell))
        model_tables += [f"{cell.name}.{variant}_model_metrics" for variant in variants]
        group_tables += [f"{cell.name}.{variant}_group_metrics" for variant in variants]
        prediction_tables += [f"{cell.name}.{variant}_predictions" for variant in variants]
        if "mitigate" in variants:
            mitigated.append(cell.name)
    # The per-cell figures show the first seed's linearized cells.
    shown = [cell for cell in cells if cell.seed == experiment.config.seeds[0] and cell.linearization is not None]
    sources = {"kept_by_layer": None, "multipliers": None, "decision_boundaries": _boundary_models(experiment, shown)}
    if shown:
        sources["kept_by_layer"] = {cell.name: f"{cell.name}.kept_by_layer_table" for cell in shown}
        sources["multipliers"] = {"data_info": "data_info"} | {cell.name: f"{cell.name}.mitigate_history" for cell in shown}
    parts.append(report.create_pipeline(experiment, model_tables, group_tables, prediction_tables, sources, mitigated))
    # One Pipeline of all parts: adding them one by one re-validates the growing graph each time.
    return Pipeline(Pipeline(parts), namespace=experiment.name)


def _boundary_models(experiment: Experiment, shown: list[Cell]) -> list[str] | None:
    """On 2-D data, the splits, the first seed's base model and its finetuned model with the budget
    nearest half of the ReLUs (the paper's Figure 2), if the sweep has one."""
    config = experiment.config
    if len(config.data.input_shape) != 1 or not shown:
        return None
    with torch.device("meta"):
        model = build_model(config.model, config.data.input_shape, config.data.num_classes)
    half = total_relu_sites(model) / 2
    nearest = min(shown, key=lambda cell: abs(cell.linearization.relus_kept(cell.budget, model) - half))
    return ["splits", "data_info", f"base_s{nearest.seed}.base_model", f"{nearest.name}.finetune_model"]


def register_pipelines() -> dict[str, Pipeline]:
    config = run_config()
    experiments = experiments_of(config)
    parts = [experiment_pipeline(experiment) for experiment in experiments]
    parts.append(report.create_run_pipeline([experiment.name for experiment in experiments]))
    # The Figure 2 study is a pipeline of its own, in `full` but in no stage.
    study = figure2.create_pipeline(config.figure2) if config.figure2 is not None else None
    full = Pipeline(parts + ([study] if study is not None else []))
    registry = {stage: full.only_nodes_with_tags(stage) for stage in STAGES}
    if study is not None:
        registry["figure2"] = study
    registry["full"] = full
    registry["__default__"] = full
    return registry
