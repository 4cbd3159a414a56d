"""Plain-English findings read off the seed-aggregated tables of the models and their groups.

Each sentence states numbers from the tables (means over seeds, with the 95% interval where there
are several seeds); a finding whose inputs are missing (no minority group, one budget, no
mitigated models, NaN metrics) is left out rather than guessed. Relative drops and accuracies are
stored as fractions and written as percentages; differences are in percentage points. Budgets are
ordered by the ReLUs they keep and written as declared with that count ("250 ReLUs",
"14t (768 ReLUs)").
"""

from __future__ import annotations

import pandas as pd

from linearization_fairness.reporting.aggregate import (
    CONTROL_METHOD,
    MITIGATED_VARIANT,
    PLAIN_VARIANT,
    budget_text,
    linearization_methods,
    lowest_budget_rows,
    rows_of,
    variant_label,
)

MODEL_ACCURACIES = (("worst_group_accuracy", "worst-group accuracy"), ("overall_accuracy", "global accuracy"))
BUDGET = ["budget", "relus_kept"]  # together they name one budget of one method


def findings(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> list[str]:
    """Sentences on who loses most, how the minority gap moves with the budget, mitigation and the control.

    `groups` and `models` are the aggregated group and model tables; `variant` picks the linearized
    models the first two findings describe (plain KD finetuning by default). With several
    experiments in the tables every sentence starts with "[experiment] ".
    """
    experiments = sorted(set(groups["experiment"]) | set(models["experiment"]))
    sentences = []
    for experiment in experiments:
        prefix = f"[{experiment}] " if len(experiments) > 1 else ""
        experiment_groups = groups[groups["experiment"] == experiment]
        experiment_models = models[models["experiment"] == experiment]
        sentences += [
            prefix + sentence for sentence in _experiment_findings(experiment_groups, experiment_models, variant)
        ]
    return sentences


def headline(groups: pd.DataFrame, models: pd.DataFrame, variant: str = PLAIN_VARIANT) -> list[str]:
    """The report's opening sentences, for the first linearization method (SNL when the sweep has
    it): who loses most at its lowest budget, how the minority-majority gap moves with the budget,
    and what the fairness-aware finetune does at the lowest budget. Tables as for `findings`."""
    experiments = sorted(set(groups["experiment"]) | set(models["experiment"]))
    sentences = []
    for experiment in experiments:
        prefix = f"[{experiment}] " if len(experiments) > 1 else ""
        experiment_groups = groups[groups["experiment"] == experiment]
        experiment_models = models[models["experiment"] == experiment]
        methods = linearization_methods(experiment_groups)
        if not methods:
            continue
        method = methods[0]
        candidates = [
            _largest_loss_at_lowest_budget(experiment_groups, experiment_models, method, variant),
            _minority_gap_trend(experiment_groups, method, variant),
            *_mitigation_effect(experiment_groups, experiment_models, method)[:1],  # lowest budget first
        ]
        sentences += [prefix + sentence for sentence in candidates if sentence is not None]
    return sentences


def _experiment_findings(groups: pd.DataFrame, models: pd.DataFrame, variant: str) -> list[str]:
    methods = linearization_methods(groups)
    candidates = [_largest_loss_at_lowest_budget(groups, models, method, variant) for method in methods]
    candidates += [_minority_gap_trend(groups, method, variant) for method in methods]
    candidates += [sentence for method in methods for sentence in _mitigation_effect(groups, models, method)]
    candidates.append(_finetune_only_cost(groups))
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


def _at(table: pd.DataFrame, method: str, variant: str, budget: str, relus_kept: int) -> pd.DataFrame:
    """The rows of one model: method, variant and budget."""
    rows = rows_of(table, method, variant)
    return rows[(rows["budget"] == budget) & (rows["relus_kept"] == relus_kept)]


def _total_relus(models: pd.DataFrame, row: pd.Series) -> float | None:
    """The ReLUs of the all-ReLU architecture, read off the model row of a group row's model."""
    model = _at(models, row["method"], row["variant"], row["budget"], row["relus_kept"])
    return None if model.empty else model["total_relus"].iloc[0]


def _largest_loss_at_lowest_budget(groups: pd.DataFrame, models: pd.DataFrame, method: str, variant: str) -> str | None:
    lowest = lowest_budget_rows(groups, method, variant).dropna(subset=["relative_drop_mean"])
    if lowest.empty:
        return None
    most = lowest.loc[lowest["relative_drop_mean"].idxmax()]
    least = lowest.loc[lowest["relative_drop_mean"].idxmin()]
    budget = budget_text(most["budget"], most["relus_kept"], _total_relus(models, most))
    sentence = (
        f"At its lowest budget, {budget}, {method} with {variant_label(variant)} hurts group {_group(most)} most: "
        f"relative accuracy drop {_percent(most['relative_drop_mean'])}{_interval(most, 'relative_drop')}"
    )
    if least["group_id"] != most["group_id"]:
        sentence += f", against {_percent(least['relative_drop_mean'])} for {_group(least)}, the least affected group"
    return sentence + "."


def _minority_gap_trend(groups: pd.DataFrame, method: str, variant: str) -> str | None:
    """Mean relative drop of minority groups minus that of majority groups, from the most ReLUs kept down."""
    drops = rows_of(groups, method, variant).dropna(subset=["relative_drop_mean"])
    minority = drops["is_minority"].eq(True)
    gap = (
        drops[minority].groupby(BUDGET)["relative_drop_mean"].mean()
        - drops[~minority].groupby(BUDGET)["relative_drop_mean"].mean()
    ).dropna()
    if len(gap) < 2:
        return None
    gap = gap.sort_index(level="relus_kept", ascending=False)
    budgets = [budget_text(budget, relus_kept) for budget, relus_kept in gap.index]
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
        f"{movement} from {100 * largest:.1f} percentage points at {budgets[0]} "
        f"to {100 * smallest:.1f} at {budgets[-1]}"
    )
    if len(gap) > 2:
        steps = ", ".join(f"{budget}: {100 * value:.1f}" for budget, value in zip(budgets, gap))
        sentence += f" (per budget, most ReLUs first: {steps})"
    return sentence + "."


def _mitigation_effect(groups: pd.DataFrame, models: pd.DataFrame, method: str) -> list[str]:
    """Per budget with both variants: the plain-finetuning worst group, worst-group and global accuracy."""
    budgets = (
        rows_of(groups, method, PLAIN_VARIANT)[BUDGET]
        .merge(rows_of(groups, method, MITIGATED_VARIANT)[BUDGET])
        .drop_duplicates()
        .sort_values("relus_kept")
    )
    sentences = []
    for budget, relus_kept in budgets.itertuples(index=False):
        plain_groups = _at(groups, method, PLAIN_VARIANT, budget, relus_kept).dropna(subset=["accuracy_mean"])
        mitigated_groups = _at(groups, method, MITIGATED_VARIANT, budget, relus_kept).set_index("group_id")
        clauses = []
        if not plain_groups.empty:
            worst = plain_groups.loc[plain_groups["accuracy_mean"].idxmin()]
            after = mitigated_groups["accuracy_mean"].get(worst["group_id"], float("nan"))
            if pd.notna(after):
                clauses.append(
                    f"the worst group under plain finetuning, {_group(worst)}, goes from "
                    f"{_percent(worst['accuracy_mean'])} to {_percent(after)} "
                    f"({_points(after - worst['accuracy_mean'])})"
                )
        plain_model = _at(models, method, PLAIN_VARIANT, budget, relus_kept)
        mitigated_model = _at(models, method, MITIGATED_VARIANT, budget, relus_kept)
        for metric, label in MODEL_ACCURACIES:
            before = plain_model[f"{metric}_mean"].dropna()
            after = mitigated_model[f"{metric}_mean"].dropna()
            if not before.empty and not after.empty:
                change = after.iloc[0] - before.iloc[0]
                clauses.append(
                    f"{label} from {_percent(before.iloc[0])} to {_percent(after.iloc[0])} ({_points(change)})"
                )
        if clauses:
            sentences.append(
                f"Fairness-aware instead of plain finetuning for {method} at {budget_text(budget, relus_kept)}: "
                + "; ".join(clauses)
                + "."
            )
    return sentences


def _finetune_only_cost(groups: pd.DataFrame) -> str | None:
    control = rows_of(groups, CONTROL_METHOD, PLAIN_VARIANT)
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
