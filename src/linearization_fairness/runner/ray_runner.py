"""Kedro's nodes as Ray tasks: `kedro run --runner=ray` spreads a sweep over a machine's CPUs and
GPUs, or over a cluster, in the pipeline's dependency order.

Tasks exchange nothing but catalog entries: every artifact is persisted, so a task gets its node
and the few datasets it reads and writes, loads its inputs from storage and saves its outputs
there (a multi-node cluster needs `data/` on a shared filesystem, or remote paths in the catalog).
Ray does the scheduling: a node of a GPU stage asks for `ray.gpus_per_training_task` of a GPU,
which packs several small cells on one GPU, each in its own process with CUDA_VISIBLE_DEVICES set
to its GPU; on a cluster without GPUs every node asks for CPUs only.

A failed node does not stop the run: everything that does not depend on it still runs, then the
run fails with one summary naming each failed node, its error and how to rerun it.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import ray
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from kedro.runner import AbstractRunner

from linearization_fairness.config_loader import PACKAGE_NAME, active_env, run_config
from linearization_fairness.runner import SweepFailed
from linearization_fairness.runner.config import GPU_STAGES, RayConfig
from linearization_fairness.runner.progress import Progress, first_line

logger = logging.getLogger(__name__)


def _execute(project_path: str, node: Any, catalog: DataCatalog, run_id: str | None, threads: int) -> float:
    """Runs in a Ray worker: the node through Kedro's Task, with the project's hooks, on as many
    CPU threads as the task reserved (on the CPU a result depends on the thread count: a node
    computes bit for bit what the sequential runner computes on that many threads)."""
    import torch

    torch.set_num_threads(threads)
    from kedro.framework.hooks.manager import _create_hook_manager, _register_hooks
    from kedro.framework.project import configure_project, settings
    from kedro.runner.task import Task

    # A worker reports warnings and errors only; the driver shows the progress.
    logging.disable(logging.INFO)
    # Relative paths in the settings (the checkpoint folder) are relative to the project.
    os.chdir(project_path)
    configure_project(PACKAGE_NAME)
    # The project's hooks only: plugins' hooks (kedro-viz's dataset statistics) keep state from
    # before_pipeline_run, which only the driver sees.
    hook_manager = _create_hook_manager()
    _register_hooks(hook_manager, settings.HOOKS)
    started = time.perf_counter()
    Task(node=node, catalog=catalog, is_async=False, hook_manager=hook_manager, run_id=run_id).execute()
    return time.perf_counter() - started


class RayRunner(AbstractRunner):
    """Runs a Kedro pipeline's nodes as Ray tasks. `address` (or RAY_ADDRESS, or `ray.address` in
    the parameters) joins an existing cluster; otherwise a local one is started for the run."""

    def __init__(self, is_async: bool = False, address: str | None = None) -> None:
        super().__init__(is_async=False)  # loading and saving happen inside each task
        self._address = address

    def _get_executor(self, max_workers: int) -> None:
        return None

    def _run(self, pipeline: Pipeline, catalog: Any, hook_manager: Any = None, run_id: str | None = None) -> None:
        config = run_config().ray
        started_here = _connect(config, self._address)
        try:
            self._run_on_cluster(pipeline, catalog, config, run_id)
        finally:
            if started_here:
                ray.shutdown()

    def _run_on_cluster(self, pipeline: Pipeline, catalog: Any, config: RayConfig, run_id: str | None) -> None:
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        execute = ray.remote(max_retries=0)(_execute)
        project_path = str(Path.cwd())
        threads = max(1, int(config.cpus_per_task))
        dependencies = pipeline.node_dependencies
        children: dict[Any, set[Any]] = {node: set() for node in dependencies}
        for node, parents in dependencies.items():
            for parent in parents:
                children[parent].add(node)

        progress = Progress([node.name for node in pipeline.nodes])
        done: set[Any] = set()
        failures: list[tuple[str, str]] = []
        running: dict[Any, Any] = {}  # Ray object ref -> node
        todo = set(dependencies)
        while todo or running:
            for node in [node for node in todo if dependencies[node] <= done]:
                todo.discard(node)
                gpu = has_gpus and bool(set(node.tags) & set(GPU_STAGES))
                options = {"num_cpus": config.cpus_per_task, "num_gpus": config.gpus_per_training_task if gpu else 0}
                datasets = DataCatalog(datasets={name: catalog.get(name) for name in (*node.inputs, *node.outputs)})
                running[execute.options(**options, name=node.name).remote(project_path, node, datasets, run_id, threads)] = node
                progress.start(node.name)
            if not running:
                break  # what is left depends on a failed node
            finished, _ = ray.wait(list(running), num_returns=1)
            node = running.pop(finished[0])
            try:
                took = ray.get(finished[0])
            except Exception as error:  # noqa: BLE001: a failed node must not stop the others
                reason = first_line(error)
                failures.append((node.name, reason))
                progress.fail(node.name, reason)
                for descendant in _descendants(node, children):
                    if descendant in todo:
                        todo.discard(descendant)
                        progress.skip(descendant.name)
                continue
            done.add(node)
            progress.finish(node.name, took)
        progress.close()
        if failures:
            raise SweepFailed(_summary(failures, len(progress.skipped), len(done), len(pipeline.nodes)))


def _connect(config: RayConfig, address: str | None) -> bool:
    """Joins or starts a cluster; True when this run started it (and so shuts it down)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or config.address
    # Workers log warnings and errors, which Ray forwards to this terminal; progress is the driver's.
    quiet = {"logging_level": logging.WARNING, "log_to_driver": True}
    if address:
        ray.init(address=address, **quiet)
        return True
    # Ray's servers listen on every interface (it refuses to bind a node to loopback), so the
    # local cluster must take a token that only this user can read: Ray's default for a new local
    # cluster from 2.59 on, unless RAY_AUTH_MODE says otherwise. Ray switches itself to token mode
    # (environment and its cached config alike): setting only RAY_AUTH_MODE here, after `import
    # ray`, would start servers that demand a token this process never sends.
    ray.init(
        num_cpus=config.num_cpus,
        num_gpus=config.num_gpus,
        include_dashboard=config.dashboard,
        dashboard_host="127.0.0.1",
        runtime_env={"env_vars": {"KEDRO_DISABLE_TELEMETRY": os.environ.get("KEDRO_DISABLE_TELEMETRY", "1")}},
        **quiet,
    )
    return True


def _descendants(node: Any, children: dict[Any, set[Any]]) -> set[Any]:
    seen, stack = set(), [node]
    while stack:
        for child in children[stack.pop()]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _summary(failures: list[tuple[str, str]], blocked: int, done: int, total: int) -> str:
    env = active_env()
    env_option = f" --env {env}" if env else ""
    lines = [f"{len(failures)} node(s) failed; {done} of {total} nodes finished, {blocked} not run because they need a failed node:"]
    for name, reason in failures:
        lines.append(f"  {name}: {reason}")
        lines.append(f'    rerun it alone: kedro run{env_option} --nodes "{name}"')
    lines.append(f"Once fixed, run what is missing: kedro run{env_option} --runner=ray --only-missing-outputs")
    return "\n".join(lines)
