"""The cells of an experiment's sweep: one per (method, budget, seed), named for reading.

A cell is a Kedro namespace inside its experiment (e.g. `digits.snl_b2000_s1`) and the settings
its nodes run with: the pipeline registry binds each cell into its nodes when it builds them, so
a node reads its experiment's resolved config, its seed and its budget from the cell.
The cells are derived from the resolved config alone, so `kedro run`, `kedro viz` and the tests
see the same set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linearization_fairness.config import ExperimentConfig, RunConfig
from linearization_fairness.linearization import METHODS, LinearizationMethod, declared

BASE = "base"
CONTROL = "finetune_only"  # the all-ReLU model finetuned: separates the cost of finetuning from removing ReLUs


@dataclass(frozen=True, eq=False)
class Experiment:
    name: str
    config: ExperimentConfig
    run: RunConfig  # the settings experiments share (data and checkpoint folders, PI cost)


@dataclass(frozen=True, eq=False)
class Cell:
    experiment: Experiment
    method: str  # "base", "finetune_only" or a linearization method's name
    seed: int
    budget: Any = None  # linearization methods: the budget as declared

    @property
    def config(self) -> ExperimentConfig:
        return self.experiment.config

    @property
    def linearization(self) -> LinearizationMethod | None:
        return METHODS.get(self.method)

    @property
    def settings(self) -> Any:
        """The method's block under `linearize:`."""
        return getattr(self.config.linearize, self.method)

    @property
    def name(self) -> str:
        if self.linearization is None:
            return f"{self.method}_s{self.seed}"
        return f"{self.method}_{self.linearization.cell_label(self.budget)}_s{self.seed}"

    @property
    def budget_label(self) -> str:
        """The budget as the results tables key it: "250", "p5", "14t"; "all" for all-ReLU models."""
        return "all" if self.linearization is None else self.linearization.budget_label(self.budget)

    def checkpoint(self, node: str) -> Path:
        """Where an interrupted training of this cell's node `node` resumes from. Named after the
        node, so that the pipeline deletes it once that node's outputs are saved (see hooks.py)."""
        return Path(self.experiment.run.checkpoint_dir) / self.experiment.name / self.name / f"{node}.ckpt"


def cells_of(experiment: Experiment) -> list[Cell]:
    """Every cell the experiment declares: base models first, then seed by seed the finetune-only
    control and each method's budgets, in registry order."""
    seeds = experiment.config.seeds
    cells = [Cell(experiment, BASE, seed) for seed in seeds]
    for seed in seeds:
        cells.append(Cell(experiment, CONTROL, seed))
        for method, settings in declared(experiment.config.linearize):
            cells += [Cell(experiment, method.name, seed, budget) for budget in settings.budgets]
    return cells


def experiments_of(run: RunConfig) -> list[Experiment]:
    return [Experiment(name, config, run) for name, config in run.experiments.items()]
