"""The Lagrange multipliers' trajectory: a long table from a run's history, and its figure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

MULTIPLIER_COLUMN = re.compile(r"lambda_(\d+)")
HISTORY_COLUMNS = ("epoch", "group", "lambda", "violation")


def multiplier_history(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (epoch, group): the multiplier after that epoch and the violation it measured."""
    groups = sorted(int(match[1]) for column in history.columns if (match := MULTIPLIER_COLUMN.fullmatch(column)))
    if not groups:
        raise ValueError("history has no lambda_<g> columns; pass the history of a mitigate() run")
    missing = [f"violation_{g}" for g in groups if f"violation_{g}" not in history.columns]
    if missing or "epoch" not in history.columns:
        raise ValueError(f"history lacks columns {missing or ['epoch']}; pass the history of a mitigate() run")
    tables = [
        pd.DataFrame({
            "epoch": history["epoch"].astype(int),
            "group": g,
            "lambda": history[f"lambda_{g}"].astype(float),
            "violation": history[f"violation_{g}"].astype(float),
        })
        for g in groups
    ]  # fmt: skip
    long = pd.concat(tables, ignore_index=True).sort_values(["epoch", "group"], ignore_index=True)
    return long[list(HISTORY_COLUMNS)]


def fig_multipliers(long_history: pd.DataFrame, group_names: Mapping[int, str] | Sequence[str]) -> Figure:
    """Left: each group's multiplier per epoch; right: the violation |L_g - L| that drove it."""
    missing = [column for column in HISTORY_COLUMNS if column not in long_history.columns]
    if missing:
        raise ValueError(f"long_history lacks columns {missing}; pass the output of multiplier_history()")
    if isinstance(group_names, str):
        raise ValueError(f"group_names={group_names!r} is a string; pass a list of names or a {{id: name}} mapping")
    names = dict(group_names) if isinstance(group_names, Mapping) else dict(enumerate(group_names))
    unnamed = sorted(set(long_history["group"]) - set(names))
    if unnamed:
        raise ValueError(f"group ids {unnamed} have no name; group_names names only {sorted(names)}")

    figure = Figure(figsize=(10.4, 3.8), layout="constrained")
    lambda_axes, violation_axes = figure.subplots(1, 2, sharex=True)
    for group_id, rows in long_history.groupby("group", sort=True):
        label = f"{group_id}: {names[group_id]}"
        lambda_axes.plot(rows["epoch"], rows["lambda"], marker=".", label=label)
        violation_axes.plot(rows["epoch"], rows["violation"], marker=".", label=label)
    lambda_axes.set(xlabel="epoch", ylabel="multiplier $\\lambda_g$ (after the epoch)", title="Lagrange multipliers")
    violation_axes.set(xlabel="epoch", ylabel="$|L_g - L|$", title="Constraint violation per group")
    violation_axes.legend(title="group", fontsize="small")
    return figure
