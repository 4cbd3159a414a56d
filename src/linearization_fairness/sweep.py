"""The cells of an experiment's sweep: one per (method, budget or variant, seed), named for reading.

A cell is a Kedro namespace inside its experiment (e.g. `digits.snl_b2000_s1`). The cells are
derived from the experiment's parameters alone, so `kedro run`, `kedro viz` and the tests see
the same set; the config loader also publishes each cell's description as the parameter
`experiments.<experiment>.cells.<cell>`, which is what the cell's nodes read.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from linearization_fairness.config import ExperimentConfig

METHODS = ("base", "finetune_only", "snl", "deepreduce", "random")


class Cell(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment: str
    method: Literal["base", "finetune_only", "snl", "deepreduce", "random"]
    seed: int
    budget: int | float | None = None  # snl, random: a ReLU count, or a fraction of the model's ReLUs
    variant: str | None = None  # deepreduce: culled stages, "t" when thinned (e.g. "14t")

    @property
    def name(self) -> str:
        if self.method in ("base", "finetune_only"):
            return f"{self.method}_s{self.seed}"
        if self.method == "deepreduce":
            return f"deepreduce_c{self.variant}_s{self.seed}"
        return f"{self.method}_{budget_label(self.budget)}_s{self.seed}"


def budget_label(budget: int | float | None) -> str:
    """`b2000` for a count of 2000 ReLUs, `p2_5` for 2.5% of them (dots would split namespaces)."""
    if isinstance(budget, int):
        return f"b{budget}"
    percent = f"{100 * float(budget):g}"
    return "p" + percent.replace(".", "_")


def cells_of(experiment: str, config: ExperimentConfig) -> list[Cell]:
    """Every cell the experiment's parameters declare: base models first, then seed by seed the
    finetune-only control and each method's budgets (or DeepReDuce variants)."""
    cells = [Cell(experiment=experiment, method="base", seed=seed) for seed in config.seeds]
    linearize = config.linearize
    for seed in config.seeds:
        # Finetuning alone moves group accuracies too: this control separates its cost from
        # the cost of removing ReLUs.
        cells.append(Cell(experiment=experiment, method="finetune_only", seed=seed))
        for method in ("snl", "random"):
            for budget in getattr(linearize, method).budgets if getattr(linearize, method) else []:
                cells.append(Cell(experiment=experiment, method=method, seed=seed, budget=budget))
        for variant in linearize.deepreduce.variants if linearize.deepreduce else []:
            cells.append(Cell(experiment=experiment, method="deepreduce", seed=seed, variant=variant))
    return cells
