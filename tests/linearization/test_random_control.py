import pytest
import torch
from torch import nn

from linearization_fairness.linearization import RandomConfig, Run, random_linearize
from linearization_fairness.linearization import random_control
from linearization_fairness.models import relu_count, relu_sites
from tests.factories import tiny_resnet


def _kept_pixels(model: nn.Module) -> torch.Tensor:
    return torch.cat([site.keep.flatten() for _, site in relu_sites(model)])


def test_keeps_exactly_the_budget_with_frozen_masks() -> None:
    base = tiny_resnet()
    model = random_linearize(base, 100, seed=0)
    assert relu_count(model) == 100
    assert all(site.mode == "frozen" for _, site in relu_sites(model))
    assert relu_count(base) == 768


def test_the_seed_alone_decides_the_sites() -> None:
    base = tiny_resnet()
    first = _kept_pixels(random_linearize(base, 100, seed=0))
    torch.manual_seed(123)  # the global RNG must not matter
    again = _kept_pixels(random_linearize(base, 100, seed=0))
    other = _kept_pixels(random_linearize(base, 100, seed=1))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_spreads_over_every_site() -> None:
    model = random_linearize(tiny_resnet(), 384, seed=0)
    assert all(0 < site.relu_count() < site.numel() for _, site in relu_sites(model))


@pytest.mark.parametrize("budget", [0, 769])
def test_budget_outside_the_model_fails(budget: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.768"):
        random_linearize(tiny_resnet(), budget, seed=0)


def test_the_registry_entry_point_resolves_a_fraction_and_draws_with_the_cells_seed() -> None:
    base = tiny_resnet()
    config = RandomConfig(budgets=[0.5])
    result = random_control.linearize(base, 0.5, config, Run(train=None, val=None, seed=1))
    assert relu_count(result.model) == 384
    assert torch.equal(_kept_pixels(result.model), _kept_pixels(random_linearize(base, 384, seed=1)))
