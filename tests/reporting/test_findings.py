import pandas as pd

from linearization_fairness.reporting.findings import findings, headline


def sentences_about(sentences: list[str], *words: str) -> list[str]:
    return [sentence for sentence in sentences if all(word in sentence for word in words)]


def test_the_planted_minority_is_named_with_its_numbers(aggregated) -> None:
    sentences = findings(*aggregated)

    (snl_loss,) = sentences_about(sentences, "lowest budget", "snl")
    assert "At its lowest budget, 1,000 of 10,000 ReLUs (10.0%), snl" in snl_loss
    assert "hurts group 'frog' (minority, 10% of the training data) most" in snl_loss
    assert "relative accuracy drop 40.0%" in snl_loss
    assert "2.0% for 'cat'" in snl_loss  # the least affected group


def test_declared_budgets_are_written_with_their_relu_counts(aggregated) -> None:
    sentences = findings(*aggregated)

    (deepreduce_loss,) = sentences_about(sentences, "lowest budget", "deepreduce")
    assert "At its lowest budget, 14t (768 of 10,000 ReLUs, 7.7%), deepreduce" in deepreduce_loss
    # "p5" keeps fewer ReLUs than "p40", although it sorts after it as text
    (random_loss,) = sentences_about(sentences, "lowest budget", "random")
    assert "p5 (500 of 10,000 ReLUs, 5.0%)" in random_loss
    assert sentences_about(sentences, "Fairness-aware", "random at p40 (4,000 ReLUs)")


def test_the_minority_gap_is_reported_rising_as_the_budget_shrinks(aggregated) -> None:
    (gap,) = sentences_about(findings(*aggregated), "snl", "minority groups' mean")
    # 4000: 10 - (1 + 2) / 2 = 8.5 points; 1000: 40 - (2 + 3) / 2 = 37.5 points
    assert "rises from 8.5 percentage points at 4,000 ReLUs to 37.5 at 1,000 ReLUs" in gap

    (gap,) = sentences_about(findings(*aggregated), "deepreduce", "minority groups' mean")
    assert "rises from 8.5 percentage points at 2t (3,072 ReLUs) to 37.5 at 14t (768 ReLUs)" in gap


def test_mitigation_and_control_sentences_state_the_changes(aggregated) -> None:
    sentences = findings(*aggregated)

    (mitigation,) = sentences_about(sentences, "Fairness-aware", "snl at 1,000 ReLUs")
    # frog: 0.805 * 0.6 = 48.3% -> 0.805 * 0.8 = 64.4% (mean over seeds 0 and 1)
    assert "'frog' (minority, 10% of the training data), goes from 48.3% to 64.4% (+16.1 points)" in mitigation
    # the model table's worst-group accuracy is frog's
    assert "worst-group accuracy from 48.3% to 64.4% (+16.1 points)" in mitigation
    assert "global accuracy from" in mitigation
    (control,) = sentences_about(sentences, "Distillation finetuning alone")
    assert "5.0% for 'frog'" in control and "'frog' loses most" in control


def test_missing_pieces_are_left_out_not_invented(make_aggregated, make_tables, aggregate) -> None:
    sentences = findings(*make_aggregated(levels=("low",), variants=("finetune",), with_references=False))

    assert len(sentences) == 3  # the lowest-budget loss of snl, deepreduce and random, nothing else
    assert all("(95% CI over 2 seeds)" in sentence for sentence in sentences)

    groups, models = make_tables(seeds=(0,))
    sentences = findings(*aggregate(groups.assign(relative_drop=float("nan")), models))
    assert not sentences_about(sentences, "lowest budget")
    assert not sentences_about(sentences, "minority groups' mean")
    assert sentences_about(sentences, "Fairness-aware")  # accuracies are still there


def test_several_experiments_are_prefixed(tables, aggregate) -> None:
    groups, models = tables
    sentences = findings(
        *aggregate(
            pd.concat([groups, groups.assign(experiment="other")]),
            pd.concat([models, models.assign(experiment="other")]),
        )
    )

    assert {sentence.split("]")[0] for sentence in sentences} == {"[other", "[toy"}


def test_the_headline_is_the_first_method_s_loss_gap_and_mitigation_at_its_lowest_budget(aggregated) -> None:
    loss, gap, mitigation = headline(*aggregated)
    assert loss.startswith("At its lowest budget, 1,000 of 10,000 ReLUs (10.0%), snl")
    assert "snl" in gap and "rises from 8.5 percentage points" in gap
    assert mitigation.startswith("Fairness-aware instead of plain finetuning for snl at 1,000 ReLUs")
    assert set(headline(*aggregated)) <= set(findings(*aggregated))


def test_without_linearized_models_there_is_no_headline(make_aggregated) -> None:
    groups, models = make_aggregated()
    references = ~groups["method"].isin(["snl", "deepreduce", "random"])
    assert headline(groups[references], models[~models["method"].isin(["snl", "deepreduce", "random"])]) == []
