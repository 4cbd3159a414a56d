"""Finetune a linearized student against its all-ReLU teacher: plainly, fairness-aware, or label-free.

All are the one training engine with a different objective; the masks of the student stay
as they are (only weights train), and the checkpoint is chosen on the validation split.
"""

from __future__ import annotations

import os

import numpy as np
from torch import nn

from linearization_fairness.data.splits import stratified_split
from linearization_fairness.finetuning.config import FinetuneConfig, LabelFreeConfig, MitigateConfig
from linearization_fairness.finetuning.objective import (
    FairnessAwareDistillation,
    LabelFreeDistillation,
    MonitoredDistillation,
    check_group_ids,
)
from linearization_fairness.models import relu_sites
from linearization_fairness.training import TrainResult
from linearization_fairness.training.engine import Split
from linearization_fairness.training import train as run_training


def finetune(
    student: nn.Module,
    teacher: nn.Module,
    train: Split,
    val: Split,
    config: FinetuneConfig,
    num_groups: int,
    seed: int,
    checkpoint_path: str | os.PathLike | None = None,
) -> TrainResult:
    """SNL's KD finetuning of `student` in place."""
    _check_pair(student, teacher, train, num_groups)
    objective = MonitoredDistillation(teacher, val, num_groups, config.temperature, config.kd_alpha)
    return run_training(student, train, val, config.train, objective, checkpoint_path, config.select_on, seed)


def mitigate(
    student: nn.Module,
    teacher: nn.Module,
    train: Split,
    val: Split,
    config: MitigateConfig,
    num_groups: int,
    seed: int,
    checkpoint_path: str | os.PathLike | None = None,
) -> TrainResult:
    """The paper's fairness-aware finetuning of `student` in place.

    The history carries lambda_<g>, violation_<g> and val_accuracy_<g> per epoch (see
    `multiplier_history`). `config.select_on` may be "val_worst_group_accuracy". With
    violations_on="heldout" the student trains on `train` less the slice `heldout_slice` carves.
    """
    _check_pair(student, teacher, train, num_groups)
    heldout = None
    if config.violations_on == "heldout":
        train, heldout = heldout_slice(train, config.heldout_fraction, seed)
    objective = FairnessAwareDistillation(
        teacher,
        val,
        num_groups,
        temperature=config.temperature,
        alpha=config.kd_alpha,
        mu=config.mu,
        lambda_init=config.lambda_init,
        lambda_max=config.lambda_max,
        update=config.update,
        violations_on=config.violations_on,
        heldout=heldout,
        groups=config.groups,
        penalty=config.penalty,
    )
    return run_training(student, train, val, config.train, objective, checkpoint_path, config.select_on, seed)


def label_free(
    student: nn.Module,
    teacher: nn.Module,
    train: Split,
    val: Split,
    config: LabelFreeConfig,
    num_groups: int,
    seed: int,
    checkpoint_path: str | os.PathLike | None = None,
) -> TrainResult:
    """KD finetuning of `student` in place on each batch's worst `config.worst_fraction` of samples
    (CVaR DRO): the training loss never sees a group id."""
    _check_pair(student, teacher, train, num_groups)
    objective = LabelFreeDistillation(
        teacher, val, num_groups, config.temperature, config.kd_alpha, config.worst_fraction
    )
    return run_training(student, train, val, config.train, objective, checkpoint_path, config.select_on, seed)


def heldout_slice(train: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """(the rest, the slice): `fraction` of each group's samples of `train`, drawn by `seed`; each
    group keeps at least one sample in the rest, and a group too small for round(fraction * n) >= 1
    sends none to the slice (its violation is then not measured)."""
    rest, held, _ = stratified_split(train[2].numpy(), fraction, 0.0, np.random.default_rng(seed))
    return tuple(part[rest] for part in train), tuple(part[held] for part in train)


def _check_pair(student: nn.Module, teacher: nn.Module, train: Split, num_groups: int) -> None:
    if student is teacher:
        raise ValueError("student and teacher are the same module; pass a linearized copy as the student")
    searching = [name for name, site in relu_sites(student) if site.mode == "train"]
    if searching:
        raise ValueError(
            f"{len(searching)} ReLU sites of the student still have trainable masks (e.g. {searching[0]}); "
            "finetuning trains weights only: binarise them with freeze_masks(student, keep_masks(student)) first"
        )
    check_group_ids("train", train[2], num_groups)
