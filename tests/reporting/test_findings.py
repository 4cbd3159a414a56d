import pandas as pd

from linearization_fairness.reporting.findings import findings, headline


def sentences_about(sentences: list[str], *words: str) -> list[str]:
    return [sentence for sentence in sentences if all(word in sentence for word in words)]


def test_the_planted_minority_is_named_with_its_numbers(aggregated, differences) -> None:
    sentences = findings(*aggregated, *differences)

    (snl_loss,) = sentences_about(sentences, "lowest budget", "snl")
    assert "At its lowest budget, 1,000 of 10,000 ReLUs (10.0%), snl" in snl_loss
    assert "hurts group 'frog' (minority, 10% of the training data) most" in snl_loss
    assert "relative accuracy drop +40.0% (95% CI over 2 seeds [+40.0, +40.0], over test samples [+38.0, +42.0])" in snl_loss
    assert "2.0% for 'cat'" in snl_loss  # the least affected group


def test_declared_budgets_are_written_with_their_relu_counts(aggregated, differences) -> None:
    sentences = findings(*aggregated, *differences)

    (deepreduce_loss,) = sentences_about(sentences, "lowest budget", "deepreduce")
    assert "At its lowest budget, 14t (768 of 10,000 ReLUs, 7.7%), deepreduce" in deepreduce_loss
    # "p5" keeps fewer ReLUs than "p40", although it sorts after it as text
    (random_loss,) = sentences_about(sentences, "lowest budget", "random")
    assert "p5 (500 of 10,000 ReLUs, 5.0%)" in random_loss
    assert sentences_about(sentences, "Fairness-aware", "random at p40 (4,000 ReLUs)")


def test_the_minority_gap_is_reported_rising_as_the_budget_shrinks(aggregated, differences) -> None:
    (gap,) = sentences_about(findings(*aggregated, *differences), "snl", "minority groups' mean")
    # 4000: 10 - (1 + 2) / 2 = 8.5 points; 1000: 40 - (2 + 3) / 2 = 37.5 points
    assert "rises from +8.5 points (95% CI over 2 seeds [+8.5, +8.5]" in gap
    assert "at 4,000 ReLUs to +37.5 points (95% CI over 2 seeds [+37.5, +37.5]" in gap and gap.endswith("at 1,000 ReLUs.")

    (gap,) = sentences_about(findings(*aggregated, *differences), "deepreduce", "minority groups' mean")
    assert "at 2t (3,072 ReLUs) to +37.5 points" in gap and gap.endswith("at 14t (768 ReLUs).")


def test_mitigation_and_control_sentences_state_the_changes(aggregated, differences) -> None:
    sentences = findings(*aggregated, *differences)

    (mitigation,) = sentences_about(sentences, "Fairness-aware", "snl at 1,000 ReLUs")
    # frog, the worst group under both: 0.805 * 0.6 = 48.3% -> 0.805 * 0.8 = 64.4% (mean over seeds
    # 0 and 1); per seed +16.0 and +16.2 points: t(0.975, 1) * 0.14 / sqrt(2) = 1.3 points either
    # side; both seeds favour the mitigation. Said once, as the worst-group accuracy.
    assert (
        "worst-group accuracy, that of 'frog' (minority, 10% of the training data) under both, from 48.3% to 64.4%, "
        "+16.1 points (95% CI over 2 seeds [+14.8, +17.4], over test samples [+14.1, +18.1]; 2 of 2 seeds above 0)"
    ) in mitigation
    assert mitigation.count("48.3%") == 1 and "the worst group under plain finetuning" not in mitigation
    assert "global accuracy from" in mitigation and "CI includes 0" not in mitigation
    (control,) = sentences_about(sentences, "Distillation finetuning alone")
    assert "5.0% for 'frog'" in control and "'frog' loses most, +5.0%" in control
    assert "the CIs of 2 of 3 groups' drops include 0 ('cat', 'dog')" in control


def test_a_worst_group_that_the_mitigation_lifts_past_another_is_named_apart(make_tables, aggregate, make_differences) -> None:
    groups, models = make_tables()
    lifted = (groups["variant"] == "mitigate") & (groups["relus_kept"] == 1000) & (groups["group_name"] == "frog")
    groups.loc[lifted, "accuracy"] = 0.99
    worst = groups.groupby(["cell", "variant"])["accuracy"].min()
    models["worst_group_accuracy"] = worst.reindex(pd.MultiIndex.from_frame(models[["cell", "variant"]])).to_numpy()
    (mitigation,) = sentences_about(findings(*aggregate(groups, models), *make_differences(groups, models)), "Fairness-aware", "snl at 1,000 ReLUs")

    # dog (0.9 * 0.97 = 87.3% and 88.3% on the two seeds) is the worst group after
    assert "the worst group under plain finetuning, 'frog' (minority, 10% of the training data), goes from 48.3% to 99.0%" in mitigation
    assert "; worst-group accuracy from 48.3% to 87.8%" in mitigation


def test_a_claim_whose_interval_includes_zero_is_flagged(aggregated, differences, make_tables, make_differences) -> None:
    sentences = findings(*aggregated, *differences)
    # +0.8 points of global accuracy at 4,000 ReLUs, the planted test-sample interval ± 2 points
    (mitigation,) = sentences_about(sentences, "Fairness-aware", "snl at 4,000 ReLUs")
    assert "global accuracy from 87.8% to 88.6%, +0.8 points (95% CI over 2 seeds [+0.7, +0.9], over test samples [-1.2, +2.8]; 2 of 2 seeds above 0) (CI includes 0 over test samples)" in mitigation
    (control,) = sentences_about(sentences, "Distillation finetuning alone")
    assert control.endswith("(CI includes 0 over test samples).")

    # seeds that disagree: the mitigation helps frog on seed 0 and hurts it on seed 1
    groups, models = make_tables()
    hurt = (groups["variant"] == "mitigate") & (groups["seed"] == 1) & (groups["group_name"] == "frog")
    groups.loc[hurt, "accuracy"] -= 0.3
    (mitigation,) = sentences_about(findings(*aggregated, *make_differences(groups, models)), "Fairness-aware", "snl at 1,000 ReLUs")
    assert "that of 'frog' (minority, 10% of the training data) under both, from 48.3% to 64.4%, +1.1 points" in mitigation
    assert "(CI includes 0 over seeds and test samples)" in mitigation


def test_missing_pieces_are_left_out_not_invented(make_tables, aggregate, make_differences) -> None:
    tables = make_tables(levels=("low",), variants=("finetune",))
    sentences = findings(*aggregate(*tables), *make_differences(*tables))

    # per method the lowest-budget loss and the excess drop, then the control; no trend, no mitigation
    assert len(sentences) == 7 and len(sentences_about(sentences, "lowest budget")) == 3
    assert all("95% CI over 2 seeds" in sentence for sentence in sentences)

    groups, models = make_tables(seeds=(0,))
    group_differences, model_differences = make_differences(groups, models)
    sentences = findings(*aggregate(groups, models), group_differences.assign(relative_drop_mean=float("nan")), model_differences)
    assert not sentences_about(sentences, "lowest budget")
    assert sentences_about(sentences, "Fairness-aware", "one seed, over test samples")  # accuracies are still there


def test_several_experiments_are_prefixed(tables, aggregate, make_differences) -> None:
    groups, models = tables
    both = (pd.concat([groups, groups.assign(experiment="other")]), pd.concat([models, models.assign(experiment="other")]))
    sentences = findings(*aggregate(*both), *make_differences(*both))

    assert {sentence.split("]")[0] for sentence in sentences} == {"[other", "[toy"}


def test_the_headline_is_the_first_method_s_loss_gap_and_mitigation_at_its_lowest_budget(aggregated, differences) -> None:
    loss, gap, mitigation = headline(*aggregated, *differences)
    assert loss.startswith("At its lowest budget, 1,000 of 10,000 ReLUs (10.0%), snl")
    assert "snl" in gap and "minority groups' mean" in gap
    assert mitigation.startswith("Fairness-aware instead of plain finetuning for snl at 1,000 ReLUs")
    assert set(headline(*aggregated, *differences)) <= set(findings(*aggregated, *differences))


def test_without_linearized_models_there_is_no_headline(tables, aggregate, make_differences) -> None:
    groups, models = tables
    linearized = ["snl", "deepreduce", "random"]
    references = (groups[~groups["method"].isin(linearized)], models[~models["method"].isin(linearized)])
    assert headline(*aggregate(*references), *make_differences(*references)) == []


def test_an_interval_over_seeds_is_cut_at_a_relative_drop_of_100_percent(spread_drop, aggregate, make_differences) -> None:
    groups, models = spread_drop
    loss, *_ = headline(*aggregate(groups, models), *make_differences(groups, models))

    assert "relative accuracy drop +80.0% (95% CI over 2 seeds [-174.1, +100.0]" in loss  # 80 ± 254
