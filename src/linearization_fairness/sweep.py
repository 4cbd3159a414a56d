"""The cells of an experiment's sweep: one per (method, budget, seed), named for reading.

A cell is a Kedro namespace inside its experiment (e.g. `digits.snl_b2000_s1`) and the settings
its nodes run with: the pipeline registry binds each cell into its nodes when it builds them, so
a node reads its experiment's resolved config, its seed and its budget from the cell.
A method that searches (SNL) runs one search per seed for all its budgets: a `Search`, a
namespace of its own (`digits.snl_s1`) whose node writes the linearized model of each of its cells.
The cells and searches are derived from the resolved config alone, so `kedro run`, `kedro viz`
and the tests see the same set.
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
        return _checkpoint(self.experiment, self.name, node)


@dataclass(frozen=True, eq=False)
class Search:
    """One search of a method for one seed that serves every budget of the method (its cells)."""

    experiment: Experiment
    method: str  # a linearization method with a `search`
    seed: int

    @property
    def linearization(self) -> LinearizationMethod:
        return METHODS[self.method]

    @property
    def settings(self) -> Any:
        return getattr(self.experiment.config.linearize, self.method)

    @property
    def cells(self) -> list[Cell]:
        return [Cell(self.experiment, self.method, self.seed, budget) for budget in self.settings.budgets]

    @property
    def name(self) -> str:
        return f"{self.method}_s{self.seed}"

    def checkpoint(self, node: str) -> Path:
        """Like Cell.checkpoint, in the search's own folder."""
        return _checkpoint(self.experiment, self.name, node)


def _checkpoint(experiment: Experiment, namespace: str, node: str) -> Path:
    return Path(experiment.run.checkpoint_dir) / experiment.name / namespace / f"{node}.ckpt"


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


def searches_of(experiment: Experiment) -> list[Search]:
    """The searches that serve several cells at once, seed by seed, in registry order."""
    methods = [method for method, _ in declared(experiment.config.linearize) if method.search is not None]
    return [Search(experiment, method.name, seed) for seed in experiment.config.seeds for method in methods]


def experiments_of(run: RunConfig) -> list[Experiment]:
    return [Experiment(name, config, run) for name, config in run.experiments.items()]
