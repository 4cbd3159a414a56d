"""The Figure 2 models: half-linear masks of exactly half the ReLUs by each rule, laid on the same
initial weights as the all-ReLU model, and from-scratch training reproducible by seed."""

from __future__ import annotations

import pytest
import torch

from linearization_fairness.figure2 import HALF_RULES, TaskConfig, initial_model, make_task, train_from_scratch
from linearization_fairness.models import keep_masks, relu_count, total_relu_sites
from linearization_fairness.training import TrainConfig

WIDTHS = [6, 4]
TINY_TRAIN = TrainConfig(optimizer="adam", lr=0.02, weight_decay=0.0, batch_size=32, epochs=2, progress=False)


@pytest.mark.parametrize("rule", sorted(HALF_RULES))
def test_each_rule_linearizes_exactly_half_the_relus(rule: str) -> None:
    model = initial_model(WIDTHS, rule, seed=3)
    assert total_relu_sites(model) == 10 and relu_count(model) == 5


def test_every_other_keeps_the_even_neurons_of_each_layer() -> None:
    masks = keep_masks(initial_model(WIDTHS, "every_other", seed=0))
    assert masks["relu1"].tolist() == [True, False, True, False, True, False]
    assert masks["relu2"].tolist() == [True, False, True, False]


def test_the_random_half_is_drawn_by_the_seed_over_all_layers() -> None:
    def kept(seed: int) -> torch.Tensor:
        return torch.cat(list(keep_masks(initial_model(WIDTHS, "random", seed)).values()))

    assert torch.equal(kept(0), kept(0))
    draws = {tuple(kept(seed).tolist()) for seed in range(8)}
    assert len(draws) > 1 and all(sum(draw) == 5 for draw in draws)


def test_a_half_linear_model_starts_from_the_all_relu_weights_of_its_seed() -> None:
    relu, half = initial_model(WIDTHS, None, seed=2), initial_model(WIDTHS, "random", seed=2)
    assert relu_count(relu) == 10
    for name, weight in relu.named_parameters():
        assert torch.equal(weight, dict(half.named_parameters())[name])


def test_an_unknown_rule_says_which_exist() -> None:
    with pytest.raises(ValueError, match="half-linear rule 'thirds' is unknown; use one of: random, every_other"):
        initial_model(WIDTHS, "thirds", seed=0)


def test_training_from_scratch_is_reproducible_by_seed_and_keeps_the_mask() -> None:
    arrays = make_task(TaskConfig(train_majority=90, train_minority=10, val_per_class=10, test_per_class=10))
    threads = torch.get_num_threads()
    first, again = (train_from_scratch(arrays, WIDTHS, "random", TINY_TRAIN, seed=1) for _ in range(2))
    other = train_from_scratch(arrays, WIDTHS, "random", TINY_TRAIN, seed=2)
    for name, value in first.model.state_dict().items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, again.model.state_dict()[name]), name
    assert first.history.drop(columns="seconds").equals(again.history.drop(columns="seconds"))
    assert not torch.equal(first.model.fc1.weight, other.model.fc1.weight)
    assert relu_count(first.model) == 5 and len(first.history) == 2
    assert torch.get_num_threads() == threads  # trained on one thread, the caller's setting restored
