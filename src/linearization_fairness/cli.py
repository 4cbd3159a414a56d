"""Project commands added to `kedro`: `kedro stale` lists what a run would recompute, and why.

Kedro loads `cli` from this module; `run` is re-exported because Kedro then takes the project's
run command from here too (`python -m linearization_fairness`).
"""

from __future__ import annotations

import click
from kedro.framework.cli.project import run
from kedro.framework.cli.utils import env_option
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

__all__ = ["cli", "run"]


@click.group(name="linearization-fairness")
def cli() -> None:
    """Commands of this project."""


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
