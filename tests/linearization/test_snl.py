import copy

import pytest
import torch
from torch import nn

from linearization_fairness.linearization import MaskSearch, Run, SNLConfig, snl, snl_linearize, top_k_masks
from linearization_fairness.models import relu_count, relu_sites, set_mask_mode
from tests.factories import tiny_mlp, tiny_resnet, tiny_split

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


def test_lambda_stays_during_warmup_and_grows_only_when_the_count_sets_no_new_low() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[2], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=2)
    objective = _search_objective(mlp, config, budget=2)
    counts = [10, 10, 10, 8, 9, 2]  # the MLP has 11 ReLU pixels
    rows = []
    for epoch, count in enumerate(counts, start=1):
        _set_alphas(mlp, [1.0] * count + [0.0] * (11 - count))
        rows.append(objective.end_epoch(mlp, epoch, {}))
    assert [row["relu_count"] for row in rows] == counts
    # Epochs 1-2: warm-up; 3: no new low -> x2; 4: new low (8); 5: no new low -> x2; 6: budget reached.
    assert [row["lambda"] for row in rows] == [1.0, 1.0, 1.0, 2.0, 2.0, 4.0]
    assert objective.penalty_weight == 4.0
    assert ["stop" in row for row in rows] == [False] * 5 + [True]
    assert rows[-1]["stop"] == "reached 2 masks above 0.01 for a budget of 2"


def test_the_schedule_survives_a_checkpoint() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[2], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=0)
    objective = _search_objective(mlp, config, budget=2)
    _set_alphas(mlp, [1.0] * 9 + [0.0] * 2)
    objective.end_epoch(mlp, 1, {})
    objective.end_epoch(mlp, 2, {})
    resumed = _search_objective(mlp, config, budget=2)
    resumed.load_state_dict(objective.state_dict())
    assert (resumed.penalty_weight, resumed.lowest_count) == (2.0, 9)
    assert resumed.end_epoch(mlp, 3, {})["lambda"] == 2.0 and resumed.penalty_weight == 4.0


def test_loss_adds_the_mask_penalty_and_masks_get_their_own_lr() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[2], lambda_init=0.5, mask_lr=0.3, train={"lr": 0.001})
    objective = _search_objective(mlp, config, budget=2)
    _set_alphas(mlp, [0.5] * 11)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 0])
    logits = mlp(x)
    penalty = objective.loss(mlp, logits, x, y, y, 0) - objective.per_sample(mlp, logits, x, y).mean()
    torch.testing.assert_close(penalty, torch.tensor(0.5 * 5.5))
    groups = objective.param_groups(mlp, config.train)
    assert [(group["lr"], len(group["params"])) for group in groups] == [(0.001, 6), (0.3, 2)]


def test_after_step_clamps_masks_into_the_unit_interval() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    objective = _search_objective(mlp, SNLConfig(budgets=[2]), budget=2)
    _set_alphas(mlp, [-0.5, 1.5, 0.3] + [2.0] * 8)
    objective.after_step(mlp)
    alphas = torch.cat([site.alpha.detach().flatten() for _, site in relu_sites(mlp)])
    assert alphas[:3].tolist() == pytest.approx([0.0, 1.0, 0.3])
    assert alphas.min() >= 0 and alphas.max() <= 1


def test_top_k_breaks_ties_by_network_order() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    set_mask_mode(mlp, "train")
    _set_alphas(mlp, [0.5] * 7 + [0.9] + [0.5] * 3)
    masks = top_k_masks(mlp, 3)
    assert masks["relu1"].tolist() == [True, True, False, False, False, False]
    assert masks["relu2"].tolist() == [False, True, False, False, False]


def test_search_reaches_the_budget_and_binarises_to_exactly_it() -> None:
    base = tiny_resnet()
    base_state = copy.deepcopy(base.state_dict())
    config = SNLConfig(
        budgets=[100], lambda_init=1e-3, lambda_growth=2.0, warmup_epochs=1, mask_lr=0.1, train=TRAIN | {"epochs": 30}
    )
    result = snl_linearize(base, tiny_split(48, 1), tiny_split(16, 2), 100, config, seed=0)

    assert result.reached_budget and relu_count(result.model) == 100
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
    assert all(site.mode == "relu" for _, site in relu_sites(base))
    after = base.state_dict()
    assert all(torch.equal(value, after[key]) for key, value in base_state.items() if isinstance(value, torch.Tensor))


def test_search_cut_short_by_its_epochs_says_how_far_it_got() -> None:
    config = SNLConfig(budgets=[10], lambda_init=1e-8, warmup_epochs=0, mask_lr=1e-4, train=TRAIN | {"epochs": 2})
    result = snl_linearize(tiny_resnet(), tiny_split(32, 1), tiny_split(8, 2), 10, config, seed=0)
    assert not result.reached_budget
    assert result.message == (
        "stopped at epoch 2 with 768 masks above 0.01 for a budget of 10; "
        "raise linearize.snl.train.epochs or lambda_growth"
    )
    assert relu_count(result.model) == 10
    assert len(result.history) == 2


def test_the_registry_entry_point_resolves_a_fraction_and_searches_on_the_runs_data() -> None:
    config = SNLConfig(budgets=[0.5], lambda_init=1e-8, warmup_epochs=0, train=TRAIN | {"epochs": 1})
    run = Run(train=tiny_split(32, 1), val=tiny_split(8, 2), seed=0)
    result = snl.linearize(tiny_resnet(), 0.5, config, run)
    assert relu_count(result.model) == 384
    assert len(result.history) == 1 and not result.reached_budget
