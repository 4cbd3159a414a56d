"""SNL, Selective Network Linearization (Cho et al., ICML 2022): learn which ReLU pixels to keep.

Every ReLU pixel gets a mask alpha in [0, 1] (init 1): out = alpha * relu(x) + (1 - alpha) * x.
The mask search trains weights and masks together on

    (1 - kd_alpha) * CE + kd_alpha * T^2 * KL(teacher || student) + lambda * ||alpha||_1,

with the all-ReLU base model as the teacher. After a warm-up, lambda grows by a constant factor
whenever an epoch fails to bring the count of masks above the threshold to a new low; the search
stops once that count is within the budget. The masks are then binarised to keep exactly
`budget` pixels (the largest alphas) and frozen. Finetuning the weights of the binarised model
is a later stage; the model returned here carries the searched weights SNL finetunes from.

The schedule looks at the budget only to stop, so the search for the smallest of several budgets
passes, epoch for epoch, through where the search for each larger one stops: one search serves
them all (`snl_search`), snapshotting the model the first time the count falls within each budget.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat
from torch import nn

from linearization_fairness.linearization.budgets import Budgets, resolve_budget
from linearization_fairness.linearization.method import LinearizeResult, Run
from linearization_fairness.linearization.sites import linearizable_copy, masks_from_flat
from linearization_fairness.models import (
    clamp_masks_,
    freeze_masks,
    mask_parameters,
    portable_state_dict,
    relu_count,
    relu_sites,
    set_mask_mode,
    total_relu_sites,
    weight_parameters,
)
from linearization_fairness.training import Distillation, TrainConfig, engine
from linearization_fairness.training.config import stage_train
from linearization_fairness.training.engine import Split, TrainResult


class SNLConfig(BaseModel):
    """SNL's mask search (Cho et al. 2022); the defaults are SNL's own values.

    Loss: (1 - kd_alpha) * CE + kd_alpha * T^2 * KL(teacher || student) + lambda * ||alpha||_1.
    The search stops at the budget or after `train.epochs` epochs, whichever comes first.
    mask_lr: SNL trains masks and weights at one lr; with few steps per epoch on small data the
    masks then barely move, so they get their own, larger lr (Adam 0.02 worked on a CPU trial).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    budgets: Budgets
    lambda_init: PositiveFloat = 1e-5
    lambda_growth: float = Field(1.1, gt=1)
    warmup_epochs: int = Field(5, ge=0)
    threshold: float = Field(1e-2, gt=0, lt=1)
    temperature: PositiveFloat = 4.0
    kd_alpha: float = Field(0.5, ge=0, le=1)
    mask_lr: PositiveFloat = 0.02
    # SNL's search: Adam at lr 1e-3 on the weights, no schedule, at most 100 epochs.
    train: stage_train(optimizer="adam", lr=1e-3, weight_decay=0.0, schedule="constant", epochs=100)


class MaskSearch(Distillation):
    """The SNL search objective: KD + CE + lambda * L1(masks), with the lambda schedule in end_epoch.

    It stops at the smallest of `budgets`; for every budget it keeps a snapshot (weights, buffers,
    masks) of the first epoch whose count is within it, where a search for that budget alone stops.
    """

    def __init__(self, teacher: nn.Module, budgets: Sequence[int], config: SNLConfig) -> None:
        super().__init__(teacher, temperature=config.temperature, alpha=config.kd_alpha)
        if not budgets:
            raise ValueError("the SNL search needs at least one budget")
        self.budgets = sorted(set(budgets), reverse=True)
        self.config = config
        self.penalty_weight = config.lambda_init
        self.lowest_count: int | None = None
        # budget -> {"epoch", "relu_count", "state"}: plain values and CPU tensors, so they checkpoint.
        self.snapshots: dict[int, dict[str, Any]] = {}
        self.masks: list[nn.Parameter] = []

    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        super().prepare(model, config, device)
        self.masks = mask_parameters(model)
        if not self.masks:
            raise ValueError("the SNL search needs sites in 'train' mode; call set_mask_mode(model, 'train') first")

    def param_groups(self, model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
        return [
            {"params": weight_parameters(model), "lr": config.lr, "weight_decay": config.weight_decay},
            {"params": mask_parameters(model), "lr": self.config.mask_lr, "weight_decay": 0.0},
        ]

    def mask_l1(self) -> torch.Tensor:
        return torch.stack([mask.abs().sum() for mask in self.masks]).sum()

    def loss(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        group: torch.Tensor,
        batch_index: int,
    ) -> torch.Tensor:
        return self.per_sample(model, logits, x, y).mean() + self.penalty_weight * self.mask_l1()

    def after_step(self, model: nn.Module) -> None:
        clamp_masks_(model)

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        count = relu_count(model)
        row: dict[str, Any] = {"lambda": self.penalty_weight, "relu_count": count, "mask_l1": self.mask_l1().item()}
        for budget in self.budgets:
            if count <= budget and budget not in self.snapshots:
                self.snapshots[budget] = {"epoch": epoch, "relu_count": count, "state": portable_state_dict(model)}
        smallest = self.budgets[-1]
        if count <= smallest:
            row["stop"] = f"reached {count} masks above {self.config.threshold:g} for a budget of {smallest}"
        elif epoch > self.config.warmup_epochs and self.lowest_count is not None and count >= self.lowest_count:
            self.penalty_weight *= self.config.lambda_growth
        self.lowest_count = count if self.lowest_count is None else min(self.lowest_count, count)
        return row

    def state_dict(self) -> dict[str, Any]:
        return {
            "penalty_weight": self.penalty_weight,
            "lowest_count": self.lowest_count,
            "budgets": self.budgets,
            "snapshots": self.snapshots,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # The engine checks the training settings; which snapshots are due is this objective's to check.
        if state.get("budgets") != self.budgets:
            raise ValueError(
                f"the checkpoint holds an SNL search for budgets {state.get('budgets')}, not {self.budgets}; "
                "delete it to start the search over"
            )
        self.penalty_weight = state["penalty_weight"]
        self.lowest_count = state["lowest_count"]
        self.snapshots = state["snapshots"]


def top_k_masks(model: nn.Module, budget: int) -> dict[str, torch.Tensor]:
    """Keep the `budget` pixels with the largest alphas; among equal alphas the earlier pixel in
    network order wins (a stable sort), so the result never depends on the device's topk."""
    alphas = torch.cat([site.alpha.detach().flatten() for _, site in relu_sites(model)])
    order = torch.sort(alphas, descending=True, stable=True).indices
    keep = torch.zeros_like(alphas, dtype=torch.bool)
    keep[order[:budget]] = True
    return masks_from_flat(model, keep)


def snl_search(
    base_model: nn.Module,
    train: Split,
    val: Split,
    budgets: Sequence[int],
    config: SNLConfig,
    seed: int,
    checkpoint_path: str | os.PathLike | None = None,
) -> list[LinearizeResult]:
    """One SNL mask search on a copy of `base_model` for all `budgets`; element i is binarised to
    exactly budgets[i] ReLUs and is, bit for bit on the CPU, what a search for budgets[i] alone gives.

    `seed` fixes the search's shuffling; `checkpoint_path` makes it resumable, the lambda
    schedule and the snapshots taken so far included.
    """
    total = total_relu_sites(base_model)
    for budget in budgets:
        if not 1 <= budget <= total:
            raise ValueError(f"SNL budget={budget} must be a ReLU count in 1..{total}; resolve fractions first")
    teacher = linearizable_copy(base_model)
    student = linearizable_copy(base_model)
    set_mask_mode(student, "train")
    with torch.no_grad():
        for _, site in relu_sites(student):
            site.alpha.fill_(1.0)
            site.threshold = config.threshold

    objective = MaskSearch(teacher, budgets, config)
    search = engine.train(
        student,
        train,
        val,
        config.train,
        objective,
        checkpoint_path,
        select_on=None,  # the search must end on its last epoch, where the masks are sparsest
        seed=seed,
    )
    return [_binarised(search, objective.snapshots.get(budget), budget, config) for budget in budgets]


def _binarised(search: TrainResult, snapshot: dict[str, Any] | None, budget: int, config: SNLConfig) -> LinearizeResult:
    """Where a search for `budget` alone ends: at its snapshot, or where the search ran out of epochs."""
    model = copy.deepcopy(search.model)
    if snapshot is None:
        epochs_run, count = len(search.history), relu_count(model)
        message = (
            f"stopped at epoch {epochs_run} with {count} masks above {config.threshold:g} for a budget of "
            f"{budget}; raise linearize.snl.train.epochs or lambda_growth"
        )
    else:
        model.load_state_dict(snapshot["state"])
        epochs_run, count = snapshot["epoch"], snapshot["relu_count"]
        message = f"reached {count} masks above {config.threshold:g} at epoch {epochs_run} for a budget of {budget}"
    freeze_masks(model, top_k_masks(model, budget))
    return LinearizeResult(
        model=model, message=message, reached_budget=snapshot is not None, history=search.history.head(epochs_run)
    )


def search(base_model: nn.Module, budgets: Sequence[int | float], config: SNLConfig, run: Run) -> list[LinearizeResult]:
    """The registry's entry point: one search for the budgets as declared, resolved against the base model."""
    total = total_relu_sites(base_model)
    counts = [resolve_budget(budget, total) for budget in budgets]
    return snl_search(base_model, run.train, run.val, counts, config, run.seed, run.checkpoint_path)


def linearize(base_model: nn.Module, budget: int | float, config: SNLConfig, run: Run) -> LinearizeResult:
    """One budget searched alone, which is what `search` must give each of its budgets."""
    (result,) = search(base_model, [budget], config, run)
    return result
