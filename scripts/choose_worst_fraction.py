"""Choose the label-free finetune's `worst_fraction` on validation data: sweep it and print each
seed's validation worst-group accuracy.

Needs the linearized and base models of a finished `kedro run` (the stages up to `linearize`), read
through the project's catalog. Every run is the experiment's `label_free` finetune with only
`worst_fraction` changed, and is measured on the validation split alone: the test split is not read.

    python scripts/choose_worst_fraction.py --experiment digits --cells snl_b250 random_b250
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch
from kedro.framework.project import configure_project
from kedro.framework.session import KedroSession

from linearization_fairness.config_loader import PACKAGE_NAME
from linearization_fairness.finetuning import label_free
from linearization_fairness.pipelines.common import split_tensors
from linearization_fairness.training import evaluate_logits

PROJECT = Path(__file__).resolve().parents[1]


def val_worst_group_accuracy(model: torch.nn.Module, val: tuple[torch.Tensor, ...]) -> float:
    x, y, group = val
    correct = (evaluate_logits(model, x, 512).argmax(dim=1) == y).double()
    return min(correct[group == g].mean().item() for g in group.unique())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=None, help="Kedro env (default: conf/base with conf/local)")
    parser.add_argument("--experiment", default="digits")
    parser.add_argument("--cells", nargs="+", default=["snl_b250"], help="linearized cells without their seed")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="default: the experiment's seeds")
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.1, 0.2, 0.3, 0.5, 0.7, 1.0])
    arguments = parser.parse_args()

    configure_project(PACKAGE_NAME)
    with KedroSession.create(project_path=PROJECT, env=arguments.env) as session:
        context = session.load_context()
        catalog = context.catalog
        experiment = context.config_loader.run_config().experiments[arguments.experiment]
        prefix = arguments.experiment
        splits = catalog.load(f"{prefix}.splits")
        num_groups = len(catalog.load(f"{prefix}.data_info")["group_names"])
        train, val = split_tensors(splits, "train"), split_tensors(splits, "val")
        rows = []
        for seed in arguments.seeds or experiment.seeds:
            teacher = catalog.load(f"{prefix}.base_s{seed}.base_model")
            for cell in arguments.cells:
                student = catalog.load(f"{prefix}.{cell}_s{seed}.linearized_model")
                for fraction in arguments.fractions:
                    config = experiment.label_free.model_copy(
                        update={"worst_fraction": fraction, "train": experiment.label_free.train.model_copy(update={"progress": False})}
                    )
                    result = label_free(student.build(), teacher.build(), train, val, config, num_groups, seed)
                    accuracy = val_worst_group_accuracy(result.model, val)
                    rows.append({"seed": seed, "cell": cell, "worst_fraction": fraction, "val_worst_group_accuracy": accuracy})
                    print(f"seed {seed} {cell} worst_fraction {fraction:g}: val worst-group accuracy {100 * accuracy:.1f}%", flush=True)
    table = pd.DataFrame(rows)
    by_seed = table.pivot_table(index="worst_fraction", columns="seed", values="val_worst_group_accuracy", aggfunc="mean")
    by_seed["mean"] = by_seed.mean(axis=1)
    print("\nvalidation worst-group accuracy (%), mean over cells", arguments.cells)
    print((100 * by_seed).round(1).to_string())
    best = by_seed["mean"].idxmax()
    print(f"\nchosen worst_fraction: {best:g} ({100 * by_seed['mean'].max():.1f}% mean over seeds)")


if __name__ == "__main__":
    main()
