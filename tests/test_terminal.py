"""What a run prints, as a user (or CI) sees it: one line per node and no library noise."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import _kedro


def test_a_run_prints_one_line_per_node_and_no_library_noise(project_copy: Path) -> None:
    result = _kedro(project_copy, "run", "--env", "test", "--namespaces", "toy2d")
    assert result.returncode == 0, result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    progress = [line for line in lines if line.startswith("[")]
    nodes = int(progress[0].split("/")[1].split(" ")[0])
    assert len(progress) == nodes and progress[-1].startswith(f"[{nodes}/{nodes} done, 0 in flight, 0 failed]")
    others = [line for line in lines if not line.startswith("[")]
    evaluated = len([line for line in progress if ".evaluate_" in line])
    assert len(others) <= 8 + evaluated, others  # Kedro's start-up lines, a line per evaluated model, the report's path
    assert not [line for line in lines if "Warning" in line or "Completed" in line or "Loading data" in line]
    assert others[-1].endswith(str(Path("data") / "test" / "08_reporting" / "toy2d" / "report.html"))

