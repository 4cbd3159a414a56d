"""The project's commands as a user types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _kedro(project: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    kedro = Path(sys.executable).with_name("kedro")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", **environment}
    return subprocess.run([str(kedro), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_a_bad_parameter_is_one_line_and_a_failed_exit_and_the_switch_shows_the_traceback(project_copy: Path) -> None:
    result = _kedro(project_copy, "run", "--env", "test", "--params=experiments.digits.base_train.lr=0")
    assert result.returncode == 1
    assert "Error: experiments.digits.base_train.lr=0: Input should be greater than 0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (project_copy / "data" / "test" / "05_model_input").exists()
    shown = _kedro(project_copy, "run", "--env", "test", "--params=experiments.digits.base_train.lr=0", LINEARIZATION_FAIRNESS_TRACEBACK="1")
    assert shown.returncode != 0 and "ConfigError" in shown.stderr + shown.stdout


def test_stale_lists_what_a_run_would_do_and_runs_nothing(project_copy: Path) -> None:
    result = _kedro(project_copy, "stale", "--env", "test", "--pipelines", "data_prep")
    assert result.returncode == 0, result.stderr
    assert "digits.prepare_data: missing" in result.stdout and "3 of 3 nodes of 'data_prep'" in result.stdout
    assert not (project_copy / "data" / "test" / "05_model_input").exists()


def test_runner_ray_names_the_ray_runner_and_a_failed_sweep_is_its_summary() -> None:
    import click
    from kedro.utils import load_obj

    from linearization_fairness.cli import _one_line_errors
    from linearization_fairness.runner import SweepFailed

    chosen = _one_line_errors(lambda **options: options)(runner="ray")
    assert load_obj(chosen["runner"], "kedro.runner").__name__ == "RayRunner"
    assert _one_line_errors(lambda **options: options)(runner="ThreadRunner") == {"runner": "ThreadRunner"}

    def failing(**options: object) -> None:
        raise SweepFailed("1 node(s) failed; ...")

    with pytest.raises(click.ClickException, match=r"^1 node\(s\) failed"):
        _one_line_errors(failing)(runner="ray")


def test_params_takes_lists_as_values() -> None:
    import click

    from linearization_fairness.cli import _split_params

    parsed = _split_params(None, None, "experiments.digits.linearize.snl.budgets=[750,250,500], experiments.digits.seeds=[0,1],x=0.5")
    assert parsed == {"experiments": {"digits": {"linearize": {"snl": {"budgets": [750, 250, 500]}}, "seeds": [0, 1]}}, "x": 0.5}
    with pytest.raises(click.UsageError, match="must be key=value"):
        _split_params(click.Context(click.Command("run")), None, "experiments.digits.seeds")


def test_a_list_given_with_params_reaches_the_validated_config(project_copy: Path) -> None:
    result = _kedro(project_copy, "run", "--env", "test", "--params", "experiments.digits.linearize.random.budgets=[100,150,100]")
    assert result.returncode == 1
    assert "experiments.digits.linearize.random.budgets: [100, 150, 100] lists a budget twice" in result.stderr
