"""A training run at a glance: loss and accuracy per epoch, train against validation."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def plot_history(history: pd.DataFrame, title: str | None = None, kept_epoch: int | None = None) -> Figure:
    """`kept_epoch`: the epoch whose weights the run kept (chosen on validation), marked on both panels."""
    # Built without pyplot, like the report's figures: no global figure list to leak into.
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    loss_axis, accuracy_axis = figure.subplots(1, 2)
    for split, style in (("train", "-"), ("val", "--")):
        loss_axis.plot(history["epoch"], history[f"{split}_loss"], style, label=split)
        accuracy_axis.plot(history["epoch"], history[f"{split}_accuracy"], style, label=split)
    loss_axis.set(xlabel="epoch", ylabel="loss (train: objective; val: cross-entropy)", yscale="log")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    if kept_epoch is not None:
        for axis in (loss_axis, accuracy_axis):
            axis.axvline(kept_epoch, color="0.4", linestyle=":", linewidth=1.2, label=f"kept: epoch {kept_epoch}")
    accuracy_axis.legend()
    if title is not None:
        figure.suptitle(title, fontsize=10)
    return figure
