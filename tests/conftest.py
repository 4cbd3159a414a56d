"""Shared fixtures: a throwaway copy of the project so Kedro sessions write into tmp_path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ["KEDRO_DISABLE_TELEMETRY"] = "1"

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's conf and pyproject in tmp_path, as the working directory, with empty data layers."""
    shutil.copytree(PROJECT_ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf" / "local").mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "data" / "01_raw").mkdir(parents=True)
    (tmp_path / "src").mkdir()  # bootstrap_project insists on it; the package itself is installed
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
