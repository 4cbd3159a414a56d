"""Plain-English findings read off the seed-aggregated table.

Each sentence states numbers from the table (means over seeds, with the 95% interval where there
are several seeds); a finding whose inputs are missing (no minority group, one budget, no
mitigated models, NaN metrics) is left out rather than guessed. Relative drops and accuracies are
stored as fractions and written as percentages; differences are in percentage points.
"""

from __future__ import annotations

import pandas as pd

from linearization_fairness.reporting.aggregate import (
    CONTROL_METHOD,
    MITIGATED_VARIANT,
    PLAIN_VARIANT,
    linearization_methods,
    lowest_budget_rows,
    variant_label,
)


MODEL_ACCURACIES = (("worst_group_accuracy", "worst-group accuracy"), ("overall_accuracy", "global accuracy"))


def findings(aggregated: pd.DataFrame, variant: str = PLAIN_VARIANT) -> list[str]:
    """Sentences on who loses most, how the minority gap moves with the budget, mitigation and the control.

    `variant` picks the linearized models the first two findings describe (plain KD finetuning by
    default). With several experiments in the table every sentence starts with "[experiment] ".
    """
    experiments = sorted(aggregated["experiment"].unique())
    sentences = []
    for experiment in experiments:
        rows = aggregated[aggregated["experiment"] == experiment]
        prefix = f"[{experiment}] " if len(experiments) > 1 else ""
        sentences += [prefix + sentence for sentence in _experiment_findings(rows, variant)]
    return sentences


def _experiment_findings(rows: pd.DataFrame, variant: str) -> list[str]:
    methods = linearization_methods(rows)
    candidates = [_largest_loss_at_lowest_budget(rows, method, variant) for method in methods]
    candidates += [_minority_gap_trend(rows, method, variant) for method in methods]
    candidates += [sentence for method in methods for sentence in _mitigation_effect(rows, method)]
    candidates.append(_finetune_only_cost(rows))
    return [sentence for sentence in candidates if sentence is not None]


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


def _points(difference: float) -> str:
    return f"{100 * difference:+.1f} points"


def _interval(row: pd.Series, metric: str) -> str:
    half_width = row[f"{metric}_ci95"]
    if pd.isna(half_width):
        return " (one seed)"
    return f" ± {100 * half_width:.1f} (95% CI over {int(row['n_seeds'])} seeds)"


def _group(row: pd.Series) -> str:
    kind = "minority" if pd.notna(row["is_minority"]) and row["is_minority"] else "majority"
    share = "" if pd.isna(row["train_share"]) else f", {row['train_share']:.0%} of the training data"
    return f"'{row['group_name']}' ({kind}{share})"


def _count(count: float) -> str:
    return f"{int(round(count)):,}"


def _largest_loss_at_lowest_budget(rows: pd.DataFrame, method: str, variant: str) -> str | None:
    lowest = lowest_budget_rows(rows, method, variant).dropna(subset=["relative_drop_mean"])
    if lowest.empty:
        return None
    most = lowest.loc[lowest["relative_drop_mean"].idxmax()]
    least = lowest.loc[lowest["relative_drop_mean"].idxmin()]
    budget = f"{_count(most['budget'])} ReLUs"
    if pd.notna(most["total_relus"]) and most["total_relus"] > 0:
        share = most["budget"] / most["total_relus"]
        budget = f"{_count(most['budget'])} of {_count(most['total_relus'])} ReLUs, {share:.1%}"
    sentence = (
        f"At its lowest budget ({budget}), {method} with {variant_label(variant)} hurts group {_group(most)} most: "
        f"relative accuracy drop {_percent(most['relative_drop_mean'])}{_interval(most, 'relative_drop')}"
    )
    if least["group_id"] != most["group_id"]:
        sentence += f", against {_percent(least['relative_drop_mean'])} for {_group(least)}, the least affected group"
    return sentence + "."


def _minority_gap_trend(rows: pd.DataFrame, method: str, variant: str) -> str | None:
    """Mean relative drop of minority groups minus that of majority groups, from the largest budget down."""
    drops = rows[(rows["method"] == method) & (rows["variant"] == variant)].dropna(subset=["relative_drop_mean"])
    minority = drops["is_minority"].eq(True)
    gap = (
        drops[minority].groupby("budget")["relative_drop_mean"].mean()
        - drops[~minority].groupby("budget")["relative_drop_mean"].mean()
    ).dropna()
    if len(gap) < 2:
        return None
    gap = gap.sort_index(ascending=False)
    largest, smallest = gap.iloc[0], gap.iloc[-1]
    if round(100 * smallest, 1) > round(100 * largest, 1):
        movement = "rises"
    elif round(100 * smallest, 1) < round(100 * largest, 1):
        movement = "falls"
    else:
        movement = "stays"
    sentence = (
        f"For {method} with {variant_label(variant)}, the minority groups' mean relative accuracy drop "
        f"minus the majority groups' "
        f"{movement} from {100 * largest:.1f} percentage points at {_count(gap.index[0])} ReLUs "
        f"to {100 * smallest:.1f} at {_count(gap.index[-1])} ReLUs"
    )
    if len(gap) > 2:
        steps = ", ".join(f"{_count(budget)}: {100 * value:.1f}" for budget, value in gap.items())
        sentence += f" (per budget, most ReLUs first: {steps})"
    return sentence + "."


def _mitigation_effect(rows: pd.DataFrame, method: str) -> list[str]:
    """Per budget with both variants: the plain-finetuning worst group, worst-group and global accuracy."""
    plain = rows[(rows["method"] == method) & (rows["variant"] == PLAIN_VARIANT)]
    mitigated = rows[(rows["method"] == method) & (rows["variant"] == MITIGATED_VARIANT)]
    sentences = []
    for budget in sorted(set(plain["budget"]) & set(mitigated["budget"])):
        plain_rows = plain[plain["budget"] == budget].dropna(subset=["accuracy_mean"])
        mitigated_rows = mitigated[mitigated["budget"] == budget].set_index("group_id")
        clauses = []
        if not plain_rows.empty:
            worst = plain_rows.loc[plain_rows["accuracy_mean"].idxmin()]
            after = mitigated_rows["accuracy_mean"].get(worst["group_id"], float("nan"))
            if pd.notna(after):
                clauses.append(
                    f"the worst group under plain finetuning, {_group(worst)}, goes from "
                    f"{_percent(worst['accuracy_mean'])} to {_percent(after)} "
                    f"({_points(after - worst['accuracy_mean'])})"
                )
        for metric, label in MODEL_ACCURACIES:
            before = plain[plain["budget"] == budget][f"{metric}_mean"].dropna()
            after = mitigated_rows[f"{metric}_mean"].dropna()
            if not before.empty and not after.empty:
                change = after.iloc[0] - before.iloc[0]
                clauses.append(
                    f"{label} from {_percent(before.iloc[0])} to {_percent(after.iloc[0])} ({_points(change)})"
                )
        if clauses:
            sentences.append(
                f"Fairness-aware instead of plain finetuning for {method} at {_count(budget)} ReLUs: "
                + "; ".join(clauses)
                + "."
            )
    return sentences


def _finetune_only_cost(rows: pd.DataFrame) -> str | None:
    control = rows[(rows["method"] == CONTROL_METHOD) & (rows["variant"] == PLAIN_VARIANT)]
    control = control.dropna(subset=["relative_drop_mean"]).drop_duplicates("group_id")
    if control.empty:
        return None
    control = control.sort_values(["train_share", "group_id"], ascending=[False, True], na_position="last")
    drops = ", ".join(f"{_percent(row['relative_drop_mean'])} for {_group(row)}" for _, row in control.iterrows())
    most = control.loc[control["relative_drop_mean"].idxmax()]
    sentence = f"Distillation finetuning alone (no ReLU removed) gives relative accuracy drops of {drops}"
    if len(control) > 1:
        sentence += f"; '{most['group_name']}' loses most"
    if (control["relative_drop_mean"] < 0).any():
        sentence += " (a negative drop is a gain)"
    return sentence + "."
