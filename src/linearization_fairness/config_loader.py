"""Kedro's config loader, made the one place where a run's parameters are validated.

Kedro builds pipelines from `register_pipelines()`, which takes no arguments and runs before
parameters are handed to nodes, so it cannot see `--env` or `--params` by itself. The config loader
is the one object that knows them, and Kedro creates it (for `kedro run`, `kedro viz`, notebooks)
before it first reads the pipelines. `ExperimentConfigLoader` therefore records itself when created,
and drops Kedro's cached pipelines so they are rebuilt from the config that is now in force.

Kedro reads "parameters" several times per run; the loader validates each distinct set of
parameters once and hands out the resolved `RunConfig`, whose dump (every default filled in) is
also what Kedro sees as the run's parameters.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

from linearization_fairness.config import RunConfig, validate_run

PACKAGE_NAME = "linearization_fairness"

_active_loader: ExperimentConfigLoader | None = None


class ExperimentConfigLoader(OmegaConfigLoader):
    """Kedro's OmegaConfigLoader that validates the parameters once and shares the result."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # conf/local is an overlay: merged key by key over conf/base, so an override names only
        # what it changes. A named env (paper, test) declares its own experiments, which replace
        # base's, as Kedro's default merge does for every top-level key.
        if (self.env or self.default_run_env) == self.default_run_env:
            self.merge_strategy = {**self.merge_strategy, "parameters": "soft"}
        self._resolved: dict[str, RunConfig] = {}
        global _active_loader
        _active_loader = self
        # Imported here: kedro.framework.project loads settings.py, which imports this module.
        from kedro.framework.project import pipelines

        pipelines.configure(f"{PACKAGE_NAME}.pipeline_registry")

    def __getitem__(self, key: str) -> Any:
        config = super().__getitem__(key)
        if key != "parameters":
            return config
        return self.run_config(config).model_dump(mode="json")

    def run_config(self, parameters: dict[str, Any] | None = None) -> RunConfig:
        """The resolved config of `parameters` (default: the parameters in force), validated once."""
        if parameters is None:
            parameters = super().__getitem__("parameters")
        key = json.dumps(parameters, sort_keys=True, default=str)
        if key not in self._resolved:
            self._resolved[key] = validate_run(parameters)
        return self._resolved[key]


def active_env() -> str | None:
    """The `--env` of the session in force (None: the default, conf/base with conf/local)."""
    return None if _active_loader is None else _active_loader.env


def run_config() -> RunConfig:
    """The resolved config of the session in force, or, without one (a bare import), of the
    project's conf for `KEDRO_ENV`."""
    if _active_loader is not None:
        return _active_loader.run_config()
    project_root = Path(__file__).resolve().parents[2]
    loader = OmegaConfigLoader(
        conf_source=str(project_root / "conf"), base_env="base", default_run_env="local", env=os.environ.get("KEDRO_ENV")
    )
    return validate_run(loader["parameters"])
