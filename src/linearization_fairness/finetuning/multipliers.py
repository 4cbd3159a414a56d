"""The Lagrange multipliers' trajectory: a long table from a run's history, and its figure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

MULTIPLIER_COLUMN = re.compile(r"lambda_(\d+)")
HISTORY_COLUMNS = ("epoch", "group", "lambda", "violation")
SUMMARY_COLUMNS = ("group_id", "final_lambda", "mean_violation", "final_violation")


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


def multiplier_summary(history: pd.DataFrame) -> pd.DataFrame:
    """One row per group: its multiplier after the last epoch, and the violation |L_g - L| that
    drove it, averaged over the epochs that measured it and at the last epoch (NaN if never
    measured). Why a mitigation moved a model or did not: small violations keep multipliers small."""
    long = multiplier_history(history)
    last = long[long["epoch"] == long["epoch"].max()].set_index("group")
    return pd.DataFrame({
        "group_id": last.index.astype(int),
        "final_lambda": last["lambda"].to_numpy(),
        "mean_violation": long.groupby("group")["violation"].mean().reindex(last.index).to_numpy(),
        "final_violation": last["violation"].to_numpy(),
    })  # fmt: skip


def fig_multipliers(histories: Mapping[str, pd.DataFrame], group_names: Mapping[int, str] | Sequence[str]) -> Figure:
    """One row per run (label -> the output of `multiplier_history`): left, each group's multiplier
    per epoch; right, the violation |L_g - L| that drove it."""
    if isinstance(group_names, str):
        raise ValueError(f"group_names={group_names!r} is a string; pass a list of names or a {{id: name}} mapping")
    names = dict(group_names) if isinstance(group_names, Mapping) else dict(enumerate(group_names))
    for long_history in histories.values():
        missing = [column for column in HISTORY_COLUMNS if column not in long_history.columns]
        if missing:
            raise ValueError(f"a history lacks columns {missing}; pass the output of multiplier_history()")
        unnamed = sorted(set(long_history["group"]) - set(names))
        if unnamed:
            raise ValueError(f"group ids {unnamed} have no name; group_names names only {sorted(names)}")

    figure = Figure(figsize=(10.4, 3.2 * len(histories) + 0.6), layout="constrained")
    rows = figure.subplots(len(histories), 2, sharex=True, squeeze=False)
    for (lambda_axes, violation_axes), (label, long_history) in zip(rows, histories.items()):
        for group_id, group_rows in long_history.groupby("group", sort=True):
            group_label = f"{group_id}: {names[group_id]}"
            lambda_axes.plot(group_rows["epoch"], group_rows["lambda"], marker=".", label=group_label)
            violation_axes.plot(group_rows["epoch"], group_rows["violation"], marker=".", label=group_label)
        lambda_axes.set(ylabel="multiplier $\\lambda_g$\n(after the epoch)", title=f"{label}: Lagrange multipliers")
        violation_axes.set(ylabel="$|L_g - L|$", title=f"{label}: constraint violation per group")
    rows[-1][0].set_xlabel("epoch")
    rows[-1][1].set_xlabel("epoch")
    rows[0][1].legend(title="group", fontsize="small")
    return figure
