"""Plain-English findings read off the seed-aggregated tables of the models and their groups.

Each sentence states numbers from the tables: accuracies as means over seeds, and every
difference between models (a drop, a gap, the mitigation's effect) as the seed mean of its
paired per-seed differences with two 95% intervals, over seeds (Student-t) and over test samples
(bootstrap), flagged "(CI includes 0 over ...)" where one of them includes 0 (see
reporting/statistics.py). A finding whose inputs are missing (no minority group, one budget, no
mitigated models, NaN metrics) is left out rather than guessed. Relative drops and accuracies are
stored as fractions and written as percentages; differences are in percentage points. Budgets are
ordered by the ReLUs they keep and written as declared with that count ("250 ReLUs",
"14t (768 ReLUs)").
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from linearization_fairness.reporting.aggregate import (
    BASE_VARIANT,
    CONTROL_METHOD,
    MITIGATED_VARIANT,
    PLAIN_VARIANT,
    budget_text,
    linearization_methods,
    lowest_budget_rows,
    rows_of,
    variant_label,
)
from linearization_fairness.reporting.statistics import claim, zero_inside

MODEL_ACCURACIES = (("worst_group_accuracy", "worst-group accuracy"), ("overall_accuracy", "global accuracy"))
# The paired per-seed difference of each model accuracy (see reporting/statistics.py).
PAIRED = {"worst_group_accuracy": "worst_group_difference", "overall_accuracy": "overall_difference"}


def findings(
    groups: pd.DataFrame,
    models: pd.DataFrame,
    group_differences: pd.DataFrame,
    model_differences: pd.DataFrame,
    variant: str = PLAIN_VARIANT,
) -> list[str]:
    """Sentences on who loses most, the excess drop and flips, how the minority gap moves with the
    budget, mitigation and the control.

    `groups` and `models` are the aggregated group and model tables, `group_differences` and
    `model_differences` the aggregated comparison tables; `variant` picks the linearized models the
    first three findings describe (plain KD finetuning by default). With several experiments in the
    tables every sentence starts with "[experiment] ".
    """
    return _per_experiment(_experiment_findings, (groups, models, group_differences, model_differences), variant)


def _per_experiment(sentences_of: Callable[..., list[str]], tables: tuple[pd.DataFrame, ...], variant: str) -> list[str]:
    """`sentences_of(*tables, variant)` for each experiment's rows, prefixed "[experiment] " when
    the tables hold several."""
    experiments = sorted(set().union(*(table["experiment"] for table in tables)))
    sentences = []
    for experiment in experiments:
        prefix = f"[{experiment}] " if len(experiments) > 1 else ""
        own = [table[table["experiment"] == experiment] for table in tables]
        sentences += [prefix + sentence for sentence in sentences_of(*own, variant)]
    return sentences


def headline(
    groups: pd.DataFrame,
    models: pd.DataFrame,
    group_differences: pd.DataFrame,
    model_differences: pd.DataFrame,
    variant: str = PLAIN_VARIANT,
) -> list[str]:
    """The report's opening sentences, for the first linearization method (SNL when the sweep has
    it): who loses most at its lowest budget, how the minority-majority gap moves with the budget,
    and what the fairness-aware finetune does at the lowest budget. Tables as for `findings`."""
    return _per_experiment(_experiment_headline, (groups, models, group_differences, model_differences), variant)


def _experiment_headline(
    groups: pd.DataFrame, models: pd.DataFrame, group_differences: pd.DataFrame, model_differences: pd.DataFrame, variant: str
) -> list[str]:
    methods = linearization_methods(group_differences)
    if not methods:
        return []
    method = methods[0]
    candidates = [
        _largest_loss_at_lowest_budget(_against(group_differences, BASE_VARIANT), models, method, variant),
        _minority_gap_trend(_against(model_differences, BASE_VARIANT), method, variant),
        *_mitigation_effect(  # lowest budget first
            groups, models, _against(group_differences, PLAIN_VARIANT), _against(model_differences, PLAIN_VARIANT), method,
        )[:1],
    ]  # fmt: skip
    return [sentence for sentence in candidates if sentence is not None]


def _experiment_findings(
    groups: pd.DataFrame, models: pd.DataFrame, group_differences: pd.DataFrame, model_differences: pd.DataFrame, variant: str
) -> list[str]:
    against_base_groups = _against(group_differences, BASE_VARIANT)
    against_base_models = _against(model_differences, BASE_VARIANT)
    methods = linearization_methods(group_differences)
    candidates = [_largest_loss_at_lowest_budget(against_base_groups, models, method, variant) for method in methods]
    candidates += [_excess_drop_at_lowest_budget(against_base_groups, against_base_models, method, variant) for method in methods]
    candidates += [_minority_gap_trend(against_base_models, method, variant) for method in methods]
    candidates += [
        sentence
        for method in methods
        for sentence in _mitigation_effect(groups, models, _against(group_differences, PLAIN_VARIANT), _against(model_differences, PLAIN_VARIANT), method)
    ]
    candidates.append(_finetune_only_cost(against_base_groups, against_base_models))
    return [sentence for sentence in candidates if sentence is not None]


def _against(differences: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The comparison rows against the `reference` variant."""
    return differences[differences["reference"] == reference]


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


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


def _largest_loss_at_lowest_budget(differences: pd.DataFrame, models: pd.DataFrame, method: str, variant: str) -> str | None:
    lowest = lowest_budget_rows(differences, method, variant).dropna(subset=["relative_drop_mean"])
    if lowest.empty:
        return None
    most = lowest.loc[lowest["relative_drop_mean"].idxmax()]
    least = lowest.loc[lowest["relative_drop_mean"].idxmin()]
    budget = budget_text(most["budget"], most["relus_kept"], _total_relus(models, most))
    sentence = (
        f"At its lowest budget, {budget}, {method} with {variant_label(variant)} hurts group {_group(most)} most: "
        f"relative accuracy drop {claim(most, 'relative_drop', unit='%')}"
    )
    if least["group_id"] != most["group_id"]:
        sentence += f", against {_percent(least['relative_drop_mean'])} for {_group(least)}, the least affected group"
    return sentence + "."


def _excess_drop_at_lowest_budget(
    group_differences: pd.DataFrame, model_differences: pd.DataFrame, method: str, variant: str
) -> str | None:
    """The largest excess drop psi_g over groups, the group with the largest mean psi_g and its flip rate."""
    model = lowest_budget_rows(model_differences, method, variant).dropna(subset=["max_excess_drop_mean"])
    if model.empty:
        return None
    model = model.iloc[0]
    groups = _at(group_differences, method, variant, model["budget"], model["relus_kept"]).dropna(subset=["excess_drop_mean"])
    sentence = (
        f"At that budget the largest excess accuracy drop of {method} with {variant_label(variant)}, "
        "max over groups of psi_g = (acc_base,g - acc_lin,g) - (acc_base - acc_lin), "
        f"is {claim(model, 'max_excess_drop')}, an upper bound by construction (the psi_g average to 0 over the "
        "test samples, so their maximum is never below 0: a group's own psi_g is the test)"
    )
    if not groups.empty:
        worst = groups.loc[groups["excess_drop_mean"].idxmax()]
        sentence += (
            f"; the largest mean psi_g is that of {_group(worst)}, {claim(worst, 'excess_drop')}, "
            f"and {claim(worst, 'flip_rate', unit='%', signed=False)} of its test predictions change class "
            f"against the all-ReLU model, {_percent(model['flip_rate_mean'])} of all"
        )
    return sentence + "."


def _minority_gap_trend(differences: pd.DataFrame, method: str, variant: str) -> str | None:
    """Mean relative drop of minority groups minus that of majority groups, from the most ReLUs kept down."""
    gap = rows_of(differences, method, variant).dropna(subset=["minority_gap_mean"])
    if len(gap) < 2:
        return None
    gap = gap.sort_values("relus_kept", ascending=False, kind="stable")
    budgets = [budget_text(budget, relus_kept) for budget, relus_kept in zip(gap["budget"], gap["relus_kept"])]
    largest, smallest = gap.iloc[0], gap.iloc[-1]
    first, last = round(100 * largest["minority_gap_mean"], 1), round(100 * smallest["minority_gap_mean"], 1)
    movement = "rises" if last > first else "falls" if last < first else "stays"
    sentence = (
        f"For {method} with {variant_label(variant)}, the minority groups' mean relative accuracy drop "
        f"minus the majority groups' "
        f"{movement} from {claim(largest, 'minority_gap')} at {budgets[0]} "
        f"to {claim(smallest, 'minority_gap')} at {budgets[-1]}"
    )
    if len(gap) > 2:
        steps = ", ".join(f"{budget}: {100 * value:.1f}" for budget, value in zip(budgets, gap["minority_gap_mean"]))
        sentence += f" (per budget, most ReLUs first: {steps})"
    return sentence + "."


def _mitigation_effect(
    groups: pd.DataFrame, models: pd.DataFrame, group_differences: pd.DataFrame, model_differences: pd.DataFrame, method: str
) -> list[str]:
    """Per budget with both variants: the plain-finetuning worst group, worst-group and global
    accuracy, each change paired per seed (fairness-aware minus plain). When that group is the
    worst under both, the worst-group accuracy names it instead of a clause of its own."""
    paired = rows_of(model_differences, method, MITIGATED_VARIANT).sort_values("relus_kept", kind="stable")
    sentences = []
    for _, pair in paired.iterrows():
        budget, relus_kept = pair["budget"], pair["relus_kept"]
        plain_groups = _at(groups, method, PLAIN_VARIANT, budget, relus_kept).dropna(subset=["accuracy_mean"])
        mitigated = _at(groups, method, MITIGATED_VARIANT, budget, relus_kept).set_index("group_id")["accuracy_mean"].dropna()
        changes = _at(group_differences, method, MITIGATED_VARIANT, budget, relus_kept).set_index("group_id")
        worst = None if plain_groups.empty else plain_groups.loc[plain_groups["accuracy_mean"].idxmin()]
        still_worst = worst is not None and not mitigated.empty and mitigated.idxmin() == worst["group_id"]
        plain_model = _at(models, method, PLAIN_VARIANT, budget, relus_kept)
        mitigated_model = _at(models, method, MITIGATED_VARIANT, budget, relus_kept)
        model_clauses = {}
        for metric, label in MODEL_ACCURACIES:
            before = plain_model[f"{metric}_mean"].dropna()
            after = mitigated_model[f"{metric}_mean"].dropna()
            change = PAIRED[metric]
            if not before.empty and not after.empty and pd.notna(pair[f"{change}_mean"]):
                if metric == "worst_group_accuracy" and still_worst:
                    label += f", that of {_group(worst)} under both,"
                model_clauses[metric] = f"{label} from {_percent(before.iloc[0])} to {_percent(after.iloc[0])}, {claim(pair, change)}"
        clauses = []
        named = still_worst and "worst_group_accuracy" in model_clauses
        if worst is not None and not named and worst["group_id"] in mitigated.index and worst["group_id"] in changes.index:
            clauses.append(
                f"the worst group under plain finetuning, {_group(worst)}, goes from "
                f"{_percent(worst['accuracy_mean'])} to {_percent(mitigated[worst['group_id']])}, "
                f"{claim(changes.loc[worst['group_id']], 'difference')}"
            )
        clauses += model_clauses.values()
        if clauses:
            sentences.append(
                f"Fairness-aware instead of plain finetuning for {method} at {budget_text(budget, relus_kept)}: "
                + "; ".join(clauses)
                + "."
            )
    return sentences


def _finetune_only_cost(group_differences: pd.DataFrame, model_differences: pd.DataFrame) -> str | None:
    control = rows_of(group_differences, CONTROL_METHOD, PLAIN_VARIANT).dropna(subset=["relative_drop_mean"])
    if control.empty:
        return None
    control = control.sort_values(["train_share", "group_id"], ascending=[False, True], na_position="last")
    drops = ", ".join(f"{_percent(row['relative_drop_mean'])} for {_group(row)}" for _, row in control.iterrows())
    most = control.loc[control["relative_drop_mean"].idxmax()]
    sentence = f"Distillation finetuning alone (no ReLU removed) gives relative accuracy drops of {drops}"
    if len(control) > 1:
        sentence += f"; '{most['group_name']}' loses most, {claim(most, 'relative_drop', unit='%')}"
    if (control["relative_drop_mean"] < 0).any():
        sentence += " (a negative drop is a gain)"
    unsure = [row["group_name"] for _, row in control.iterrows() if zero_inside(row, "relative_drop")]
    if unsure:
        sentence += f"; the CIs of {len(unsure)} of {len(control)} groups' drops include 0 ({', '.join(map(repr, unsure))})"
    model = rows_of(model_differences, CONTROL_METHOD, PLAIN_VARIANT).dropna(subset=["overall_difference_mean"])
    if not model.empty:
        sentence += f"; global accuracy changes by {claim(model.iloc[0], 'overall_difference')}"
    return sentence + "."
