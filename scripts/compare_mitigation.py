"""Compare designs of the fairness-aware finetune on the VALIDATION split (never test).

Runs plain KD finetuning and each mitigate design below on the cached linearized models of a
default run (`kedro run --pipelines=full`, or at least data_prep, base_s<seed> and the method's
search), and prints, per model, each variant's validation worst-group and global accuracy at its
chosen checkpoint, and the paired mean difference against plain finetuning. This is how the
default in conf/base was chosen:

    python scripts/compare_mitigation.py --method snl --budgets b250 b750 --seeds 0 1 2

Seeds can run in parallel processes (`--seeds 0 --out s0.csv`, ...), then `--summarize s*.csv`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.finetuning import finetune, mitigate
from linearization_fairness.metrics.group import group_accuracy_table, overall_accuracy, worst_group_accuracy
from linearization_fairness.metrics.predictions import predict
from linearization_fairness.models import load_artifact
from linearization_fairness.pipelines.common import split_tensors

# Overrides of the experiment's mitigate block; "paper" is conf/base's form before issue 12.1.
DESIGNS = {
    "paper (train, mu 0.05)": {"violations_on": "train", "heldout_fraction": None, "mu": 0.05},
    # mu = 0: no penalty, only the slice withheld from training: what the data change alone does.
    "heldout 0.2, mu 0 (control)": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.0},
    "heldout 0.2, mu 0.05": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.05},
    "heldout 0.2, mu 0.2": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.2},
    "heldout 0.2, mu 0.5": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.5},
    "heldout 0.2, mu 2": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 2.0},
    # (L_g - L)_+ with L held fixed: the penalty only adds weight to groups above the mean loss.
    # Smaller steps: a student that starts far off on a group (digits_styled's negatives) has
    # held-out violations of 5-25 loss units, so mu 0.05 puts its multiplier at the cap in one epoch.
    "heldout 0.2, mu 0.005": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.005},
    "heldout 0.2, mu 0.02": {"violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.02},
    # (L_g - L)_+ with L held fixed: the penalty only adds weight to groups above the mean loss.
    "excess, heldout 0.2, mu 0.005": {"penalty": "excess", "violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.005},
    "excess, heldout 0.2, mu 0.02": {"penalty": "excess", "violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.02},
    "excess, heldout 0.2, mu 0.05": {"penalty": "excess", "violations_on": "heldout", "heldout_fraction": 0.2, "mu": 0.05},
    "train, mu 0.005": {"violations_on": "train", "heldout_fraction": None, "mu": 0.005},
    "excess, train, mu 0.005": {"penalty": "excess", "violations_on": "train", "heldout_fraction": None, "mu": 0.005},
    "excess, train, mu 0.05": {"penalty": "excess", "violations_on": "train", "heldout_fraction": None, "mu": 0.05},
}


def _chosen(history: pd.DataFrame, best_epoch: int) -> pd.Series:
    return history.loc[history["epoch"] == best_epoch].iloc[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="digits")
    parser.add_argument("--method", default="snl")
    # As the cells name them: b250 (a ReLU count), p5 (a share), c1t (DeepReDuce's culled stages).
    parser.add_argument("--budgets", nargs="+", default=["b250", "b750"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument(
        "--test", action="store_true",
        help="also measure each chosen checkpoint on the TEST split: only once, for the final numbers of the chosen design",
    )  # fmt: skip
    parser.add_argument("--skip-plain", action="store_true", help="leave out plain finetuning (already in another --out table)")
    parser.add_argument("--out", type=Path, help="also write the per-model table here (CSV)")
    parser.add_argument("--summarize", nargs="+", type=Path, help="only summarise per-model tables written by --out")
    args = parser.parse_args()
    if args.summarize:
        summarize(pd.concat([pd.read_csv(path, dtype={"budget": str}) for path in args.summarize], ignore_index=True))
        return

    loader = ExperimentConfigLoader(conf_source="conf", base_env="base", default_run_env="local")
    config = loader.run_config().experiments[args.experiment]
    splits = dict(np.load(args.data / "05_model_input" / args.experiment / "splits.npz", allow_pickle=False))
    train, val, test = (split_tensors(splits, name) for name in ("train", "val", "test"))
    num_groups = int(max(splits["train_group"].max(), splits["val_group"].max())) + 1
    models = args.data / "06_models" / args.experiment
    rows = []
    for seed in args.seeds:
        base = load_artifact(models / f"base_s{seed}" / "base_model.pt")
        for budget in args.budgets:
            linearized = load_artifact(models / f"{args.method}_{budget}_s{seed}" / "linearized_model.pt")
            runs = {} if args.skip_plain else {"finetune": (finetune, config.finetune)}
            runs |= {name: (mitigate, config.mitigate.model_copy(update=DESIGNS[name])) for name in args.designs}
            for name, (run, settings) in runs.items():
                settings = type(settings).model_validate(settings.model_dump())
                result = run(linearized.build(), base.build(), train, val, settings, num_groups, seed)
                chosen = _chosen(result.history, result.best_epoch)
                rows.append({
                    "budget": budget, "seed": seed, "variant": name,
                    "val_worst_group_accuracy": chosen["val_worst_group_accuracy"],
                    "val_accuracy": chosen["val_accuracy"],
                    "max_lambda_at_end": float(np.nanmax([result.history[f"lambda_{g}"].iloc[-1] for g in range(num_groups)]))
                    if name != "finetune" else np.nan,
                })  # fmt: skip
                if args.test:
                    groups = group_accuracy_table(predict(result.model, *test, batch_size=512), range(num_groups))
                    rows[-1] |= {"test_worst_group_accuracy": worst_group_accuracy(groups), "test_accuracy": overall_accuracy(groups)}
                print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, index=False)
    if not args.skip_plain:
        summarize(table)


def summarize(table: pd.DataFrame) -> None:
    # Several --out tables each hold plain finetuning, which is the same run on the CPU.
    table = table.drop_duplicates(["budget", "seed", "variant"], ignore_index=True)
    plain = table[table["variant"] == "finetune"].set_index(["budget", "seed"])
    summary = []
    for (budget, variant), group in table[table["variant"] != "finetune"].groupby(["budget", "variant"], sort=False):
        paired = group.set_index(["budget", "seed"])
        worst = 100 * (paired["val_worst_group_accuracy"] - plain["val_worst_group_accuracy"]).dropna()
        overall = 100 * (paired["val_accuracy"] - plain["val_accuracy"]).dropna()
        test = {}
        if "test_accuracy" in table:
            test_worst = 100 * (paired["test_worst_group_accuracy"] - plain["test_worst_group_accuracy"]).dropna()
            test_overall = 100 * (paired["test_accuracy"] - plain["test_accuracy"]).dropna()
            test = {
                "TEST worst-group, mitigate - finetune (points)": round(test_worst.mean(), 2),
                "TEST seeds favouring": int((test_worst > 0).sum()),
                "TEST global, mitigate - finetune (points)": round(test_overall.mean(), 2),
            }
        summary.append({
            "budget": budget, "variant": variant, "seeds": len(worst),
            "val worst-group, mitigate - finetune (points)": round(worst.mean(), 2),
            "seeds favouring": int((worst > 0).sum()),
            "val global, mitigate - finetune (points)": round(overall.mean(), 2),
            "max lambda at end": round(group["max_lambda_at_end"].mean(), 3),
        } | test)  # fmt: skip
    print("\nPer model (validation split):")
    print(table.to_string(index=False))
    print("\nPaired mean difference over seeds (validation split):")
    print(pd.DataFrame(summary).to_string(index=False))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
