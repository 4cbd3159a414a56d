"""What a run prints, as a user (or CI) sees it: one line per node and no library noise."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import _kedro


def test_a_run_prints_a_progress_line_every_ten_seconds_one_line_per_model_and_no_library_noise(project_copy: Path) -> None:
    import pandas as pd

    result = _kedro(project_copy, "run", "--env", "test", "--namespaces", "toy2d")
    assert result.returncode == 0, result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    progress = [line for line in lines if line.startswith("[")]
    nodes = int(progress[-1].split("/")[1].split(" ")[0])
    assert progress[-1].startswith(f"[{nodes}/{nodes} done, 0 in flight, 0 failed]")
    minutes, seconds = progress[-1].split("] ")[1].split(" elapsed")[0].split(":")
    assert len(progress) <= 1 + (60 * int(minutes) + int(seconds)) / 10  # not a terminal: one line per 10 s
    models = pd.read_csv(project_copy / "data" / "test" / "08_reporting" / "toy2d" / "model_metrics.csv")
    summaries = [line for line in lines if ": global accuracy " in line and ", worst group " in line]
    assert len(summaries) == len(models) > 0
    assert any(f"toy2d.{cell} {variant}: global accuracy" in line for line in summaries for cell, variant in zip(models["cell"], models["variant"]))
    others = [line for line in lines if not line.startswith("[") and line not in summaries]
    headline = json.loads((project_copy / "data" / "test" / "08_reporting" / "toy2d" / "headline.json").read_text())
    # Kedro's start-up lines, a warning per model where conf/test's 3 power iterations leave a
    # Hessian unconverged, the report's path and its headline, one line per sentence.
    assert len(others) <= 8 + len(models) + len(headline), others
    assert not [line for line in lines if "Warning" in line or "Completed" in line or "Loading data" in line]
    assert headline and [line.split(" headline: ", 1)[1] for line in others[-len(headline) :]] == headline
    assert others[-len(headline) - 1].endswith(str(Path("data") / "test" / "08_reporting" / "toy2d" / "report.html"))
