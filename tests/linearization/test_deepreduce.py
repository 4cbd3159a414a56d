from collections.abc import Callable

import pytest
import torch
from torch import nn

from linearization_fairness.linearization import (
    CriticalityConfig,
    criticality_order,
    criticality_table,
    deepreduce_linearize,
    propose_culling,
    random_linearize,
    relus_kept_by_variant,
)
from linearization_fairness.models import ModelConfig, build_model, kept_relus_by_site, relu_count, relu_sites


@pytest.fixture(scope="module")
def resnet18() -> nn.Module:
    return build_model(ModelConfig(arch="resnet18"), (3, 32, 32), 10)


@pytest.fixture(scope="module")
def meta_resnet18() -> nn.Module:
    with torch.device("meta"):
        return build_model(ModelConfig(arch="resnet18"), (3, 32, 32), 10)


@pytest.mark.parametrize(("variant", "expected"), [("1", 229_376), ("1t", 114_688), ("14", 196_608), ("14t", 98_304)])
def test_resnet18_counts_match_deepreduce(resnet18: nn.Module, variant: str, expected: int) -> None:
    model = deepreduce_linearize(resnet18, variant)
    assert relu_count(model) == expected
    assert all(site.mode == "frozen" for _, site in relu_sites(model))
    assert relus_kept_by_variant(resnet18, variant) == expected
    assert relu_count(resnet18) == 491_520  # the base model is untouched


def test_thinning_keeps_the_relu_after_the_residual_add(tiny_resnet: nn.Module) -> None:
    by_site = kept_relus_by_site(deepreduce_linearize(tiny_resnet, "1t"))
    assert by_site == {
        "layer1.0.relu1": (0, 256),
        "layer1.0.relu2": (0, 256),
        "layer2.0.relu1": (0, 128),
        "layer2.0.relu2": (128, 128),
    }
    model = deepreduce_linearize(tiny_resnet, "t")
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(model.layer2[0].relu1(x), x)
    assert torch.equal(model.layer2[0].relu2(x), torch.relu(x))


def test_culling_a_missing_stage_or_thinning_an_mlp_fails(tiny_resnet: nn.Module, tiny_mlp: nn.Module) -> None:
    with pytest.raises(ValueError, match=r"'4' culls stages \[4\], but the model has stages \[1, 2\] only"):
        deepreduce_linearize(tiny_resnet, "4")
    with pytest.raises(ValueError, match="an MLP has no blocks"):
        deepreduce_linearize(tiny_mlp, "t")
    assert kept_relus_by_site(deepreduce_linearize(tiny_mlp, "2")) == {"relu1": (6, 6), "relu2": (0, 5)}


def test_only_an_all_relu_model_is_linearized(tiny_resnet: nn.Module) -> None:
    with pytest.raises(ValueError, match="keeps 10 of 768 ReLUs; pass the trained base model"):
        deepreduce_linearize(random_linearize(tiny_resnet, 10, seed=0), "1")


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


def test_criticality_trains_one_model_per_stage_and_ranks_by_accuracy(
    tiny_resnet: nn.Module, images: Callable[[int, int], tuple]
) -> None:
    config = CriticalityConfig(enabled=True, epochs=1, train={"batch_size": 16, "device": "cpu", "progress": False})
    table = criticality_table(tiny_resnet, images(32, 1), images(16, 2), config, seed=0)
    assert table["stage"].tolist() == [1, 2] and table["relu_count"].tolist() == [512, 256]
    assert table["val_accuracy"].between(0, 1).all()
    order = criticality_order(table)
    ranked = table.sort_values(["val_accuracy", "stage"], ascending=[False, True])
    assert order == ranked["stage"].tolist()
    assert relu_count(tiny_resnet) == 768
