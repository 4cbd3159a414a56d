import copy
from collections.abc import Callable

import pytest
import torch
from torch import nn

from linearization_fairness.linearization import MaskSearch, SNLConfig, snl_linearize, top_k_masks
from linearization_fairness.models import relu_count, relu_sites, set_mask_mode

CPU = torch.device("cpu")
TRAIN = {"batch_size": 16, "device": "cpu", "progress": False}


def _set_alphas(model: nn.Module, values: list[float]) -> None:
    flat = torch.tensor(values)
    with torch.no_grad():
        for _, site in relu_sites(model):
            site.alpha.copy_(flat[: site.numel()].reshape(site.shape))
            flat = flat[site.numel() :]


def _search_objective(model: nn.Module, config: SNLConfig, budget: int) -> MaskSearch:
    set_mask_mode(model, "train")
    objective = MaskSearch(copy.deepcopy(model), budget, config)
    objective.prepare(model, config.train, CPU)
    return objective


def test_lambda_stays_during_warmup_and_grows_only_when_the_count_sets_no_new_low(tiny_mlp: nn.Module) -> None:
    config = SNLConfig(budgets=[2], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=2)
    objective = _search_objective(tiny_mlp, config, budget=2)
    counts = [10, 10, 10, 8, 9, 2]  # the MLP has 11 ReLU pixels
    rows = []
    for epoch, count in enumerate(counts, start=1):
        _set_alphas(tiny_mlp, [1.0] * count + [0.0] * (11 - count))
        rows.append(objective.end_epoch(tiny_mlp, epoch, {}))
    assert [row["relu_count"] for row in rows] == counts
    # Epochs 1-2: warm-up; 3: no new low -> x2; 4: new low (8); 5: no new low -> x2; 6: budget reached.
    assert [row["lambda"] for row in rows] == [1.0, 1.0, 1.0, 2.0, 2.0, 4.0]
    assert objective.penalty_weight == 4.0
    assert ["stop" in row for row in rows] == [False] * 5 + [True]
    assert rows[-1]["stop"] == "reached 2 masks above 0.01 for a budget of 2"


def test_the_schedule_survives_a_checkpoint(tiny_mlp: nn.Module) -> None:
    config = SNLConfig(budgets=[2], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=0)
    objective = _search_objective(tiny_mlp, config, budget=2)
    _set_alphas(tiny_mlp, [1.0] * 9 + [0.0] * 2)
    objective.end_epoch(tiny_mlp, 1, {})
    objective.end_epoch(tiny_mlp, 2, {})
    resumed = _search_objective(tiny_mlp, config, budget=2)
    resumed.load_state_dict(objective.state_dict())
    assert (resumed.penalty_weight, resumed.lowest_count) == (2.0, 9)
    assert resumed.end_epoch(tiny_mlp, 3, {})["lambda"] == 2.0 and resumed.penalty_weight == 4.0


def test_loss_adds_the_mask_penalty_and_masks_get_their_own_lr(tiny_mlp: nn.Module) -> None:
    config = SNLConfig(budgets=[2], lambda_init=0.5, mask_lr=0.3, train={"lr": 0.001})
    objective = _search_objective(tiny_mlp, config, budget=2)
    _set_alphas(tiny_mlp, [0.5] * 11)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 0])
    logits = tiny_mlp(x)
    penalty = objective.loss(tiny_mlp, logits, x, y, y, 0) - objective.per_sample(tiny_mlp, logits, x, y).mean()
    torch.testing.assert_close(penalty, torch.tensor(0.5 * 5.5))
    groups = objective.param_groups(tiny_mlp, config.train)
    assert [(group["lr"], len(group["params"])) for group in groups] == [(0.001, 6), (0.3, 2)]


def test_after_step_clamps_masks_into_the_unit_interval(tiny_mlp: nn.Module) -> None:
    objective = _search_objective(tiny_mlp, SNLConfig(budgets=[2]), budget=2)
    _set_alphas(tiny_mlp, [-0.5, 1.5, 0.3] + [2.0] * 8)
    objective.after_step(tiny_mlp)
    alphas = torch.cat([site.alpha.detach().flatten() for _, site in relu_sites(tiny_mlp)])
    assert alphas[:3].tolist() == pytest.approx([0.0, 1.0, 0.3])
    assert alphas.min() >= 0 and alphas.max() <= 1


def test_top_k_breaks_ties_by_network_order(tiny_mlp: nn.Module) -> None:
    set_mask_mode(tiny_mlp, "train")
    _set_alphas(tiny_mlp, [0.5] * 7 + [0.9] + [0.5] * 3)
    masks = top_k_masks(tiny_mlp, 3)
    assert masks["relu1"].tolist() == [True, True, False, False, False, False]
    assert masks["relu2"].tolist() == [False, True, False, False, False]


def test_search_reaches_the_budget_and_binarises_to_exactly_it(
    tiny_resnet: nn.Module, images: Callable[[int, int], tuple]
) -> None:
    base_state = copy.deepcopy(tiny_resnet.state_dict())
    config = SNLConfig(
        budgets=[100], lambda_init=1e-3, lambda_growth=2.0, warmup_epochs=1, max_epochs=30, mask_lr=0.1, train=TRAIN
    )
    result = snl_linearize(tiny_resnet, images(48, 1), images(16, 2), 100, config, seed=0)

    assert result.reached_budget and result.kept == 100 == relu_count(result.model)
    assert result.message.startswith("reached") and "for a budget of 100" in result.message
    history = result.history
    assert len(history) < 30 and history["relu_count"].iloc[-1] <= 100
    assert {"train_loss", "val_loss", "lambda", "relu_count", "mask_l1"} <= set(history.columns)
    assert history["lambda"].is_monotonic_increasing and history["lambda"].iloc[-1] > 1e-3
    # The kept pixels are those with the largest searched alphas, all of which stayed in [0, 1].
    sites = relu_sites(result.model)
    assert all(site.mode == "frozen" for _, site in sites)
    alphas = torch.cat([site.alpha.detach().flatten() for _, site in sites])
    kept = torch.cat([site.keep.flatten() for _, site in sites])
    assert alphas.min() >= 0 and alphas.max() <= 1
    assert alphas[kept].min() >= alphas[~kept].max()
    # The base model is left as it was.
    assert all(site.mode == "relu" for _, site in relu_sites(tiny_resnet))
    after = tiny_resnet.state_dict()
    assert all(torch.equal(value, after[key]) for key, value in base_state.items() if isinstance(value, torch.Tensor))


def test_search_cut_short_by_max_epochs_says_how_far_it_got(
    tiny_resnet: nn.Module, images: Callable[[int, int], tuple]
) -> None:
    config = SNLConfig(budgets=[10], lambda_init=1e-8, max_epochs=2, warmup_epochs=0, mask_lr=1e-4, train=TRAIN)
    result = snl_linearize(tiny_resnet, images(32, 1), images(8, 2), 10, config, seed=0)
    assert not result.reached_budget
    assert result.message == (
        "stopped at epoch 2 with 768 masks above 0.01 for a budget of 10; raise max_epochs or lambda_growth"
    )
    assert result.kept == 10 == relu_count(result.model)
    assert len(result.history) == 2
