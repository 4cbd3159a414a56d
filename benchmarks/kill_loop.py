"""Kill `kedro run --env test` at random moments, resume with --only-missing-outputs, and check
that the finished outputs equal an uninterrupted run's and that no output is empty.

    python benchmarks/kill_loop.py --kills 20 --seed 0

Two copies of the project's conf are made in a temporary folder: one runs uninterrupted, the
other is killed (SIGKILL, the whole process group) after a random 1-20 s, then resumed, again and
again (a sweep that finishes before enough kills is started over) until `--kills` kills have
happened and a resumed run finishes. Both runs use the same number of CPU
threads, which bit-identity assumes. Not part of the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
TABLES = ["model_metrics", "group_metrics"]


def project_copy(root: Path) -> Path:
    shutil.copytree(PROJECT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    (root / "src").mkdir()
    (root / "data" / "01_raw").mkdir(parents=True)
    return root


def kedro(root: Path, *args: str) -> subprocess.Popen:
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    return subprocess.Popen(
        ["kedro", "run", "--env", "test", *args], cwd=root, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-wait", type=float, default=20.0, help="longest time before a kill, in seconds")
    arguments = parser.parse_args()
    draw = random.Random(arguments.seed)

    with tempfile.TemporaryDirectory() as folder:
        reference, killed = project_copy(Path(folder) / "reference"), project_copy(Path(folder) / "killed")
        if kedro(reference).wait() != 0:
            print("the uninterrupted run failed", file=sys.stderr)
            return 1
        kills, runs, fresh = 0, 0, True
        while True:
            runs += 1
            process = kedro(killed, *([] if fresh else ["--only-missing-outputs"]))
            fresh = False
            try:
                process.wait(timeout=draw.uniform(1.0, arguments.max_wait) if kills < arguments.kills else None)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
                continue
            if process.returncode != 0:
                print(f"run {runs} failed (exit {process.returncode}) after {kills} kills", file=sys.stderr)
                return 1
            if kills >= arguments.kills:
                break
            # Finished before enough kills: start the sweep over, to be killed again.
            shutil.rmtree(killed / "data")
            (killed / "data" / "01_raw").mkdir(parents=True)
            fresh = True
        empty = [path for path in (killed / "data").rglob("*") if path.is_file() and path.stat().st_size == 0]
        different = []
        for experiment in ("digits", "toy2d"):
            for table in TABLES:
                name = f"test/08_reporting/{experiment}/{table}.parquet"  # conf/test writes under data/test
                if not pd.read_parquet(reference / "data" / name).equals(pd.read_parquet(killed / "data" / name)):
                    different.append(name)
        print(f"{kills} kills over {runs} runs; empty outputs: {len(empty)}; tables differing from the uninterrupted run: {different or 'none'}")
        return 1 if empty or different else 0


if __name__ == "__main__":
    sys.exit(main())
