"""A training run at a glance: loss and accuracy per epoch, train against validation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def plot_history(history: pd.DataFrame) -> Figure:
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    for split, style in (("train", "-"), ("val", "--")):
        loss_axis.plot(history["epoch"], history[f"{split}_loss"], style, label=split)
        accuracy_axis.plot(history["epoch"], history[f"{split}_accuracy"], style, label=split)
    loss_axis.set(xlabel="epoch", ylabel="loss (train: objective; val: cross-entropy)", yscale="log")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    accuracy_axis.legend()
    return figure
