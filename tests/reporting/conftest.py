"""Synthetic results tables with a planted answer: group 2 ('frog') is the minority and pays.

The tables are built per seed at both levels, `model_metrics` (ModelMetrics) and `group_metrics`
(GroupMetrics), validated against their schemas, then aggregated over seeds as the report stage
does. Each linearization method declares its budgets its own way: snl as ReLU counts, deepreduce
as DeepReDuce stage names ("2t", "14t"), random as shares of the ReLUs ("p40", "p5"). Relative
drops per group are fixed per budget level: the minority's drop grows as the budget shrinks, the
majority barely moves, and the mitigation halves the minority's drop. Each seed adds a small,
known offset to every accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.results import (
    GROUP_KEYS,
    GROUP_METRICS,
    MODEL_KEYS,
    MODEL_METRICS,
    GroupMetrics,
    ModelMetrics,
    aggregated_schema,
    is_minority,
)

TOTAL_RELUS = 10_000
GROUP_NAMES = ("cat", "dog", "frog")
TRAIN_SHARES = (0.45, 0.45, 0.10)
TEST_SIZES = (40, 40, 20)
BASE_ACCURACY = (0.95, 0.90, 0.80)
SEED_OFFSET = {0: 0.0, 1: 0.01, 2: -0.01}
BUDGETS = {  # method -> level -> (budget as declared, ReLUs it keeps)
    "snl": {"high": ("4000", 4000), "low": ("1000", 1000)},
    "deepreduce": {"high": ("2t", 3072), "low": ("14t", 768)},
    "random": {"high": ("p40", 4000), "low": ("p5", 500)},
}
PLANTED_DROPS = {  # level -> relative drop per group, plain KD finetuning
    "high": (0.01, 0.02, 0.10),
    "low": (0.02, 0.03, 0.40),
}
CONTROL_DROPS = (0.00, 0.01, 0.05)


def _model(
    method: str, budget: str, relus_kept: int, variant: str, seed: int, drops: Sequence[float]
) -> tuple[dict, list[dict]]:
    """The model row and the group rows of one evaluated model."""
    keys = {
        "experiment": "toy",
        "method": method,
        "budget": budget,
        "relus_kept": relus_kept,
        "variant": variant,
        "seed": seed,
        "cell": f"{method}_{budget}_s{seed}",
    }
    drops = np.array(drops, dtype=float)
    accuracy = (np.array(BASE_ACCURACY) + SEED_OFFSET[seed]) * (1 - drops)
    sizes = np.array(TEST_SIZES)
    model = {
        **keys,
        "dataset": "digits",
        "arch": "resnet_tiny",
        "total_relus": TOTAL_RELUS,
        "overall_accuracy": float((accuracy * sizes).sum() / sizes.sum()),
        "worst_group_accuracy": float(accuracy.min()),
        "parity_gap": float(accuracy.max() - accuracy.min()),
        "param_distance": 0.0 if method == "base" else 5.0 * TOTAL_RELUS / relus_kept + SEED_OFFSET[seed],
    }
    minority = is_minority(pd.Series(TRAIN_SHARES), len(GROUP_NAMES))
    groups = [
        {
            **keys,
            "group_id": group_id,
            "group_name": name,
            "train_share": TRAIN_SHARES[group_id],
            "is_minority": bool(minority[group_id]),
            "n": TEST_SIZES[group_id],
            "accuracy": float(accuracy[group_id]),
            "loss": 0.1 + drops[group_id],
            "relative_drop": drops[group_id],
            "diagnostics_n": TEST_SIZES[group_id],
            "grad_norm": 0.5 + 5 * drops[group_id],
            "per_sample_grad_norm": 1.0 + 5 * drops[group_id],
            "prob_margin": 0.9 - drops[group_id],
            "logit_margin": 5.0 - 3 * drops[group_id],
            "hessian_top_eig": 2.0 + 10 * drops[group_id],
            "hessian_iters": 40,
            "hessian_converged": True,
        }
        for group_id, name in enumerate(GROUP_NAMES)
    ]
    return model, groups


def build_tables(
    seeds: Sequence[int] = (0, 1),
    methods: Sequence[str] = ("snl", "deepreduce", "random"),
    levels: Sequence[str] = ("high", "low"),
    variants: Sequence[str] = ("finetune", "mitigate"),
    with_references: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed (group_metrics, model_metrics), each checked against its schema."""
    specs = []  # (method, budget, relus_kept, variant, seed, drops)
    for seed in seeds:
        if with_references:
            specs.append(("base", "all", TOTAL_RELUS, "base", seed, (0.0, 0.0, 0.0)))
            specs.append(("finetune_only", "all", TOTAL_RELUS, "finetune", seed, CONTROL_DROPS))
        for method in methods:
            for level in levels:
                budget, relus_kept = BUDGETS[method][level]
                for variant in variants:
                    drops = np.array(PLANTED_DROPS[level])
                    if variant == "mitigate":
                        drops = drops * np.array([1.0, 1.0, 0.5])
                    specs.append((method, budget, relus_kept, variant, seed, drops))
    models, groups = [], []
    for spec in specs:
        model, model_groups = _model(*spec)
        models.append(model)
        groups += model_groups
    return GroupMetrics.validate(pd.DataFrame(groups)), ModelMetrics.validate(pd.DataFrame(models))


def aggregate_tables(groups: pd.DataFrame, models: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The seed aggregates (groups, models), as the report stage makes them, checked against their schemas."""
    aggregated_groups = aggregate_over_seeds(groups, GROUP_KEYS, GROUP_METRICS)
    aggregated_models = aggregate_over_seeds(models, MODEL_KEYS, MODEL_METRICS)
    aggregated_schema(GroupMetrics, GROUP_METRICS).validate(aggregated_groups)
    aggregated_schema(ModelMetrics, MODEL_METRICS).validate(aggregated_models)
    return aggregated_groups, aggregated_models


def build_aggregated(**shape) -> tuple[pd.DataFrame, pd.DataFrame]:
    return aggregate_tables(*build_tables(**shape))


@pytest.fixture
def make_tables() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """Per-seed (groups, models) of a chosen shape, to alter before aggregating."""
    return build_tables


@pytest.fixture
def make_aggregated() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """Aggregated (groups, models) of a chosen shape."""
    return build_aggregated


@pytest.fixture
def spread_drop() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed (groups, models) of snl alone, where frog loses everything at 1,000 ReLUs on seed 0
    and 60% on seed 1: a relative drop of 80% ± 254 points over the two seeds, past 100%."""
    groups, models = build_tables(methods=("snl",))
    lowest = (groups["method"] == "snl") & (groups["relus_kept"] == 1000) & (groups["group_name"] == "frog")
    base = groups.loc[(groups["variant"] == "base") & (groups["group_name"] == "frog")].set_index("seed")["accuracy"]
    seeds = groups.loc[lowest, "seed"]
    groups.loc[lowest, "accuracy"] = (seeds.map({0: 0.0, 1: 0.4}) * seeds.map(base)).to_numpy()
    return groups, models


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed (groups, models) of the full sweep: base, control, three methods x two budgets x two variants."""
    return build_tables()


@pytest.fixture
def aggregated(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregated (groups, models) of the full sweep."""
    return aggregate_tables(*tables)


@pytest.fixture
def aggregate() -> Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]:
    """Per-seed (groups, models) -> aggregated (groups, models), schemas checked."""
    return aggregate_tables


# The planted test-sample interval of every seed mean in the comparison tables: mean ± 2 points.
SAMPLE_HALF_WIDTH = 0.02


def build_differences(groups: pd.DataFrame, models: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The aggregated comparison tables (groups, models) of per-seed planted tables, computed by
    hand: every model against the base model of its seed and each mitigated model against the plain
    one of its cell, with a planted test-sample interval and flip rates equal to the accuracy changes."""
    from linearization_fairness.results.schema import (
        DIFFERENCE_KEYS, GROUP_DIFFERENCE_KEYS, GROUP_DIFFERENCES, MODEL_DIFFERENCES, differences_schema,
    )  # fmt: skip

    overall = models[["experiment", "seed", "cell", "variant", "overall_accuracy"]]
    groups = groups.merge(overall, on=["experiment", "seed", "cell", "variant"])
    reference = groups[["experiment", "seed", "cell", "group_id", "accuracy", "overall_accuracy", "variant"]]
    reference = reference.rename(columns={"accuracy": "reference_accuracy", "overall_accuracy": "reference_overall", "variant": "reference"})
    base = reference[reference["reference"] == "base"].drop(columns="cell")
    plain = reference[reference["reference"] == "finetune"]
    pairs = pd.concat(
        [
            groups[groups["variant"] != "base"].merge(base, on=["experiment", "seed", "group_id"]),
            groups[groups["variant"] == "mitigate"].merge(plain, on=["experiment", "seed", "cell", "group_id"]),
        ],
        ignore_index=True,
    )
    pairs["difference"] = pairs["accuracy"] - pairs["reference_accuracy"]
    pairs["relative_drop"] = -pairs["difference"] / pairs["reference_accuracy"]
    pairs["excess_drop"] = -pairs["difference"] + (pairs["overall_accuracy"] - pairs["reference_overall"])
    pairs["flip_rate"] = pairs["difference"].abs()
    by_pair = pairs.groupby([*DIFFERENCE_KEYS, "seed", "cell"], sort=False)
    minority = pairs["is_minority"]
    minority_drop = pairs[minority].groupby(by_pair.keys, sort=False)["relative_drop"].mean()
    majority_drop = pairs[~minority].groupby(by_pair.keys, sort=False)["relative_drop"].mean()
    pair_table = pd.DataFrame(
        {
            "overall_difference": by_pair["overall_accuracy"].first() - by_pair["reference_overall"].first(),
            "worst_group_difference": by_pair["accuracy"].min() - by_pair["reference_accuracy"].min(),
            "max_excess_drop": by_pair["excess_drop"].max(),
            "flip_rate": by_pair["flip_rate"].mean(),
            "minority_relative_drop": minority_drop,
            "majority_relative_drop": majority_drop,
            "minority_gap": minority_drop - majority_drop,
        }
    ).reset_index()

    def aggregated(table: pd.DataFrame, keys: tuple[str, ...], statistics: dict, positive: bool) -> pd.DataFrame:
        result = aggregate_over_seeds(table, keys, list(statistics))
        for name, (low, high) in statistics.items():
            result[f"{name}_sample_low"] = (result[f"{name}_mean"] - SAMPLE_HALF_WIDTH).clip(low, high)
            result[f"{name}_sample_high"] = (result[f"{name}_mean"] + SAMPLE_HALF_WIDTH).clip(low, high)
            if positive:
                counts = (table[name] > 0).groupby([table[key] for key in keys]).sum().rename(f"{name}_positive_seeds")
                result = result.merge(counts.reset_index(), on=list(keys))
        return result

    group_columns = [*GROUP_DIFFERENCE_KEYS, "seed", "cell", "group_name", "train_share", "is_minority", "n", *GROUP_DIFFERENCES]
    return (
        differences_schema("group", aggregated=True).validate(aggregated(pairs[group_columns], GROUP_DIFFERENCE_KEYS, GROUP_DIFFERENCES, False)),
        differences_schema("model", aggregated=True).validate(aggregated(pair_table, DIFFERENCE_KEYS, MODEL_DIFFERENCES, True)),
    )


@pytest.fixture(scope="session")
def differences() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregated comparison tables (groups, models) of the full sweep, built once: do not alter them."""
    return build_differences(*build_tables())


@pytest.fixture
def make_differences() -> Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]:
    """Per-seed (groups, models) -> aggregated comparison tables (groups, models)."""
    return build_differences
