import pytest
import torch
from torch import nn

from linearization_fairness.linearization import (
    CriticalityConfig,
    Culling,
    DeepReDuceConfig,
    Run,
    criticality_order,
    criticality_table,
    deepreduce_linearize,
    parse_culling,
    propose_culling,
    random_linearize,
    relus_kept,
)
from linearization_fairness.linearization import deepreduce
from linearization_fairness.models import kept_relus_by_site, relu_count, relu_sites
from tests.factories import cifar_resnet18, tiny_mlp, tiny_resnet, tiny_split


@pytest.fixture(scope="module")
def resnet18() -> nn.Module:
    return cifar_resnet18()


@pytest.fixture(scope="module")
def meta_resnet18() -> nn.Module:
    return cifar_resnet18("meta")


@pytest.mark.parametrize(("budget", "expected"), [("1", 229_376), ("1t", 114_688), ("14", 196_608), ("14t", 98_304)])
def test_resnet18_counts_match_deepreduce(
    resnet18: nn.Module, meta_resnet18: nn.Module, budget: str, expected: int
) -> None:
    model = deepreduce_linearize(resnet18, budget)
    assert relu_count(model) == expected
    assert all(site.mode == "frozen" for _, site in relu_sites(model))
    assert relus_kept(budget, resnet18) == relus_kept(budget, meta_resnet18) == expected
    assert relu_count(resnet18) == 491_520  # the base model is untouched


def test_a_budget_names_the_culled_stages_and_whether_the_rest_is_thinned() -> None:
    assert parse_culling("14t") == Culling(culled=(1, 4), thinned=True)
    assert parse_culling("t") == Culling(culled=(), thinned=True)
    assert parse_culling("2") == Culling(culled=(2,), thinned=False)
    with pytest.raises(ValueError, match="'41' is not a DeepReDuce budget"):
        parse_culling("41")


def test_thinning_keeps_the_relu_after_the_residual_add() -> None:
    base = tiny_resnet()
    by_site = kept_relus_by_site(deepreduce_linearize(base, "1t"))
    assert by_site == {
        "layer1.0.relu1": (0, 256),
        "layer1.0.relu2": (0, 256),
        "layer2.0.relu1": (0, 128),
        "layer2.0.relu2": (128, 128),
    }
    model = deepreduce_linearize(base, "t")
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(model.layer2[0].relu1(x), x)
    assert torch.equal(model.layer2[0].relu2(x), torch.relu(x))


def test_culling_a_missing_stage_or_thinning_an_mlp_fails() -> None:
    mlp = tiny_mlp([6, 5])
    with pytest.raises(ValueError, match=r"'4' culls stages \[4\], but the model has stages \[1, 2\] only"):
        deepreduce_linearize(tiny_resnet(), "4")
    with pytest.raises(ValueError, match="an MLP has no blocks"):
        deepreduce_linearize(mlp, "t")
    assert kept_relus_by_site(deepreduce_linearize(mlp, "2")) == {"relu1": (6, 6), "relu2": (0, 5)}


def test_only_an_all_relu_model_is_linearized() -> None:
    with pytest.raises(ValueError, match="keeps 10 of 768 ReLUs; pass the trained base model"):
        deepreduce_linearize(random_linearize(tiny_resnet(), 10, seed=0), "1")


def test_the_registry_entry_point_linearizes_without_data() -> None:
    base = tiny_resnet()
    result = deepreduce.linearize(base, "1", DeepReDuceConfig(budgets=["1"]), Run(train=None, val=None, seed=0))
    assert relu_count(result.model) == 256 == relus_kept("1", base)
    assert result.reached_budget and result.history is None


@pytest.mark.parametrize(
    ("budget", "expected"),
    [(491_520, "t"), (229_376, "1"), (200_000, "14"), (120_000, "1t"), (65_536, "124"), (40_000, "124t")],
)
def test_propose_culling_keeps_the_most_relus_within_the_budget(
    meta_resnet18: nn.Module, budget: int, expected: str
) -> None:
    # Stage 1 is the least critical, then 4, 2 and 3.
    assert propose_culling([3, 2, 4, 1], meta_resnet18, budget) == expected


def test_propose_culling_rejects_bad_orders_and_unreachable_budgets(meta_resnet18: nn.Module) -> None:
    with pytest.raises(ValueError, match="must list each of the model's stages"):
        propose_culling([3, 2, 1], meta_resnet18, 100_000)
    with pytest.raises(ValueError, match="the fewest is 32768 with '124t'.*raise the budget"):
        propose_culling([3, 2, 4, 1], meta_resnet18, 30_000)


def test_criticality_trains_one_model_per_stage_and_ranks_by_accuracy() -> None:
    base = tiny_resnet()
    config = CriticalityConfig(enabled=True, train={"epochs": 1, "batch_size": 16, "device": "cpu", "progress": False})
    table = criticality_table(base, tiny_split(32, 1), tiny_split(16, 2), config, seed=0)
    assert table["stage"].tolist() == [1, 2] and table["relu_count"].tolist() == [512, 256]
    assert table["val_accuracy"].between(0, 1).all()
    order = criticality_order(table)
    ranked = table.sort_values(["val_accuracy", "stage"], ascending=[False, True])
    assert order == ranked["stage"].tolist()
    assert relu_count(base) == 768
