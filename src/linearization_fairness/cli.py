"""Project commands added to `kedro`: `kedro run` that reports a bad parameter in one line, takes
lists in `--params` and spells the Ray runner `--runner=ray`; `kedro stale`, which lists what a
run would recompute, and why; and `kedro plan`, what a sweep would cost.

Kedro loads `cli` from this module, and takes the project's run command from here too
(`python -m linearization_fairness`).
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.cli.utils import env_option
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from omegaconf import OmegaConf

from linearization_fairness.config import ConfigError
from linearization_fairness.runner import RAY_RUNNER, SweepFailed

__all__ = ["cli", "run"]
TRACEBACK_SWITCH = "LINEARIZATION_FAIRNESS_TRACEBACK"


@click.group(name="linearization-fairness")
def cli() -> None:
    """Commands of this project."""


def _one_line_errors(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("runner") == "ray":
            kwargs["runner"] = RAY_RUNNER
        try:
            return callback(*args, **kwargs)
        except ConfigError as error:
            if os.environ.get(TRACEBACK_SWITCH):
                raise
            raise click.ClickException(f"{error}\n(set {TRACEBACK_SWITCH}=1 for the traceback)") from None
        except SweepFailed as failed:
            raise click.ClickException(str(failed)) from None

    return wrapper


def _split_params(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Kedro's `--params` parser, except that a comma inside [...] or {...} belongs to its value,
    so that `--params "experiments.digits.linearize.snl.budgets=[750,250,500],experiments.digits.seeds=[0,1]"`
    sets two lists (Kedro's own splits at every comma)."""
    if isinstance(value, dict):
        return value
    items, depth, start = [], 0, 0
    for index, char in enumerate(value + ","):
        depth += (char in "[{") - (char in "]}")
        if char == "," and depth == 0:
            items.append(value[start:index].strip())
            start = index + 1
    dotlist = []
    for item in filter(None, items):
        key, equals, _ = item.partition("=")
        if not equals or not key.strip():
            ctx.fail(f"Invalid format of `--params` option: `{item}` must be key=value, e.g. experiments.digits.seeds=[0,1]")
        dotlist.append(f"{key.strip()}={item.partition('=')[2]}")
    return OmegaConf.to_container(OmegaConf.from_dotlist(dotlist))


def _run_options() -> list[click.Parameter]:
    options = []
    for option in kedro_run.params:
        if option.name == "params":
            option = copy.copy(option)
            option.callback = _split_params
        options.append(option)
    return options


# Kedro's own `kedro run`, with every option, but a parameter error is its one line and exit 1,
# `--params` takes lists, and `--runner=ray` spells the Ray runner.
run = click.Command(
    name="run", params=_run_options(), callback=_one_line_errors(kedro_run.callback),
    help=kedro_run.help, short_help=kedro_run.short_help,
)  # fmt: skip
cli.add_command(run)


@cli.command()
@env_option
@click.option("--pipelines", "pipeline_name", default="full", show_default=True, help="The registered pipeline to check.")
@click.pass_obj
def stale(metadata, env: str | None, pipeline_name: str) -> None:  # noqa: ANN001
    """List the nodes whose outputs are stale (made under other settings or from other inputs) or
    missing: what `kedro run --only-missing-outputs` would run. Runs nothing."""
    from kedro.framework.project import pipelines

    from linearization_fairness.fingerprints import Fingerprints

    bootstrap_project(metadata.project_path)
    with KedroSession.create(project_path=metadata.project_path, env=env) as session:
        catalog = session.load_context().catalog
        pipeline = pipelines[pipeline_name]
        stale_nodes = Fingerprints(pipeline, catalog).stale
    for node in pipeline.nodes:
        if node.name in stale_nodes:
            click.echo(f"{node.name}: {stale_nodes[node.name]}")
    click.echo(f"{len(stale_nodes)} of {len(pipeline.nodes)} nodes of '{pipeline_name}' are stale or missing.")


@cli.command()
@env_option
@click.option("--gpus", type=click.IntRange(min=1), default=1, show_default=True, help="GPUs the sweep would run on.")
@click.option(
    "--hessian-products", type=click.IntRange(min=1), default=None,
    help="Typical Hessian-vector products per power iteration (default: evaluate.hessian_iters, an upper bound).",
)  # fmt: skip
@click.pass_obj
@_one_line_errors
def plan(metadata, env: str | None, gpus: int, hessian_products: int | None) -> None:  # noqa: ANN001
    """Print what the sweep costs before it runs: cells per experiment and method, epochs per stage,
    and device-hours from a short, cached timing on this machine's device; also written to
    <outputs>/08_reporting/plan.csv. Trains nothing."""
    from linearization_fairness import plan as planning
    from linearization_fairness.sweep import experiments_of
    from linearization_fairness.training import resolve_device

    bootstrap_project(metadata.project_path)
    with KedroSession.create(project_path=metadata.project_path, env=env) as session:
        loader = session.load_context().config_loader
        run, outputs = loader.run_config(), metadata.project_path / loader["globals"]["outputs"]
    timer = planning.Timer(outputs / planning.TIMINGS_FILE, resolve_device("auto"))
    made = planning.make_plan(experiments_of(run), outputs, timer, hessian_products)
    planning.write_csv(made.table(gpus, run.ray.gpus_per_training_task), outputs / planning.PLAN_FILE)
    click.echo(planning.summary(made, gpus, run.ray.gpus_per_training_task, hessian_products))
    click.echo(
        f"Timings: {timer.measured} measured now, {timer.reused} reused (cache: {timer.cache}). "
        f"Written: {outputs / planning.PLAN_FILE}"
    )
