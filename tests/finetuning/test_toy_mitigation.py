"""Does the fairness-aware finetune narrow the group loss gap where plain KD finetuning leaves it?

The paper's Figure 2 setting: a minority class inside a disk, a majority around it, an MLP
with half of its ReLUs linearized. Settings were fixed before looking at the outcome and the
seed is the first one tried; the toy is small enough to run in a few seconds.
"""

import copy

import torch
from torch import nn
from torch.nn import functional as F

from linearization_fairness.finetuning import FinetuneConfig, MitigateConfig, finetune, mitigate
from linearization_fairness.models import freeze_masks, relu_sites
from linearization_fairness.training import TrainConfig, train
from tests.factories import tiny_mlp

SEED = 0
MAJORITY, MINORITY = 0, 1
FINETUNE_TRAIN = {"epochs": 30, "lr": 0.05, "batch_size": 32, "device": "cpu", "progress": False}
REQUIRED_NARROWING = 0.02  # nats of cross-entropy; the gap itself is about 0.3-0.5


def disk_in_square(majority: int, minority: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Minority points fill the disk of radius 0.5, majority points the rest of [-1, 1]^2."""
    generator = torch.Generator().manual_seed(seed)
    candidates = torch.rand(4 * majority, 2, generator=generator) * 2 - 1
    outside = candidates[candidates.norm(dim=1) > 0.5][:majority]
    radius = 0.5 * torch.rand(minority, generator=generator).sqrt()
    angle = 2 * torch.pi * torch.rand(minority, generator=generator)
    inside = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    x = torch.cat([outside, inside]) + 0.05 * torch.randn(majority + minority, 2, generator=generator)
    y = torch.cat([torch.full((majority,), MAJORITY), torch.full((minority,), MINORITY)])
    return x, y, y.clone()


def loss_gap(model: nn.Module, split: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> float:
    """Worst minus best group's mean cross-entropy."""
    x, y, group = split
    with torch.no_grad():
        losses = F.cross_entropy(model(x), y, reduction="none")
    group_losses = [losses[group == g].mean().item() for g in (MAJORITY, MINORITY)]
    return max(group_losses) - min(group_losses)


def half_linearized_teacher_and_student(seed: int, train_split: tuple, val_split: tuple) -> tuple[nn.Module, nn.Module]:
    teacher = tiny_mlp([16, 16], seed, num_classes=2)
    base = TrainConfig(epochs=30, lr=0.1, batch_size=32, device="cpu", progress=False)
    train(teacher, train_split, val_split, base, seed=seed)
    student = copy.deepcopy(teacher)
    generator = torch.Generator().manual_seed(seed)
    half_kept = {name: torch.rand(site.shape, generator=generator) < 0.5 for name, site in relu_sites(student)}
    freeze_masks(student, half_kept)
    return teacher, student


def test_fairness_aware_finetune_narrows_the_group_loss_gap() -> None:
    train_split, val_split = disk_in_square(600, 60, SEED), disk_in_square(300, 30, SEED + 100)
    test_split = disk_in_square(2000, 200, SEED + 200)
    teacher, student = half_linearized_teacher_and_student(SEED, train_split, val_split)

    plain_config, mitigate_config = FinetuneConfig(train=FINETUNE_TRAIN), MitigateConfig(train=FINETUNE_TRAIN)
    plain = finetune(copy.deepcopy(student), teacher, train_split, val_split, plain_config, 2, SEED)
    mitigated = mitigate(copy.deepcopy(student), teacher, train_split, val_split, mitigate_config, 2, SEED)
    plain_gap, mitigated_gap = loss_gap(plain.model, test_split), loss_gap(mitigated.model, test_split)
    assert mitigated.history["lambda_1"].iloc[-1] > mitigated.history["lambda_0"].iloc[-1] > 0
    assert mitigated_gap < plain_gap - REQUIRED_NARROWING, f"plain gap {plain_gap:.3f}, mitigated {mitigated_gap:.3f}"
