"""The lineage as `kedro viz` serves it, read from its API on loopback: every artifact in a layer,
every cell's nodes and outputs inside its cell's group, no parameters."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    """A free port below 49152: kedro viz refuses the ephemeral range the OS hands out for port 0."""
    for port in random.Random().sample(range(20000, 49000), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-49000")


def test_kedro_viz_groups_every_cell_and_layers_every_artifact(project_copy: Path) -> None:
    port = _free_port()
    kedro = Path(sys.executable).with_name("kedro")
    server = subprocess.Popen(
        [str(kedro), "viz", "run", "--env", "test", "--host", "127.0.0.1", "--port", str(port), "--no-browser"],
        cwd=project_copy, env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline, graph = time.monotonic() + 180, None
        while graph is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/main", timeout=5) as response:
                    graph = json.load(response)
            except OSError:
                time.sleep(1)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
        _, errors = server.communicate(timeout=30)
    assert graph is not None, f"kedro viz did not answer: {errors[-2000:]}"

    assert graph["layers"] == ["model_input", "models", "model_output", "reporting"]
    nodes = [node for node in graph["nodes"] if node["type"] != "modularPipeline"]
    assert not [node["name"] for node in nodes if node["type"] == "parameters"]
    assert not [node["name"] for node in nodes if node["type"] == "data" and not node.get("layer")]
    # Outside any group: only the run's own tables and the nodes that stack them.
    outside = {node["name"] for node in nodes if not node.get("modular_pipelines")}
    assert outside == {"combine_group_metrics", "combine_model_metrics", "group_metrics", "group_metrics_csv", "model_metrics", "model_metrics_csv"}
    # The artifacts of a cell sit in its cell's group, or in the group of the node that wrote them
    # (SNL's one search per seed writes the linearized models of all its budgets), never loose in
    # the experiment's group.
    cell_artifacts = [node for node in nodes if node["type"] == "data" and node["name"].count(".") == 2]
    assert len(cell_artifacts) > 100
    for node in cell_artifacts:
        cell_group = node["name"].rsplit(".", 1)[0]
        assert cell_group in node["modular_pipelines"] or any(group.count(".") == 1 for group in node["modular_pipelines"]), node["name"]
