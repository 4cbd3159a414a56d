import pandas as pd

from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.reporting.findings import findings


def sentences_about(sentences: list[str], *words: str) -> list[str]:
    return [sentence for sentence in sentences if all(word in sentence for word in words)]


def test_the_planted_minority_is_named_with_its_numbers(group_metrics) -> None:
    sentences = findings(aggregate_over_seeds(group_metrics))

    (snl_loss,) = sentences_about(sentences, "lowest budget", "snl")
    assert "1,000 of 10,000 ReLUs" in snl_loss
    assert "hurts group 'frog' (minority, 10% of the training data) most" in snl_loss
    assert "relative accuracy drop 40.0%" in snl_loss
    assert "2.0% for 'cat'" in snl_loss  # the least affected group


def test_the_minority_gap_is_reported_rising_as_the_budget_shrinks(group_metrics) -> None:
    (gap,) = sentences_about(findings(aggregate_over_seeds(group_metrics)), "deepreduce", "minority groups' mean")

    # 4000: 10 - (1 + 2) / 2 = 8.5 points; 1000: 40 - (2 + 3) / 2 = 37.5 points
    assert "rises from 8.5 percentage points at 4,000 ReLUs to 37.5 at 1,000 ReLUs" in gap


def test_mitigation_and_control_sentences_state_the_changes(group_metrics) -> None:
    sentences = findings(aggregate_over_seeds(group_metrics))

    (mitigation,) = sentences_about(sentences, "Fairness-aware", "snl at 1,000 ReLUs")
    # frog: 0.805 * 0.6 = 48.3% -> 0.805 * 0.8 = 64.4% (mean over seeds 0 and 1)
    assert "'frog' (minority, 10% of the training data), goes from 48.3% to 64.4% (+16.1 points)" in mitigation
    assert "global accuracy from" in mitigation
    (control,) = sentences_about(sentences, "Distillation finetuning alone")
    assert "5.0% for 'frog'" in control and "'frog' loses most" in control


def test_missing_pieces_are_left_out_not_invented(make_group_metrics) -> None:
    sentences = findings(
        aggregate_over_seeds(make_group_metrics(budgets=(1000,), variants=("finetune",), with_references=False))
    )

    assert len(sentences) == 2  # the lowest-budget loss of snl and of deepreduce, nothing else
    assert all("(95% CI over 2 seeds)" in sentence for sentence in sentences)

    no_drops = make_group_metrics(seeds=(0,)).assign(relative_drop=float("nan"))
    sentences = findings(aggregate_over_seeds(no_drops))
    assert not sentences_about(sentences, "lowest budget")
    assert not sentences_about(sentences, "minority groups' mean")
    assert sentences_about(sentences, "Fairness-aware")  # accuracies are still there


def test_several_experiments_are_prefixed(group_metrics) -> None:
    both = pd.concat([group_metrics, group_metrics.assign(experiment="other")])
    sentences = findings(aggregate_over_seeds(both))

    assert {sentence.split("]")[0] for sentence in sentences} == {"[other", "[toy"}
