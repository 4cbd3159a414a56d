import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from linearization_fairness.finetuning import (
    FairnessAwareDistillation,
    FinetuneConfig,
    MitigateConfig,
    fig_multipliers,
    finetune,
    heldout_slice,
    mitigate,
    multiplier_history,
    multiplier_summary,
)
from linearization_fairness.models import freeze_masks, relu_sites, set_mask_mode
from linearization_fairness.training import train
from tests.factories import POINT_SHAPE, tiny_mlp, tiny_split

TRAIN = {"epochs": 3, "batch_size": 16, "lr": 0.05, "device": "cpu", "progress": False}
TRAIN_SPLIT, VAL_SPLIT = tiny_split(64, 1, POINT_SHAPE), tiny_split(24, 2, POINT_SHAPE)  # 2-D points, 3 classes


def _teacher_and_student() -> tuple[nn.Module, nn.Module]:
    teacher = tiny_mlp([8])
    student = copy.deepcopy(teacher)
    freeze_masks(student, {"relu1": torch.arange(8) % 2 == 0})
    return teacher, student


def test_mitigate_trains_weights_only_and_logs_multipliers_per_group() -> None:
    teacher, student = _teacher_and_student()
    weights_before = student.fc1.weight.detach().clone()
    config = MitigateConfig(train=TRAIN, select_on="val_worst_group_accuracy")
    result = mitigate(student, teacher, TRAIN_SPLIT, VAL_SPLIT, config, num_groups=3, seed=0)

    history = result.history
    for column in ["lambda_0", "lambda_2", "violation_1", "val_accuracy_0", "val_worst_group_accuracy", "penalty"]:
        assert column in history.columns
    assert history["lambda_0"].is_monotonic_increasing and (history["lambda_0"] > 0).all()
    assert result.best_epoch == int(history.loc[history["val_worst_group_accuracy"].idxmax(), "epoch"])
    site = dict(relu_sites(student))["relu1"]
    assert site.mode == "frozen" and torch.equal(site.keep, torch.arange(8) % 2 == 0)
    assert torch.equal(site.alpha, torch.ones(8))
    assert not torch.equal(student.fc1.weight, weights_before)


def test_the_heldout_slice_is_a_seeded_stratified_share_of_each_group() -> None:
    x, y, _ = TRAIN_SPLIT
    group = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(10, dtype=torch.long), torch.full((4,), 2)])
    rest, held = heldout_slice((x, y, group), 0.2, seed=0)
    assert torch.bincount(held[2]).tolist() == [10, 2, 1]
    assert torch.bincount(rest[2]).tolist() == [40, 8, 3]
    # Disjoint and together the whole split: every training row lands in exactly one part.
    rows = sorted(map(tuple, torch.cat([rest[0], held[0]]).tolist()))
    assert rows == sorted(map(tuple, x.tolist()))
    assert torch.equal(heldout_slice((x, y, group), 0.2, seed=0)[1][0], held[0])
    assert not torch.equal(heldout_slice((x, y, group), 0.2, seed=1)[1][0], held[0])


def test_mitigate_on_heldout_violations_never_trains_on_the_slice() -> None:
    """With mu = 0 the penalty is nil, so the run is plain finetuning of the data it trains on:
    exactly plain finetuning on the split less the slice, not on the whole split."""
    runs = {}
    rest, _ = heldout_slice(TRAIN_SPLIT, 0.25, seed=0)
    settings = {"mitigate": (MitigateConfig(train=TRAIN, violations_on="heldout", heldout_fraction=0.25, mu=0), TRAIN_SPLIT)}
    settings |= {"plain on the rest": (FinetuneConfig(train=TRAIN), rest), "plain on all": (FinetuneConfig(train=TRAIN), TRAIN_SPLIT)}
    for name, (config, split) in settings.items():
        teacher, student = _teacher_and_student()
        run = mitigate if isinstance(config, MitigateConfig) else finetune
        runs[name] = run(student, teacher, split, VAL_SPLIT, config, num_groups=3, seed=0).model.out.weight
    torch.testing.assert_close(runs["mitigate"], runs["plain on the rest"])
    assert not torch.allclose(runs["mitigate"], runs["plain on all"])


def test_finetune_is_reproducible_and_logs_group_accuracies() -> None:
    config = FinetuneConfig(train=TRAIN)
    runs = []
    for seed in (0, 0, 1):
        teacher, student = _teacher_and_student()
        runs.append(finetune(student, teacher, TRAIN_SPLIT, VAL_SPLIT, config, num_groups=3, seed=seed))
    assert torch.equal(runs[0].model.out.weight, runs[1].model.out.weight)
    assert not torch.equal(runs[0].model.out.weight, runs[2].model.out.weight)
    assert {"val_accuracy_0", "val_accuracy_2", "val_worst_group_accuracy"} <= set(runs[0].history.columns)
    assert "lambda_0" not in runs[0].history.columns


def test_wrong_students_and_group_ids_are_refused() -> None:
    teacher, student = _teacher_and_student()
    config = MitigateConfig(train=TRAIN)
    with pytest.raises(ValueError, match="same module"):
        mitigate(teacher, teacher, TRAIN_SPLIT, VAL_SPLIT, config, num_groups=3, seed=0)
    with pytest.raises(ValueError, match=r"train group ids span \[0, 2\] but num_groups=2"):
        mitigate(student, teacher, TRAIN_SPLIT, VAL_SPLIT, config, num_groups=2, seed=0)
    set_mask_mode(student, "train")
    with pytest.raises(ValueError, match="trainable masks.*freeze_masks"):
        finetune(student, teacher, TRAIN_SPLIT, VAL_SPLIT, FinetuneConfig(train=TRAIN), num_groups=3, seed=0)
    set_mask_mode(student, "frozen")
    with pytest.raises(ValueError, match=r"train group ids span \[0, 2\] but num_groups=2"):
        finetune(student, teacher, TRAIN_SPLIT, VAL_SPLIT, FinetuneConfig(train=TRAIN), num_groups=2, seed=0)


class KilledAfterEpoch(FairnessAwareDistillation):
    def __init__(self, *args: Any, killed_at: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.killed_at = killed_at

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        if epoch == self.killed_at:
            raise RuntimeError("killed")
        return super().end_epoch(model, epoch, metrics)


def test_a_resumed_run_continues_the_multipliers(tmp_path: Path) -> None:
    config = MitigateConfig(train=TRAIN | {"epochs": 4})

    def run(killed_at: int | None, mu: float = config.mu, checkpoint: str = "ckpt.pt") -> pd.DataFrame:
        teacher, student = _teacher_and_student()
        objective = KilledAfterEpoch(teacher, VAL_SPLIT, 3, 4.0, 0.5, mu=mu, killed_at=killed_at)
        return train(student, TRAIN_SPLIT, VAL_SPLIT, config.train, objective, tmp_path / checkpoint, seed=0).history

    uninterrupted = run(None, checkpoint="uninterrupted.pt")
    with pytest.raises(RuntimeError, match="killed"):
        run(killed_at=3)
    with pytest.raises(ValueError, match="delete the checkpoint"):
        run(None, mu=0.5)
    resumed = run(None)
    columns = ["epoch", "train_loss", "lambda_0", "lambda_1", "lambda_2", "violation_1", "val_worst_group_accuracy"]
    assert resumed[columns].equals(uninterrupted[columns])


def test_multiplier_history_is_long_and_its_figure_has_a_line_per_group() -> None:
    history = pd.DataFrame({
        "epoch": [1, 2], "train_loss": [0.5, 0.4],
        "lambda_0": [0.1, 0.2], "lambda_1": [0.3, 0.5], "violation_0": [2.0, 2.0], "violation_1": [6.0, 4.0],
    })  # fmt: skip
    long = multiplier_history(history)
    assert list(long.columns) == ["epoch", "group", "lambda", "violation"]
    assert long.values.tolist() == [[1, 0, 0.1, 2.0], [1, 1, 0.3, 6.0], [2, 0, 0.2, 2.0], [2, 1, 0.5, 4.0]]

    figure = fig_multipliers({"seed 0": long}, ["majority", "minority"])
    assert isinstance(figure, Figure)
    lambda_axes, violation_axes = figure.axes
    assert [line.get_label() for line in lambda_axes.lines] == ["0: majority", "1: minority"]
    assert list(violation_axes.lines[1].get_ydata()) == [6.0, 4.0]
    assert lambda_axes.get_title() == "seed 0: Lagrange multipliers"
    assert len(fig_multipliers({"seed 0": long, "seed 1": long}, ["majority", "minority"]).axes) == 4  # a row per run

    with pytest.raises(ValueError, match="no lambda_<g> columns"):
        multiplier_history(history[["epoch", "train_loss"]])
    with pytest.raises(ValueError, match=r"group ids \[1\] have no name"):
        fig_multipliers({"seed 0": long}, {0: "majority"})
    with pytest.raises(ValueError, match="pass the output of multiplier_history"):
        fig_multipliers({"seed 0": history}, ["majority", "minority"])


def test_multiplier_summary_gives_each_groups_final_multiplier_and_its_violations() -> None:
    history = pd.DataFrame({
        "epoch": [1, 2, 3], "lambda_0": [0.1, 0.2, 0.4], "lambda_1": [0.0, 0.0, 0.0],
        "violation_0": [2.0, 2.0, 4.0], "violation_1": [float("nan")] * 3,
    })  # fmt: skip
    summary = multiplier_summary(history)
    assert summary["group_id"].tolist() == [0, 1]
    assert summary["final_lambda"].tolist() == pytest.approx([0.4, 0.0])
    assert summary["mean_violation"].iloc[0] == pytest.approx(8 / 3)
    assert summary["final_violation"].iloc[0] == pytest.approx(4.0)
    assert summary[["mean_violation", "final_violation"]].iloc[1].isna().all()  # never measured
