"""Which experiments (and, later, which sweep cells) exist is declared in conf, not in code.

Kedro builds pipelines from `register_pipelines()`, which takes no arguments and runs before
parameters are handed to nodes, so it cannot see `--env` or `--params` by itself. The config loader
is the one object that knows them, and Kedro creates it (for `kedro run`, `kedro viz`, notebooks)
before it first reads the pipelines. `ExperimentConfigLoader` therefore records itself when created,
and drops Kedro's cached pipelines so they are rebuilt from the config that is now in force.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from pydantic import BaseModel

from linearization_fairness.config import ExperimentConfig, validate_experiment
from linearization_fairness.sweep import cells_of

PACKAGE_NAME = "linearization_fairness"
EXPERIMENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

_active_loader: OmegaConfigLoader | None = None


class ExperimentConfigLoader(OmegaConfigLoader):
    """Kedro's OmegaConfigLoader that makes the pipeline registry read the same config."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        global _active_loader
        _active_loader = self
        # Imported here: kedro.framework.project loads settings.py, which imports this module.
        from kedro.framework.project import pipelines

        pipelines.configure(f"{PACKAGE_NAME}.pipeline_registry")

    def __getitem__(self, key: str) -> Any:
        config = super().__getitem__(key)
        if key != "parameters":
            return config
        # Checked on every read so that no entry point (run, viz, a notebook) sees bad
        # parameters; pydantic makes this cheap next to anything a node does.
        experiments = {}
        for name, raw in declared_experiments(config).items():
            experiment = validate_experiment(name, raw)
            cells = {cell.name: cell.model_dump() for cell in cells_of(name, experiment)}
            experiments[name] = {**_omitted_sections(experiment, raw), **raw, "cells": cells}
        return {**config, "experiments": experiments}


def _omitted_sections(experiment: ExperimentConfig, raw: dict[str, Any]) -> dict[str, Any]:
    """Sections the user left out, so that nodes reading them get the schema's defaults
    (a section given as {} validates to its defaults)."""
    return {
        name: {} if isinstance(value, BaseModel) else value
        for name, value in experiment
        if name not in raw
    }


def _fallback_loader() -> OmegaConfigLoader:
    """Config for code that reads pipelines without a Kedro session (e.g. a bare import)."""
    project_root = Path(__file__).resolve().parents[2]
    return OmegaConfigLoader(
        conf_source=str(project_root / "conf"),
        base_env="base",
        default_run_env="local",
        env=os.environ.get("KEDRO_ENV"),
    )


def declared_experiments(parameters: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The `experiments` mapping of the parameters in force: experiment name -> its raw block."""
    if parameters is None:
        # A config loader is a (lazily filled) mapping, so it is falsy: compare with None.
        loader = _active_loader if _active_loader is not None else _fallback_loader()
        parameters = loader["parameters"]
    experiments = parameters.get("experiments")
    if not isinstance(experiments, dict) or not experiments:
        raise ValueError(
            "parameters declare no experiments; add an `experiments:` mapping "
            "(name -> {data: ..., ...}) to conf/<env>/parameters.yml"
        )
    for name in experiments:
        if not EXPERIMENT_NAME.match(str(name)):
            raise ValueError(
                f"experiment name {name!r} is not usable as a Kedro namespace; "
                "use letters, digits and underscores, starting with a letter"
            )
    return experiments


def validated_experiments() -> dict[str, ExperimentConfig]:
    return {name: validate_experiment(name, raw) for name, raw in declared_experiments().items()}
