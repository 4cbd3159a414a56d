import copy
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from linearization_fairness.linearization import (
    LinearizeResult,
    MaskSearch,
    Run,
    SNLConfig,
    kept_by_layer,
    snl,
    snl_search,
    top_k_masks,
)
from linearization_fairness.models import freeze_masks, relu_count, relu_sites, set_mask_mode
from linearization_fairness.training import engine
from tests.factories import tiny_mlp, tiny_resnet, tiny_split

CPU = torch.device("cpu")
TRAIN = {"batch_size": 16, "device": "cpu", "progress": False}


def _set_alphas(model: nn.Module, values: list[float]) -> None:
    flat = torch.tensor(values)
    with torch.no_grad():
        for _, site in relu_sites(model):
            site.alpha.copy_(flat[: site.numel()].reshape(site.shape))
            flat = flat[site.numel() :]


def _search_objective(model: nn.Module, config: SNLConfig, budgets: list[int]) -> MaskSearch:
    set_mask_mode(model, "train")
    objective = MaskSearch(copy.deepcopy(model), budgets, config)
    objective.prepare(model, config.train, CPU)
    return objective


def test_lambda_stays_during_warmup_and_grows_only_when_the_count_sets_no_new_low() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[2], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=2)
    objective = _search_objective(mlp, config, budgets=[2])
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
    objective = _search_objective(mlp, config, budgets=[2])
    _set_alphas(mlp, [1.0] * 9 + [0.0] * 2)
    objective.end_epoch(mlp, 1, {})
    objective.end_epoch(mlp, 2, {})
    resumed = _search_objective(mlp, config, budgets=[2])
    resumed.load_state_dict(objective.state_dict())
    assert (resumed.penalty_weight, resumed.lowest_count) == (2.0, 9)
    assert resumed.end_epoch(mlp, 3, {})["lambda"] == 2.0 and resumed.penalty_weight == 4.0


def test_a_search_for_several_budgets_keeps_the_schedule_and_snapshots_each_where_it_alone_would_stop() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[8, 2, 5], lambda_init=1.0, lambda_growth=2.0, warmup_epochs=2)
    several = _search_objective(mlp, config, budgets=[8, 2, 5])
    alone = _search_objective(mlp, config, budgets=[2])
    counts = [10, 10, 10, 8, 9, 4, 2]
    for epoch, count in enumerate(counts, start=1):
        _set_alphas(mlp, [1.0] * count + [0.0] * (11 - count))
        assert several.end_epoch(mlp, epoch, {}) == alone.end_epoch(mlp, epoch, {})
    # 8 is reached at epoch 4, 5 at epoch 6 and 2 at the last; only the smallest stops the search.
    assert {budget: snapshot["epoch"] for budget, snapshot in several.snapshots.items()} == {8: 4, 5: 6, 2: 7}
    for budget, snapshot in several.snapshots.items():
        count = snapshot["relu_count"]
        alphas = torch.cat([snapshot["state"]["relu1.alpha"], snapshot["state"]["relu2.alpha"]])
        assert count == counts[snapshot["epoch"] - 1] and alphas.tolist() == [1.0] * count + [0.0] * (11 - count)


def test_loss_adds_the_mask_penalty_and_masks_get_their_own_lr() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    config = SNLConfig(budgets=[2], lambda_init=0.5, mask_lr=0.3, train={"lr": 0.001})
    objective = _search_objective(mlp, config, budgets=[2])
    _set_alphas(mlp, [0.5] * 11)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 0])
    logits = mlp(x)
    penalty = objective.loss(mlp, logits, x, y, y, 0) - objective.per_sample(mlp, logits, x, y).mean()
    torch.testing.assert_close(penalty, torch.tensor(0.5 * 5.5))
    groups = objective.param_groups(mlp, config.train)
    assert [(group["lr"], len(group["params"])) for group in groups] == [(0.001, 6), (0.3, 2)]


def test_after_step_clamps_masks_into_the_unit_interval() -> None:
    mlp = tiny_mlp([6, 5])  # 11 ReLU pixels
    objective = _search_objective(mlp, SNLConfig(budgets=[2]), budgets=[2])
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
    (result,) = snl_search(base, tiny_split(48, 1), tiny_split(16, 2), [100], config, seed=0)

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
    (result,) = snl_search(tiny_resnet(), tiny_split(32, 1), tiny_split(8, 2), [10], config, seed=0)
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


# On these splits the count goes 768 (epochs 1-6), 670, 454, 306, 200, 114, 69: 500 is reached at
# epoch 8, 300 at epoch 10, 100 at the last epoch (12), and 10 never.
BUDGETS = [300, 10, 500, 100]
GRADUAL = SNLConfig(
    budgets=BUDGETS, lambda_init=3e-4, lambda_growth=1.5, warmup_epochs=1, mask_lr=0.05, train=TRAIN | {"epochs": 12}
)
DATA = (tiny_split(48, 1), tiny_split(16, 2))


def _searched_alone(base: nn.Module, budget: int, config: SNLConfig) -> engine.TrainResult:
    """SNL's search for one budget as it ran before snapshots: the engine's last epoch, binarised."""
    student = copy.deepcopy(base)
    set_mask_mode(student, "train")
    objective = MaskSearch(copy.deepcopy(base), [budget], config)
    search = engine.train(student, *DATA, config.train, objective, select_on=None, seed=0)
    freeze_masks(search.model, top_k_masks(search.model, budget))
    return search


def _assert_same_model(first: nn.Module, second: nn.Module) -> None:
    first_state, second_state = first.state_dict(), second.state_dict()
    assert first_state.keys() == second_state.keys()
    for key, value in first_state.items():
        same = torch.equal(value, second_state[key]) if isinstance(value, torch.Tensor) else value == second_state[key]
        assert same, key


def _assert_same_history(first: pd.DataFrame, second: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), second.drop(columns="seconds"), check_exact=True)


def _assert_same_results(first: LinearizeResult, second: LinearizeResult) -> None:
    _assert_same_model(first.model, second.model)
    pd.testing.assert_frame_equal(kept_by_layer(first.model), kept_by_layer(second.model), check_exact=True)
    _assert_same_history(first.history, second.history)
    assert (first.message, first.reached_budget) == (second.message, second.reached_budget)


def test_one_search_gives_every_budget_what_a_search_for_it_alone_gives() -> None:
    base = tiny_resnet()
    results = snl_search(base, *DATA, BUDGETS, GRADUAL, seed=0)

    assert [len(result.history) for result in results] == [10, 12, 8, 12]
    assert [result.reached_budget for result in results] == [True, False, True, True]
    for budget, result in zip(BUDGETS, results):
        alone = _searched_alone(base, budget, GRADUAL)
        assert relu_count(result.model) == budget
        _assert_same_model(result.model, alone.model)
        pd.testing.assert_frame_equal(kept_by_layer(result.model), kept_by_layer(alone.model), check_exact=True)
        _assert_same_history(result.history, alone.history)
        _assert_same_results(result, snl.linearize(base, budget, GRADUAL, Run(*DATA, seed=0)))
    assert results[1].message == (
        "stopped at epoch 12 with 69 masks above 0.01 for a budget of 10; raise linearize.snl.train.epochs or lambda_growth"
    )


def test_a_search_killed_between_its_snapshots_resumes_to_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, checkpoint = tiny_resnet(), tmp_path / "search.ckpt"
    uninterrupted = snl_search(base, *DATA, BUDGETS, GRADUAL, seed=0)

    end_epoch = MaskSearch.end_epoch

    def killed_in_epoch_9(self: MaskSearch, model: nn.Module, epoch: int, metrics: dict) -> dict:
        if epoch == 9:
            raise RuntimeError("killed")
        return end_epoch(self, model, epoch, metrics)

    with monkeypatch.context() as patch:
        patch.setattr(MaskSearch, "end_epoch", killed_in_epoch_9)
        with pytest.raises(RuntimeError, match="killed"):
            snl_search(base, *DATA, BUDGETS, GRADUAL, seed=0, checkpoint_path=checkpoint)
    pending = torch.load(checkpoint, weights_only=True)["objective"]["snapshots"]
    assert {budget: snapshot["epoch"] for budget, snapshot in pending.items()} == {500: 8}

    with pytest.raises(ValueError, match=r"for budgets \[500, 300, 100, 10\], not \[500, 100\]; delete it"):
        snl_search(base, *DATA, [500, 100], GRADUAL, seed=0, checkpoint_path=checkpoint)
    resumed = snl_search(base, *DATA, BUDGETS, GRADUAL, seed=0, checkpoint_path=checkpoint)
    for first, second in zip(resumed, uninterrupted):
        _assert_same_results(first, second)
