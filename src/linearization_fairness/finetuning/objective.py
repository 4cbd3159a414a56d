"""The KD finetuning objectives: plain (SNL's), fairness-aware (the paper's Algorithm 1) and
label-free (CVaR of the per-sample loss, which never reads a group id).

Both log the validation accuracy of every group after each epoch, so either can choose its
checkpoint on the worst group. The fairness-aware one adds, for every group g in the batch,

    lambda_g * |L_g - L|,   L = the batch's mean finetune loss, L_g = its mean over group g,

to the very same finetune loss, and raises lambda_g by mu times the epoch's violation of
L_g = L (projected dual ascent). Unlike the authors' released code, the penalty keeps its
gradient: wrapping it in torch.tensor(...) detaches it and leaves plain KD finetuning.
With penalty="excess" the term is lambda_g * (L_g - L)_+ with L held fixed (see `group_mean_gaps`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from linearization_fairness.training import Distillation, TrainConfig, evaluate_logits
from linearization_fairness.training.engine import Split


def check_group_ids(split_name: str, group: torch.Tensor, num_groups: int) -> None:
    """Fail early, with the fix, rather than with an index error deep inside a training step."""
    if torch.is_floating_point(group):
        raise ValueError(f"{split_name} group ids have dtype {group.dtype}; pass integer group ids")
    if len(group) and (int(group.min()) < 0 or int(group.max()) >= num_groups):
        raise ValueError(
            f"{split_name} group ids span [{int(group.min())}, {int(group.max())}] but num_groups={num_groups}; "
            f"ids must lie in [0, {num_groups - 1}]"
        )


def _unknown_penalty(penalty: str) -> ValueError:
    return ValueError(f"penalty={penalty!r}; use 'gap' (the paper's |L_g - L|) or 'excess' ((L_g - L)_+)")


def group_mean_gaps(
    per_sample: torch.Tensor, group: torch.Tensor, num_groups: int, penalty: str = "gap"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each group's constraint violation for every group id in [0, num_groups), and which groups
    are present. L is the mean of `per_sample`, L_g its mean over the samples of group g.

    penalty="gap": |L_g - L|, the paper's. Its gradient also flows through L and into the groups
    that do better than the mean, and it lowers their weight: with two groups of 91% and 9%,
    lambda_minority = 1 leaves the majority's samples a weight of about 0 and beyond that a
    negative one (gradient ascent on their loss). penalty="excess": (L_g - L)_+ with L held
    fixed, so a multiplier only ever adds weight lambda_g / n_g to the samples of a group that
    does worse than the mean, and no sample's weight falls below the plain finetune's.
    An absent group gets 0. Differentiable with respect to `per_sample`, with no host synchronisation.
    """
    sums = torch.zeros(num_groups, dtype=per_sample.dtype, device=per_sample.device).index_add(0, group, per_sample)
    counts = torch.bincount(group, minlength=num_groups)
    present = counts > 0
    group_means = sums / counts.clamp(min=1).to(per_sample.dtype)
    if penalty == "gap":
        violations = (group_means - per_sample.mean()).abs()
    elif penalty == "excess":
        violations = (group_means - per_sample.mean().detach()).clamp(min=0)
    else:
        raise _unknown_penalty(penalty)
    gaps = torch.where(present, violations, torch.zeros_like(group_means))
    return gaps, present


class MonitoredDistillation(Distillation):
    """SNL's KD finetuning loss, plus each group's validation accuracy after every epoch.

    Logs val_accuracy_<g> for every group present in `val` and val_worst_group_accuracy,
    their minimum, which `train(..., select_on="val_worst_group_accuracy")` can select on.
    """

    def __init__(self, teacher: nn.Module, val: Split, num_groups: int, temperature: float, alpha: float) -> None:
        super().__init__(teacher, temperature, alpha)
        if num_groups < 1:
            raise ValueError(f"num_groups={num_groups} must be >= 1")
        check_group_ids("val", val[2], num_groups)
        self.num_groups = num_groups
        self.val = val
        self.eval_batch_size = TrainConfig().eval_batch_size

    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        super().prepare(model, config, device)
        x, y, group = self.val
        self.val = (x.to(device), y.to(device).long(), group.to(device).long())
        self.eval_batch_size = config.eval_batch_size

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        return self._group_accuracies(evaluate_logits(model, self.val[0], self.eval_batch_size))

    def _group_accuracies(self, val_logits: torch.Tensor) -> dict[str, float]:
        _, y, group = self.val
        correct = (val_logits.argmax(dim=1) == y).to(torch.float64)
        hits = torch.bincount(group, weights=correct, minlength=self.num_groups)
        counts = torch.bincount(group, minlength=self.num_groups)
        accuracies = {
            f"val_accuracy_{group_id}": hit / count
            for group_id, (hit, count) in enumerate(zip(hits.tolist(), counts.tolist()))
            if count > 0
        }
        return accuracies | {"val_worst_group_accuracy": min(accuracies.values())}


class FairnessAwareDistillation(MonitoredDistillation):
    """KD finetuning + sum_g lambda_g * |L_g - L|, with the multipliers raised by dual ascent.

    update="epoch": lambda_g += mu * the mean of |L_g - L| over the epoch's batches that hold
    group g (violations_on="train"), or * |L_g - L| on a whole held-out split with the model in
    eval mode: the validation split (violations_on="val") or `heldout`, samples the student does
    not train on (violations_on="heldout"). update="batch": lambda_g += mu * |L_g - L| after every
    training step. Multipliers stay in [0, lambda_max]; groups outside `groups` keep lambda_g = 0.
    Logs lambda_<g> (after the epoch's update), violation_<g> (NaN if g was never measured) and
    the epoch's mean penalty.
    """

    _STATE_TENSORS = ("multipliers", "violation_sum", "batches_with_group", "penalty_sum", "batches")

    def __init__(
        self,
        teacher: nn.Module,
        val: Split,
        num_groups: int,
        temperature: float,
        alpha: float,
        mu: float,
        lambda_init: float = 0.0,
        lambda_max: float | None = None,
        update: str = "epoch",
        violations_on: str = "train",
        heldout: Split | None = None,
        groups: list[int] | None = None,
        penalty: str = "gap",
    ) -> None:
        super().__init__(teacher, val, num_groups, temperature, alpha)
        if penalty not in ("gap", "excess"):  # before training, not at its first step
            raise _unknown_penalty(penalty)
        if (violations_on == "heldout") != (heldout is not None):
            raise ValueError("pass a heldout split exactly when violations_on='heldout'")
        if heldout is not None:
            check_group_ids("heldout", heldout[2], num_groups)
        if groups is not None and max(groups) >= num_groups:
            raise ValueError(
                f"mitigate.groups={groups} names ids >= num_groups={num_groups}; group ids run 0..{num_groups - 1}"
            )
        if mu < 0 or lambda_init < 0 or (lambda_max is not None and lambda_init > lambda_max):
            raise ValueError(f"need mu >= 0 and 0 <= lambda_init <= lambda_max; got {mu}, {lambda_init}, {lambda_max}")
        self.mu = mu
        self.penalty = penalty
        self.lambda_max = lambda_max
        self.update = update
        self.violations_on = violations_on
        self.heldout = heldout
        self.groups = list(range(num_groups)) if groups is None else sorted(groups)
        self.constrained = torch.zeros(num_groups, dtype=torch.bool)
        self.constrained[self.groups] = True
        self.multipliers = torch.where(self.constrained, lambda_init, 0.0)
        # Epoch accumulators, kept on the device so a training step never waits for the host.
        self.violation_sum = torch.zeros(num_groups)
        self.batches_with_group = torch.zeros(num_groups)
        self.penalty_sum = torch.zeros(())
        self.batches = torch.zeros(())
        self.last_violation = torch.zeros(num_groups)

    def prepare(self, model: nn.Module, config: TrainConfig, device: torch.device) -> None:
        super().prepare(model, config, device)
        for name in (*self._STATE_TENSORS, "constrained", "last_violation"):
            setattr(self, name, getattr(self, name).to(device))
        if self.heldout is not None:
            x, y, group = self.heldout
            self.heldout = (x.to(device), y.to(device).long(), group.to(device).long())

    def loss(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        group: torch.Tensor,
        batch_index: int,
    ) -> torch.Tensor:
        per_sample = self.per_sample(model, logits, x, y)
        gaps, present = group_mean_gaps(per_sample, group.long(), self.num_groups, self.penalty)
        penalty = (self.multipliers * gaps).sum()
        with torch.no_grad():
            self.last_violation = gaps.detach()
            self.violation_sum += self.last_violation
            self.batches_with_group += present
            self.penalty_sum += penalty.detach()
            self.batches += 1
        return per_sample.mean() + penalty

    def after_step(self, model: nn.Module) -> None:
        if self.update == "batch":
            self._ascend(self.last_violation)

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        val_logits = evaluate_logits(model, self.val[0], self.eval_batch_size)
        if self.violations_on == "val":
            violations = self._held_out_violations(model, self.val, val_logits)
            measured = torch.bincount(self.val[2], minlength=self.num_groups) > 0
        elif self.violations_on == "heldout":
            heldout_logits = evaluate_logits(model, self.heldout[0], self.eval_batch_size)
            violations = self._held_out_violations(model, self.heldout, heldout_logits)
            measured = torch.bincount(self.heldout[2], minlength=self.num_groups) > 0
        else:
            violations = self.violation_sum / self.batches_with_group.clamp(min=1)
            measured = self.batches_with_group > 0
        if self.update == "epoch":
            self._ascend(violations)
        logged = {
            "penalty": (self.penalty_sum / self.batches.clamp(min=1)).item(),
            **{f"lambda_{g}": value for g, value in enumerate(self.multipliers.tolist())},
            **{
                f"violation_{g}": value if was_measured else float("nan")
                for g, (value, was_measured) in enumerate(zip(violations.tolist(), measured.tolist()))
            },
        }
        for accumulator in (self.violation_sum, self.batches_with_group, self.penalty_sum, self.batches):
            accumulator.zero_()
        return logged | self._group_accuracies(val_logits)

    def _ascend(self, violations: torch.Tensor) -> None:
        with torch.no_grad():
            step = torch.where(self.constrained, self.mu * violations, 0.0)
            self.multipliers = (self.multipliers + step).clamp(min=0.0, max=self.lambda_max)

    def _held_out_violations(self, model: nn.Module, split: Split, logits: torch.Tensor) -> torch.Tensor:
        """|L_g - L| of the finetune loss on the whole of `split` (teacher and student in eval mode)."""
        x, y, group = split
        size = self.eval_batch_size
        with torch.no_grad():
            per_sample = torch.cat([
                self.per_sample(model, logits[rows], x[rows], y[rows])
                for rows in (slice(start, start + size) for start in range(0, len(x), size))
            ])  # fmt: skip
        gaps, _ = group_mean_gaps(per_sample, group, self.num_groups, self.penalty)
        return gaps

    def state_dict(self) -> dict[str, Any]:
        # Copies: on the CPU .cpu() would hand out the live accumulators, which end_epoch zeroes.
        tensors = {name: getattr(self, name).detach().cpu().clone() for name in self._STATE_TENSORS}
        return {"settings": self._settings()} | tensors

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("settings") != self._settings():
            raise ValueError(
                f"the checkpoint's multipliers were made with {state.get('settings')}, not {self._settings()}; "
                "delete the checkpoint to start over or restore those settings"
            )
        for name in self._STATE_TENSORS:
            current = getattr(self, name)
            setattr(self, name, state[name].to(device=current.device, dtype=current.dtype).clone())

    def _settings(self) -> dict[str, Any]:
        return {
            "num_groups": self.num_groups,
            "groups": self.groups,
            "mu": self.mu,
            "lambda_max": self.lambda_max,
            "update": self.update,
            "violations_on": self.violations_on,
            "temperature": self.temperature,
            "alpha": self.alpha,
        }


def cvar_weights(per_sample: torch.Tensor, worst_fraction: float) -> torch.Tensor:
    """Weights of the batch's CVaR at level `worst_fraction`: 1/k on its k = ceil(fraction * N)
    largest losses, 0 elsewhere (sum 1; no gradient: the selection is piecewise constant).

    With fraction 1 every sample weighs 1/N, the plain mean; ties at the cut go to the lower index.
    """
    count = len(per_sample)
    k = max(1, math.ceil(worst_fraction * count - 1e-9))
    worst = torch.topk(per_sample.detach(), k, sorted=False).indices
    return torch.zeros_like(per_sample, requires_grad=False).index_fill(0, worst, 1.0 / k)


class LabelFreeDistillation(MonitoredDistillation):
    """KD finetuning on the mean of each batch's worst `worst_fraction` of per-sample losses (CVaR DRO).

    Training never reads the group ids; they serve only the validation accuracies it logs.
    """

    def __init__(
        self, teacher: nn.Module, val: Split, num_groups: int, temperature: float, alpha: float, worst_fraction: float
    ) -> None:
        super().__init__(teacher, val, num_groups, temperature, alpha)
        if not 0.0 < worst_fraction <= 1.0:
            raise ValueError(f"worst_fraction={worst_fraction} must be in (0, 1]; 1 is plain KD finetuning")
        self.worst_fraction = worst_fraction

    def loss(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        group: torch.Tensor,
        batch_index: int,
    ) -> torch.Tensor:
        per_sample = self.per_sample(model, logits, x, y)
        return (cvar_weights(per_sample, self.worst_fraction) * per_sample).sum()
