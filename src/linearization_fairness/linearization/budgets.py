"""ReLU budgets as the sweep declares them: a count of ReLUs to keep, or a fraction of the model's.

A budget keeps three spellings apart: the value in conf (`250`, `0.05`), its label in tables
(`250`, `p5`) and in cell names (`b250`, `p5`, which must not contain a dot), and the ReLUs it
keeps on a given model (`resolve_budget`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field


def _checked(budget: Any) -> Any:
    # bool is an int to Python, and a YAML `true` here is a typo, not a budget of 1.
    is_count = isinstance(budget, int) and not isinstance(budget, bool) and budget >= 1
    is_fraction = isinstance(budget, float) and 0.0 < budget < 1.0
    if not (is_count or is_fraction):
        raise ValueError(f"{budget!r} is neither a ReLU count (an integer >= 1) nor a fraction in (0, 1); use e.g. 2000 or 0.05")
    return budget


def distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{values} lists a budget twice; keep each once")
    return values


Budget = Annotated[int | float, BeforeValidator(_checked)]
Budgets = Annotated[list[Budget], Field(min_length=1), AfterValidator(distinct)]


def resolve_budget(budget: int | float, total: int) -> int:
    """A budget as a ReLU count: fractions of `total` are rounded, and keep at least one ReLU."""
    if isinstance(budget, float):
        return max(1, round(_checked(budget) * total))
    if not 1 <= _checked(budget) <= total:
        raise ValueError(f"{budget} is above the model's {total} ReLUs; use a count in 1..{total} or a fraction in (0, 1)")
    return budget


def budget_label(budget: int | float) -> str:
    """`250` for a count, `p2_5` for 2.5% of the ReLUs (dots would split Kedro namespaces)."""
    if isinstance(budget, int):
        return str(budget)
    return "p" + f"{100 * float(budget):g}".replace(".", "_")


def count_cell_label(budget: int | float) -> str:
    """`b250` for a count, `p2_5` for a fraction: the budget part of a cell name."""
    label = budget_label(budget)
    return label if label.startswith("p") else f"b{label}"
