from typing import Any

import pytest
import torch
from torch import nn

from linearization_fairness.finetuning import (
    FairnessAwareDistillation,
    LabelFreeDistillation,
    MonitoredDistillation,
    cvar_weights,
    group_mean_gaps,
)
from linearization_fairness.training import Distillation, TrainConfig
from tests.factories import POINT_SHAPE, tiny_mlp, tiny_split

CPU = torch.device("cpu")
NUM_GROUPS = 4


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Groups 0-2 of unequal sizes; group 3 is absent."""
    x, y, _ = tiny_split(12, 0, POINT_SHAPE)
    return x, y, torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 0])


def _objective(teacher: nn.Module, **settings: Any) -> FairnessAwareDistillation:
    x, y, group = _batch()
    objective = FairnessAwareDistillation(
        teacher, (x, y, group), NUM_GROUPS, **({"temperature": 4.0, "alpha": 0.5, "mu": 0.1} | settings)
    )
    objective.prepare(tiny_mlp([6], 9), TrainConfig(), CPU)
    return objective


def _gradients(loss: torch.Tensor, model: nn.Module) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad], retain_graph=True))


def _analytic_gradient(student: nn.Module, teacher: nn.Module, multipliers: torch.Tensor) -> list[torch.Tensor]:
    """grad L + sum over present g of lambda_g * sign(L_g - L) * (grad L_g - grad L), group by group."""
    kd = Distillation(teacher, temperature=4.0, alpha=0.5)
    kd.prepare(student, TrainConfig(), CPU)
    x, y, group = _batch()
    per_sample = kd.per_sample(student, student(x), x, y)
    mean_loss = per_sample.mean()
    expected = _gradients(mean_loss, student)
    for group_id in group.unique().tolist():
        group_loss = per_sample[group == group_id].mean()
        weight = multipliers[group_id] * torch.sign(group_loss - mean_loss).detach()
        for total, of_group, of_mean in zip(expected, _gradients(group_loss, student), _gradients(mean_loss, student)):
            total += weight * (of_group - of_mean)
    return expected


def _objective_gradient(objective: FairnessAwareDistillation, student: nn.Module) -> list[torch.Tensor]:
    x, y, group = _batch()
    return _gradients(objective.loss(student, student(x), x, y, group, 0), student)


class AuthorsDetachedPenalty(FairnessAwareDistillation):
    """The released code's bug: the penalty's value rebuilt with torch.tensor(...), cut from the graph."""

    def loss(
        self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, index: int
    ) -> torch.Tensor:
        per_sample = self.per_sample(model, logits, x, y)
        gaps, _ = group_mean_gaps(per_sample, group, self.num_groups)
        return per_sample.mean() + torch.tensor((self.multipliers * gaps).sum().item())


MULTIPLIERS = torch.tensor([0.3, 1.5, 0.7, 5.0])  # group 3 is absent: its 5.0 must contribute nothing


def test_penalty_gradient_is_kd_plus_the_analytic_penalty_gradient() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    objective = _objective(teacher)
    objective.multipliers = MULTIPLIERS.clone()

    ours = _objective_gradient(objective, student)
    expected = _analytic_gradient(student, teacher, MULTIPLIERS)
    kd_only = _analytic_gradient(student, teacher, torch.zeros(NUM_GROUPS))
    for got, want, plain in zip(ours, expected, kd_only):
        torch.testing.assert_close(got, want)
    assert any(not torch.allclose(got, plain) for got, plain in zip(ours, kd_only))


def test_zero_multipliers_give_exactly_the_plain_kd_gradient() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    objective = _objective(teacher)  # lambda_init defaults to 0
    kd = Distillation(teacher, temperature=4.0, alpha=0.5)
    kd.prepare(student, TrainConfig(), CPU)
    x, y, group = _batch()
    plain = _gradients(kd.loss(student, student(x), x, y, group, 0), student)
    for got, want in zip(_objective_gradient(objective, student), plain):
        assert torch.equal(got, want)


def test_a_detached_penalty_leaves_the_kd_gradient_so_the_analytic_check_catches_it() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    x, y, group = _batch()
    detached = AuthorsDetachedPenalty(teacher, (x, y, group), NUM_GROUPS, temperature=4.0, alpha=0.5, mu=0.1)
    detached.prepare(student, TrainConfig(), CPU)
    detached.multipliers = MULTIPLIERS.clone()

    got = _objective_gradient(detached, student)
    kd_only = _analytic_gradient(student, teacher, torch.zeros(NUM_GROUPS))
    expected = _analytic_gradient(student, teacher, MULTIPLIERS)
    assert all(torch.allclose(value, plain) for value, plain in zip(got, kd_only))
    assert not all(torch.allclose(value, want) for value, want in zip(got, expected))


def test_group_mean_gaps_match_a_per_group_loop_and_skip_absent_groups() -> None:
    values = torch.tensor([1.0, 2.0, 6.0, 3.0, 0.5], requires_grad=True)
    group = torch.tensor([0, 0, 2, 2, 0])
    gaps, present = group_mean_gaps(values, group, 4)
    mean = values.mean()
    expected = [abs(values[group == g].mean() - mean).item() if (group == g).any() else 0.0 for g in range(4)]
    torch.testing.assert_close(gaps, torch.tensor(expected))
    assert present.tolist() == [True, False, True, False]
    gaps.sum().backward()
    assert values.grad is not None and values.grad.abs().sum() > 0



def _sample_weights(penalty: str, multipliers: torch.Tensor) -> torch.Tensor:
    """d(mean loss + sum_g lambda_g * violation_g) / d(per-sample loss): each sample's weight in
    the finetune's step. 91 majority samples (group 0) at loss 0.1, 9 minority ones at loss 2."""
    group = torch.tensor([0] * 91 + [1] * 9)
    values = torch.where(group == 0, 0.1, 2.0).requires_grad_()
    gaps, _ = group_mean_gaps(values, group, 2, penalty)
    (values.mean() + (multipliers * gaps).sum()).backward()
    return values.grad


def test_the_papers_gap_penalty_inverts_the_majoritys_loss_with_two_groups_and_excess_never_does() -> None:
    # lambda_minority = 1, the cap: under the paper's |L_g - L| a majority sample's weight is
    # (1 - lambda_1) / n + lambda_0 (1 / n - 1 / n_0), about -1e-4: gradient ascent on its loss.
    multipliers = torch.tensor([0.1, 1.0])
    gap = _sample_weights("gap", multipliers)
    assert (gap[:91] < 0).all()
    excess = _sample_weights("excess", multipliers)
    plain = 1 / 100
    torch.testing.assert_close(excess[:91], torch.full((91,), plain))  # at or below the mean: untouched
    torch.testing.assert_close(excess[91:], torch.full((9,), plain + 1.0 / 9))  # lambda_1 / n_1 added
    # The violations it measures are one-sided: 0 for the group below the mean.
    gaps, _ = group_mean_gaps(torch.tensor([0.1] * 91 + [2.0] * 9), torch.tensor([0] * 91 + [1] * 9), 2, "excess")
    torch.testing.assert_close(gaps, torch.tensor([0.0, 2.0 - (0.1 * 91 + 2.0 * 9) / 100]))


def test_an_unknown_penalty_is_refused_before_training() -> None:
    with pytest.raises(ValueError, match="penalty='square'; use 'gap'"):
        FairnessAwareDistillation(tiny_mlp([6], 1), _batch(), NUM_GROUPS, temperature=4.0, alpha=0.5, mu=0.1, penalty="square")

# Multiplier updates: per-sample losses are set to the logits' sum, so every violation is known.
# Batch 1: groups [0, 0, 1, 1] with losses [1, 1, 3, 3]: L = 2, |L_0 - L| = |L_1 - L| = 1.
# Batch 2: groups [0, 0, 0, 2] with losses [2, 2, 2, 6]: L = 3, |L_0 - L| = 1, |L_2 - L| = 3.
# Epoch means over the batches holding each group: g0 1, g1 1, g2 3; group 3 never appears.
BATCHES = [
    (torch.tensor([1.0, 1.0, 3.0, 3.0]), torch.tensor([0, 0, 1, 1])),
    (torch.tensor([2.0, 2.0, 2.0, 6.0]), torch.tensor([0, 0, 0, 2])),
]


def _scripted(**settings: Any) -> tuple[FairnessAwareDistillation, nn.Module]:
    model = tiny_mlp([6], 0, num_classes=2)
    objective = _objective(tiny_mlp([6], 1, num_classes=2), **settings)
    objective.per_sample = lambda model, logits, x, y: logits.sum(dim=1)
    return objective, model


def _run_batches(objective: FairnessAwareDistillation, model: nn.Module, batches: list) -> torch.Tensor:
    after_each = []
    for losses, group in batches:
        logits = losses[:, None].expand(-1, 2) / 2
        objective.loss(model, logits, torch.zeros(len(group), 2), torch.zeros_like(group), group, 0)
        objective.after_step(model)
        after_each.append(objective.multipliers.clone())
    return torch.stack(after_each)


def test_epoch_update_adds_mu_times_the_mean_violation_of_present_groups() -> None:
    objective, model = _scripted(mu=0.5, lambda_init=0.1)
    during = _run_batches(objective, model, BATCHES)
    torch.testing.assert_close(during, torch.full((2, 4), 0.1))  # nothing moves before the epoch ends
    logged = objective.end_epoch(model, 1, {})
    torch.testing.assert_close(objective.multipliers, torch.tensor([0.6, 0.6, 1.6, 0.1]))
    assert [logged[f"lambda_{g}"] for g in range(4)] == pytest.approx([0.6, 0.6, 1.6, 0.1])
    assert [logged[f"violation_{g}"] for g in range(3)] == pytest.approx([1.0, 1.0, 3.0])
    assert logged["violation_3"] != logged["violation_3"]  # NaN: never measured
    assert logged["penalty"] == pytest.approx((0.1 * 2 + 0.1 * 4) / 2)
    assert 0.0 <= logged["val_worst_group_accuracy"] <= 1.0
    # The accumulators restart: an epoch without violations leaves the multipliers alone.
    _run_batches(objective, model, [(torch.tensor([2.0, 2.0]), torch.tensor([0, 1]))])
    objective.end_epoch(model, 2, {})
    torch.testing.assert_close(objective.multipliers, torch.tensor([0.6, 0.6, 1.6, 0.1]))


def test_only_violated_constrained_groups_grow_and_the_bound_holds() -> None:
    objective, model = _scripted(mu=0.5, groups=[0, 2], lambda_max=1.0)
    _run_batches(objective, model, BATCHES)
    objective.end_epoch(model, 1, {})
    # g1 is violated but has no multiplier; g2 would reach 1.5 but is projected onto [0, 1].
    torch.testing.assert_close(objective.multipliers, torch.tensor([0.5, 0.0, 1.0, 0.0]))
    assert (objective.multipliers >= 0).all()


def test_batch_update_steps_after_every_batch_and_not_again_at_the_epoch_end() -> None:
    objective, model = _scripted(mu=0.5, update="batch")
    during = _run_batches(objective, model, BATCHES)
    torch.testing.assert_close(during, torch.tensor([[0.5, 0.5, 0.0, 0.0], [1.0, 0.5, 1.5, 0.0]]))
    logged = objective.end_epoch(model, 1, {})
    torch.testing.assert_close(objective.multipliers, torch.tensor([1.0, 0.5, 1.5, 0.0]))
    assert logged["violation_2"] == pytest.approx(3.0)


def test_val_violations_use_the_whole_validation_split_in_eval_mode() -> None:
    teacher, model = tiny_mlp([6], 1, num_classes=2), tiny_mlp([6], 0, num_classes=2).train()
    x_val = torch.tensor([[0.0, 0.0], [0.0, 0.0], [3.0, 0.0], [3.0, 0.0], [1.0, 0.0]])
    val = (x_val, torch.tensor([0, 1, 0, 1, 0]), torch.tensor([0, 0, 1, 1, 2]))
    objective = FairnessAwareDistillation(teacher, val, 3, temperature=4.0, alpha=0.5, mu=0.5, violations_on="val")
    objective.prepare(model, TrainConfig(), CPU)
    objective.per_sample = lambda model, logits, x, y: x[:, 0]  # L = 7/5, L_0 = 0, L_1 = 3, L_2 = 1
    logged = objective.end_epoch(model, 1, {})
    assert [logged[f"violation_{g}"] for g in range(3)] == pytest.approx([1.4, 1.6, 0.4])
    assert objective.multipliers.tolist() == pytest.approx([0.7, 0.8, 0.2])
    assert model.training


def test_heldout_violations_move_the_multipliers_where_training_violations_are_zero() -> None:
    """A student that fits its training data: every training sample has the same loss, so the
    paper's training-batch violations are 0; on held-out samples group 1 loses more."""
    train_batch = (torch.tensor([[1.0, 0.0]] * 4), torch.tensor([0, 1, 0, 1]), torch.tensor([0, 0, 1, 1]))
    heldout = (torch.tensor([[1.0, 0.0], [1.0, 0.0], [3.0, 0.0], [5.0, 0.0]]), torch.tensor([0, 1, 0, 1]), torch.tensor([0, 0, 1, 1]))
    multipliers = {}
    for source, split in (("train", None), ("heldout", heldout)):
        teacher, model = tiny_mlp([6], 1, num_classes=2), tiny_mlp([6], 0, num_classes=2).train()
        objective = FairnessAwareDistillation(
            teacher, heldout, 2, temperature=4.0, alpha=0.5, mu=0.5, violations_on=source, heldout=split
        )
        objective.prepare(model, TrainConfig(), CPU)
        objective.per_sample = lambda model, logits, x, y: x[:, 0]
        x, y, group = train_batch
        objective.loss(model, model(x), x, y, group, 0)
        logged = objective.end_epoch(model, 1, {})
        multipliers[source] = objective.multipliers.tolist()
        assert model.training
    assert multipliers["train"] == [0.0, 0.0]  # |L_g - L| = 0 on the training batch
    # held out: L = 10/4, L_0 = 1, L_1 = 4, so each violation is 1.5 and each multiplier 0.5 * 1.5
    assert logged["violation_0"] == logged["violation_1"] == pytest.approx(1.5)
    assert multipliers["heldout"] == pytest.approx([0.75, 0.75])


def test_a_heldout_split_comes_exactly_with_violations_on_heldout() -> None:
    teacher = tiny_mlp([6], 1, num_classes=2)
    for source, split in (("heldout", None), ("train", _batch())):
        with pytest.raises(ValueError, match="pass a heldout split exactly when violations_on='heldout'"):
            FairnessAwareDistillation(teacher, _batch(), 4, temperature=4.0, alpha=0.5, mu=0.1, violations_on=source, heldout=split)


def test_state_round_trip_restores_multipliers_and_the_open_epoch() -> None:
    objective, model = _scripted(mu=0.5, lambda_init=0.2)
    _run_batches(objective, model, BATCHES[:1])
    restored, _ = _scripted(mu=0.5, lambda_init=0.0)
    restored.load_state_dict(objective.state_dict())
    _run_batches(objective, model, BATCHES[1:])
    _run_batches(restored, model, BATCHES[1:])
    logged, logged_restored = objective.end_epoch(model, 1, {}), restored.end_epoch(model, 1, {})
    measured = {key: value for key, value in logged.items() if value == value}  # NaN: group 3 never seen
    assert measured == {key: logged_restored[key] for key in measured}
    assert logged.keys() == logged_restored.keys()
    torch.testing.assert_close(objective.multipliers, torch.tensor([0.7, 0.7, 1.7, 0.2]))
    assert torch.equal(objective.multipliers, restored.multipliers)

    other_mu, _ = _scripted(mu=0.1)
    with pytest.raises(ValueError, match="delete the checkpoint to start over"):
        other_mu.load_state_dict(objective.state_dict())


def test_monitored_distillation_logs_each_groups_validation_accuracy() -> None:
    model, teacher = tiny_mlp([6], 0, num_classes=2), tiny_mlp([6], 1, num_classes=2)
    x = torch.randn(6, 2)
    predicted = model(x).argmax(dim=1)
    y = torch.stack([predicted[0], 1 - predicted[1], predicted[2], predicted[3], predicted[4], predicted[5]])
    objective = MonitoredDistillation(teacher, (x, y, torch.tensor([0, 0, 1, 1, 3, 3])), 4, 4.0, 0.5)
    objective.prepare(model, TrainConfig(), CPU)
    logged = objective.end_epoch(model, 1, {})
    expected = {"val_accuracy_0": 0.5, "val_accuracy_1": 1.0, "val_accuracy_3": 1.0, "val_worst_group_accuracy": 0.5}
    assert logged == expected


def test_group_ids_outside_num_groups_are_refused() -> None:
    x, y, group = _batch()
    with pytest.raises(ValueError, match=r"val group ids span \[0, 2\] but num_groups=2"):
        FairnessAwareDistillation(tiny_mlp([6], 1), (x, y, group), 2, temperature=4.0, alpha=0.5, mu=0.1)
    with pytest.raises(ValueError, match="names ids >= num_groups=4"):
        FairnessAwareDistillation(tiny_mlp([6], 1), (x, y, group), 4, temperature=4.0, alpha=0.5, mu=0.1, groups=[4])


def test_cvar_weights_put_equal_mass_on_exactly_the_worst_samples() -> None:
    losses = torch.tensor([0.1, 5.0, 0.3, 2.0, 0.2, 4.0, 0.0, 0.4, 3.0, 0.5])  # worst: 1, 5, 8, 3
    weights = cvar_weights(losses, 0.3)  # ceil(0.3 * 10) = 3 samples
    assert torch.nonzero(weights).flatten().tolist() == [1, 5, 8]
    torch.testing.assert_close(weights[[1, 5, 8]], torch.full((3,), 1 / 3))
    assert cvar_weights(losses, 0.01).nonzero().flatten().tolist() == [1]  # at least one sample
    torch.testing.assert_close(cvar_weights(losses, 1.0), torch.full((10,), 0.1))


def test_label_free_loss_is_the_worst_samples_mean_ignores_groups_and_is_plain_kd_at_fraction_one() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    x, y, group = _batch()
    objective = LabelFreeDistillation(teacher, (x, y, group), NUM_GROUPS, 4.0, 0.5, worst_fraction=0.25)
    objective.prepare(student, TrainConfig(), CPU)
    logits = student(x)
    per_sample = objective.per_sample(student, logits, x, y)
    worst_three = per_sample.topk(3).values.mean()
    torch.testing.assert_close(objective.loss(student, logits, x, y, group, 0), worst_three)
    torch.testing.assert_close(objective.loss(student, logits, x, y, torch.zeros_like(group), 0), worst_three)
    objective.worst_fraction = 1.0
    kd = Distillation(teacher, temperature=4.0, alpha=0.5)
    kd.prepare(student, TrainConfig(), CPU)
    for got, want in zip(_objective_gradient(objective, student), _gradients(kd.loss(student, logits, x, y, group, 0), student)):
        torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match=r"worst_fraction=0 must be in \(0, 1\]"):
        LabelFreeDistillation(teacher, (x, y, group), NUM_GROUPS, 4.0, 0.5, worst_fraction=0)
