"""Wall time of a whole sweep: Kedro's sequential runner vs the Ray runner, side by side.

    python benchmarks/bench_runner.py --env base --repeats 1

Each repeat runs `kedro run --pipelines=full` from scratch in two fresh copies of the project's
conf, once with the sequential runner and once with `--runner=ray` on a local cluster of
`--cpus` CPUs (Ray's start-up and shutdown included: they are part of what a user waits for),
in alternating order, and prints both times and their ratio. It also checks that the two runs'
tables are equal when each Ray task and the sequential run use one CPU thread
(`--same-threads`); without it the sequential run uses every core, as a user's would. Not part
of the test suite: a conf/base repeat takes minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kill_loop import project_copy  # noqa: E402

TABLES = ("model_metrics", "group_metrics")


def run(root: Path, env: str, extra: list[str], threads: int | None) -> float:
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    if threads is not None:
        environment["OMP_NUM_THREADS"] = str(threads)
    command = [str(kedro), "run", "--pipelines=full", *(["--env", env] if env != "base" else []), *extra]
    started = time.perf_counter()
    subprocess.run(command, cwd=root, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def tables(root: Path, env: str) -> dict[str, pd.DataFrame]:
    outputs = root / ("data" if env == "base" else f"data/{env}") / "08_reporting"
    return {path.relative_to(outputs).as_posix(): pd.read_parquet(path) for name in TABLES for path in outputs.glob(f"*/{name}.parquet")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="base", help="conf env: base (the default run) or test")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    parser.add_argument("--same-threads", action="store_true", help="one thread everywhere, and compare the tables")
    args = parser.parse_args()
    ray_options = ["--runner=ray", f"--params=ray.num_cpus={args.cpus}"]
    threads = 1 if args.same_threads else None
    times: dict[str, list[float]] = {"sequential": [], "ray": []}
    for repeat in range(args.repeats):
        order = ["sequential", "ray"] if repeat % 2 == 0 else ["ray", "sequential"]
        with tempfile.TemporaryDirectory() as folder:
            roots = {name: project_copy(Path(folder) / name) for name in order}
            for name in order:
                times[name].append(run(roots[name], args.env, ray_options if name == "ray" else [], threads))
                print(f"repeat {repeat + 1}: {name} {times[name][-1]:.1f} s", flush=True)
            if args.same_threads:
                sequential, ray = tables(roots["sequential"], args.env), tables(roots["ray"], args.env)
                assert sequential.keys() == ray.keys() and sequential
                for key in sequential:
                    pd.testing.assert_frame_equal(sequential[key], ray[key], check_exact=True)
                print(f"repeat {repeat + 1}: the {len(sequential)} tables are identical")
    ratios = [ray / sequential for ray, sequential in zip(times["ray"], times["sequential"])]
    print(
        f"sequential {statistics.median(times['sequential']):.1f} s, ray ({args.cpus} CPUs) "
        f"{statistics.median(times['ray']):.1f} s; ray / sequential = {statistics.median(ratios):.2f} "
        f"(per repeat: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
    )


if __name__ == "__main__":
    main()
