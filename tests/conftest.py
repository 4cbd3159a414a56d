"""Shared fixtures: a throwaway copy of the project so Kedro sessions write into tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import copy_project

os.environ["KEDRO_DISABLE_TELEMETRY"] = "1"


@pytest.fixture
def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's conf and pyproject in tmp_path, as the working directory, with empty data layers."""
    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def run_kedro(project_copy: Path) -> Callable[..., dict]:
    """Run pipelines through a real KedroSession on conf/test (or another env) in the project copy."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    def run(env: str = "test", runtime_params: dict | None = None, **run_args: object) -> dict:
        bootstrap_project(project_copy)
        with KedroSession.create(project_path=project_copy, env=env, runtime_params=runtime_params) as session:
            return session.run(**run_args)

    return run
