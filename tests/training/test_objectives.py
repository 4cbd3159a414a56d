import pytest
import torch
from torch.nn import functional as F

from linearization_fairness.models import set_mask_mode
from linearization_fairness.training import CrossEntropy, Distillation, TrainConfig, default_param_groups
from tests.factories import tiny_mlp

CPU = torch.device("cpu")


def test_distillation_per_sample_matches_the_kd_formula() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    objective = Distillation(teacher, temperature=4.0, alpha=0.3)
    objective.prepare(student, TrainConfig(), CPU)
    x, y = torch.randn(5, 2), torch.tensor([0, 1, 2, 0, 1])
    logits = student(x)

    teacher_probs = F.softmax(teacher(x) / 4.0, dim=1)
    kl = (teacher_probs * (teacher_probs.log() - F.log_softmax(logits / 4.0, dim=1))).sum(dim=1)
    ce = F.cross_entropy(logits, y, reduction="none")
    expected = 0.7 * ce + 0.3 * 16.0 * kl

    per_sample = objective.per_sample(student, logits, x, y)
    torch.testing.assert_close(per_sample, expected)
    torch.testing.assert_close(objective.loss(student, logits, x, y, y, 0), expected.mean())


def test_distillation_from_itself_is_cross_entropy_scaled() -> None:
    model = tiny_mlp([6], 0)
    objective = Distillation(model, temperature=2.0, alpha=0.4)
    objective.prepare(model, TrainConfig(), CPU)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 2])
    logits = model(x)
    expected = 0.6 * F.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(objective.per_sample(model, logits, x, y), expected)


def test_teacher_is_frozen_in_eval_mode_and_gets_no_gradient() -> None:
    student, teacher = tiny_mlp([6], 0), tiny_mlp([6], 1)
    objective = Distillation(teacher)
    objective.prepare(student, TrainConfig(), CPU)
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 2])
    objective.loss(student, student(x), x, y, y, 0).backward()
    assert all(p.grad is not None for p in student.parameters() if p.requires_grad)
    assert all(p.grad is None for p in teacher.parameters())


def test_label_smoothing_comes_from_the_train_config() -> None:
    model = tiny_mlp([6], 0)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 2])
    objective = CrossEntropy()
    objective.prepare(model, TrainConfig(label_smoothing=0.2), CPU)
    expected = F.cross_entropy(model(x), y, label_smoothing=0.2)
    torch.testing.assert_close(objective.loss(model, model(x), x, y, y, 0), expected)


@pytest.mark.parametrize(("temperature", "alpha"), [(0.0, 0.5), (4.0, 1.5)])
def test_bad_distillation_settings_are_rejected(temperature: float, alpha: float) -> None:
    with pytest.raises(ValueError, match="distillation"):
        Distillation(tiny_mlp([6], 0), temperature=temperature, alpha=alpha)


def test_default_param_groups_give_masks_their_own_group_without_weight_decay() -> None:
    model = tiny_mlp([6], 0)
    config = TrainConfig(lr=0.05, weight_decay=1e-3)
    groups = default_param_groups(model, config)
    assert [(len(g["params"]), g["lr"], g["weight_decay"]) for g in groups] == [(4, 0.05, 1e-3)]
    set_mask_mode(model, "train")
    groups = default_param_groups(model, config)
    assert [(len(g["params"]), g["weight_decay"]) for g in groups] == [(4, 1e-3), (1, 0.0)]
