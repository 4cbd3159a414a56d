"""Benchmark SNL's one search per seed against one search per budget, on conf/base's digits experiment.

The separate searches are what the sweep ran before: `snl.linearize` once per budget, each search
stopping at its own budget. The one search (`snl.search`) runs to the smallest budget and snapshots
the larger ones on the way. Both give the same models (checked here too), so the one search costs
about the epochs of the smallest budget's search alone, and the separate ones the sum over budgets.

conf/base's digits experiment: its data, model and base training (seed 0, trained once, untimed),
its SNL settings and budgets. The two ways take turns within every repeat, the order swapped from
one repeat to the next, so that drifting load on a shared machine hits both alike:
    PYTHONPATH=src python benchmarks/bench_snl_search.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import yaml
from torch import nn

from linearization_fairness.config import validate_run
from linearization_fairness.data import prepare
from linearization_fairness.linearization import LinearizeResult, Run, snl
from linearization_fairness.models import build_model
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.training import CrossEntropy, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="digits", help="an experiment of conf/base/parameters.yml")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per way (median ratio reported)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 keeps torch's default")
    return parser.parse_args()


def timed(function: Callable[[], list[LinearizeResult]]) -> tuple[float, list[LinearizeResult]]:
    started = time.perf_counter()
    results = function()
    return time.perf_counter() - started, results


def same_models(first: list[LinearizeResult], second: list[LinearizeResult]) -> bool:
    for one, other in zip(first, second):
        state, other_state = one.model.state_dict(), other.model.state_dict()
        if state.keys() != other_state.keys():
            return False
        for key, value in state.items():
            if not (torch.equal(value, other_state[key]) if isinstance(value, torch.Tensor) else value == other_state[key]):
                return False
    return True


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    parameters = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "parameters.yml").read_text())
    run = validate_run(parameters)
    config = run.experiments[args.experiment]
    prepared = prepare(config.data, PROJECT_ROOT / run.raw_data_dir).to_arrays()
    train_split, val_split = split_tensors(prepared, "train"), split_tensors(prepared, "val")

    torch.manual_seed(args.seed)
    base: nn.Module = build_model(config.model, config.data.input_shape, config.data.num_classes)
    base = train(base, train_split, val_split, config.base_train, CrossEntropy(), seed=args.seed).model
    settings, search_run = config.linearize.snl, Run(train_split, val_split, args.seed)
    budgets = settings.budgets

    def separate() -> list[LinearizeResult]:
        return [snl.linearize(base, budget, settings, search_run) for budget in budgets]

    def one_search() -> list[LinearizeResult]:
        return snl.search(base, budgets, settings, search_run)

    ways = {"separate searches": separate, "one search": one_search}
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    identical = True
    for repeat in range(args.repeats):
        order = list(ways) if repeat % 2 == 0 else list(reversed(ways))
        results = {}
        for name in order:
            took, results[name] = timed(ways[name])
            seconds[name].append(took)
        identical &= same_models(results["separate searches"], results["one search"])

    stops = ", ".join(f"{budget} at epoch {len(result.history)}" for budget, result in zip(budgets, results["one search"]))
    ratios = [apart / together for apart, together in zip(seconds["separate searches"], seconds["one search"])]
    print(f"\n== SNL search, {args.experiment} (conf/base), budgets {budgets}, seed {args.seed}, "
          f"{torch.get_num_threads()} thread(s), {args.repeats} repeats ==")  # fmt: skip
    print(f"budgets stop: {stops}; the same models both ways: {identical}")
    for name, samples in seconds.items():
        print(f"{name:<18} median {statistics.median(samples):7.2f} s   runs {', '.join(f'{s:.2f}' for s in samples)}")
    print(f"separate / one     median {statistics.median(ratios):.2f}x   runs {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
