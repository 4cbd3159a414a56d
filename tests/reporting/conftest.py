"""A synthetic `group_metrics` table with a planted answer: group 2 ('frog') is the minority and pays.

Relative drops per group and budget are fixed below; the minority's drop grows as the budget
shrinks, the majority barely moves, and the mitigation halves the minority's drop. Each seed adds
a small, known offset to every accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

TOTAL_RELUS = 10_000
GROUP_NAMES = ("cat", "dog", "frog")
TRAIN_SHARES = (0.45, 0.45, 0.10)
TEST_SIZES = (40, 40, 20)
BASE_ACCURACY = (0.95, 0.90, 0.80)
SEED_OFFSET = {0: 0.0, 1: 0.01, 2: -0.01}
PLANTED_DROPS = {  # budget -> relative drop per group, plain KD finetuning
    4000: (0.01, 0.02, 0.10),
    1000: (0.02, 0.03, 0.40),
}
CONTROL_DROPS = (0.00, 0.01, 0.05)


def _model_rows(
    method: str, budget: int, variant: str, seed: int, drops: Sequence[float], relu_count: int
) -> list[dict]:
    offset = SEED_OFFSET[seed]
    base = np.array(BASE_ACCURACY) + offset
    accuracy = base * (1 - np.array(drops))
    sizes = np.array(TEST_SIZES)
    overall = float((accuracy * sizes).sum() / sizes.sum())
    distance = 0.0 if method == "base" else 5.0 * TOTAL_RELUS / budget + offset
    rows = []
    for group_id, name in enumerate(GROUP_NAMES):
        rows.append(
            {
                "experiment": "toy",
                "dataset": "digits",
                "arch": "resnet_tiny",
                "method": method,
                "cell": f"{method}_b{budget}_s{seed}",
                "budget": budget,
                "relu_count": relu_count,
                "total_relus": TOTAL_RELUS,
                "seed": seed,
                "variant": variant,
                "group_id": group_id,
                "group_name": name,
                "train_share": TRAIN_SHARES[group_id],
                "is_minority": TRAIN_SHARES[group_id] < 1 / len(GROUP_NAMES),
                "n": TEST_SIZES[group_id],
                "accuracy": float(accuracy[group_id]),
                "loss": 0.1 + float(drops[group_id]),
                "relative_drop": float(drops[group_id]),
                "grad_norm": 0.5 + 5 * float(drops[group_id]),
                "per_sample_grad_norm": 1.0 + 5 * float(drops[group_id]),
                "prob_margin": 0.9 - float(drops[group_id]),
                "logit_margin": 5.0 - 3 * float(drops[group_id]),
                "hessian_top_eig": 2.0 + 10 * float(drops[group_id]),
                "overall_accuracy": overall,
                "worst_group_accuracy": float(accuracy.min()),
                "parity_gap": float(accuracy.max() - accuracy.min()),
                "param_distance": distance,
            }
        )
    return rows


def build_group_metrics(
    seeds: Sequence[int] = (0, 1),
    methods: Sequence[str] = ("snl", "deepreduce"),
    budgets: Sequence[int] = (4000, 1000),
    variants: Sequence[str] = ("finetune", "mitigate"),
    with_references: bool = True,
) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        if with_references:
            rows += _model_rows("base", TOTAL_RELUS, "base", seed, (0.0, 0.0, 0.0), TOTAL_RELUS)
            rows += _model_rows("finetune_only", TOTAL_RELUS, "finetune", seed, CONTROL_DROPS, TOTAL_RELUS)
        for method in methods:
            for budget in budgets:
                for variant in variants:
                    drops = np.array(PLANTED_DROPS[budget])
                    if variant == "mitigate":
                        drops = drops * np.array([1.0, 1.0, 0.5])
                    rows += _model_rows(method, budget, variant, seed, drops, budget)
    return pd.DataFrame(rows)


@pytest.fixture
def make_group_metrics() -> Callable[..., pd.DataFrame]:
    return build_group_metrics


@pytest.fixture
def group_metrics() -> pd.DataFrame:
    return build_group_metrics()
