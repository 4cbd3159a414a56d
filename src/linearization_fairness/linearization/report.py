"""Where a linearized model keeps its ReLUs: a per-site table and a figure comparing methods.

SNL places ReLUs unevenly (it tends to keep later, smaller stages), DeepReDuce removes whole
stages or layers, and the random control spreads them evenly; this is the figure that shows it.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from torch import nn

from linearization_fairness.linearization.sites import site_stages
from linearization_fairness.models import kept_relus_by_site

KEPT_BY_LAYER_COLUMNS = ["site", "stage", "kept", "total", "kept_fraction"]


def kept_by_layer(model: nn.Module) -> pd.DataFrame:
    """One row per site in network order; `stage` is the ResNet stage, or the hidden layer of an MLP."""
    stages = site_stages(model)
    rows = [
        {"site": name, "stage": stages[name], "kept": kept, "total": total, "kept_fraction": kept / total}
        for name, (kept, total) in kept_relus_by_site(model).items()
    ]
    return pd.DataFrame(rows, columns=KEPT_BY_LAYER_COLUMNS)


def fig_kept_by_layer(tables: dict[str, pd.DataFrame]) -> Figure:
    """Kept fraction per site, one line per label (e.g. "snl 2000", "deepreduce 14t"), stages shaded."""
    if not tables:
        raise ValueError("fig_kept_by_layer needs at least one kept_by_layer table")
    reference_label, reference = next(iter(tables.items()))
    sites = reference["site"].tolist()
    for label, table in tables.items():
        if table["site"].tolist() != sites:
            raise ValueError(
                f"table {label!r} lists other sites than {reference_label!r}; compare models of one architecture"
            )

    figure = Figure(figsize=(max(5.2, 0.35 * len(sites) + 2.0), 3.8), layout="constrained")
    axes = figure.subplots()
    positions = range(len(sites))
    stages = reference["stage"].tolist()
    for index, stage in enumerate(stages):
        if stage % 2 == 0:
            axes.axvspan(index - 0.5, index + 0.5, color="0.93", linewidth=0)
    for label, table in tables.items():
        axes.plot(positions, table["kept_fraction"], marker="o", markersize=4, label=label)
    axes.set_xticks(list(positions), sites, rotation=90, fontsize=7)
    axes.set_xlim(-0.5, len(sites) - 0.5)
    axes.set_ylim(-0.03, 1.03)
    axes.set_ylabel("fraction of ReLUs kept")
    axes.set_title("ReLUs kept per site (shaded: even stages)")
    axes.legend(fontsize=8)
    return figure
