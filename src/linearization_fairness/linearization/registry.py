"""The linearization methods the sweep knows, by name; adding one is a module plus an entry here.

`linearize.<name>` in conf is validated by the entry's config class, every budget in it becomes
one cell per seed, and the cell's linearize node calls the entry's `linearize`; for a method with
a `search`, one node per seed calls it for all the method's cells.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, create_model
from torch import nn

from linearization_fairness.linearization import deepreduce, random_control, snl
from linearization_fairness.linearization.budgets import resolve_budget
from linearization_fairness.linearization.method import LinearizationMethod
from linearization_fairness.models import total_relu_sites


def _count(budget: int | float, model: nn.Module) -> int:
    return resolve_budget(budget, total_relu_sites(model))


METHODS: dict[str, LinearizationMethod] = {
    method.name: method
    for method in (
        LinearizationMethod("snl", snl.SNLConfig, snl.linearize, _count, search=snl.search),
        LinearizationMethod(
            "deepreduce", deepreduce.DeepReDuceConfig, deepreduce.linearize, deepreduce.relus_kept,
            budget_label=str, cell_label=lambda budget: f"c{budget}",
        ),
        LinearizationMethod("random", random_control.RandomConfig, random_control.linearize, _count),
    )
}  # fmt: skip


class _Sections(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# One optional block per method; a method left out is not run.
LinearizeConfig = create_model(
    "LinearizeConfig",
    __base__=_Sections,
    __doc__="Which methods to sweep, each with its budgets and settings.",
    **{name: (method.config | None, None) for name, method in METHODS.items()},
)


def declared(config: BaseModel) -> list[tuple[LinearizationMethod, BaseModel]]:
    """The methods a LinearizeConfig runs, in registry order, with their settings."""
    return [(method, getattr(config, name)) for name, method in METHODS.items() if getattr(config, name) is not None]


def check_against_model(config: BaseModel, model: nn.Module) -> None:
    """A ValueError for the first budget this model cannot take (names and shapes only)."""
    for method, settings in declared(config):
        kept: dict[int, object] = {}
        for index, budget in enumerate(settings.budgets):
            try:
                count = method.relus_kept(budget, model)
            except ValueError as error:
                raise ValueError(f"linearize.{method.name}.budgets.{index}={budget!r}: {error}") from None
            # Two spellings of one count would be the same cell twice; cullings differ by where, not how many.
            if count in kept and not isinstance(budget, str):
                raise ValueError(
                    f"linearize.{method.name}.budgets: {kept[count]!r} and {budget!r} both keep {count} of the "
                    f"model's {total_relu_sites(model)} ReLUs; keep one"
                )
            kept[count] = budget
