from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from linearization_fairness.training import CrossEntropy, NonFiniteLossError, TrainConfig, evaluate_logits, train
from tests.factories import tiny_mlp, tiny_resnet, tiny_split

CONFIG = TrainConfig(
    epochs=4, batch_size=16, lr=0.05, schedule="cosine", augment=True, augment_padding=1, device="cpu", progress=False
)
SEED = 3
HISTORY_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"]


def _assert_same_weights(first: nn.Module, second: nn.Module) -> None:
    first_state, second_state = first.state_dict(), second.state_dict()
    assert first_state.keys() == second_state.keys()
    for key, value in first_state.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, second_state[key]), key


class CountingObjective(CrossEntropy):
    """Objective state that changes every epoch, and a crash that simulates a killed run."""

    def __init__(self, crash_at_epoch: int | None = None) -> None:
        self.epochs_seen = 0
        self.crash_at_epoch = crash_at_epoch

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        if epoch == self.crash_at_epoch:
            raise RuntimeError("killed")
        self.epochs_seen += 1
        return {"epochs_seen": self.epochs_seen}

    def state_dict(self) -> dict[str, Any]:
        return {"epochs_seen": self.epochs_seen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epochs_seen = state["epochs_seen"]


def test_same_seed_gives_the_same_weights_bit_for_bit() -> None:
    first = train(tiny_resnet(0), tiny_split(40, 1), tiny_split(12, 2), CONFIG, seed=SEED)
    second = train(tiny_resnet(0), tiny_split(40, 1), tiny_split(12, 2), CONFIG, seed=SEED)
    other_seed = train(tiny_resnet(0), tiny_split(40, 1), tiny_split(12, 2), CONFIG, seed=SEED + 1)
    _assert_same_weights(first.model, second.model)
    assert not torch.equal(first.model.fc.weight, other_seed.model.fc.weight)
    assert list(first.history.columns) == HISTORY_COLUMNS
    assert first.history["epoch"].tolist() == [1, 2, 3, 4]
    assert first.stopped_reason == "completed"


def test_resumed_run_ends_identical_to_an_uninterrupted_one(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    data = (tiny_split(40, 1), tiny_split(12, 2))
    uninterrupted = train(tiny_resnet(0), *data, CONFIG, CountingObjective(), seed=SEED)

    with pytest.raises(RuntimeError, match="killed"):
        train(tiny_resnet(0), *data, CONFIG, CountingObjective(crash_at_epoch=3), checkpoint, seed=SEED)
    assert checkpoint.exists()
    with pytest.raises(ValueError, match="lr: 0.05 -> 0.01"):
        train(tiny_resnet(0), *data, CONFIG.model_copy(update={"lr": 0.01}), CountingObjective(), checkpoint, seed=SEED)
    with pytest.raises(ValueError, match="seed: 3 -> 4"):
        train(tiny_resnet(0), *data, CONFIG, CountingObjective(), checkpoint, seed=SEED + 1)

    # A differently initialised model proves that the checkpoint, not the init, drives the rest.
    resumed = train(tiny_resnet(7), *data, CONFIG, CountingObjective(), checkpoint, seed=SEED)
    _assert_same_weights(resumed.model, uninterrupted.model)
    assert resumed.best_epoch == uninterrupted.best_epoch
    columns = ["epoch", "train_loss", "val_accuracy", "lr", "epochs_seen"]
    assert resumed.history[columns].equals(uninterrupted.history[columns])
    assert resumed.history["epochs_seen"].tolist() == [1, 2, 3, 4]

    # The finished run stays checkpointed until its caller has saved the result: a crash in
    # between resumes without a single epoch trained again.
    objective = CountingObjective(crash_at_epoch=1)  # any epoch trained again would crash
    again = train(tiny_resnet(7), *data, CONFIG, objective, checkpoint, seed=SEED)
    _assert_same_weights(again.model, uninterrupted.model)
    assert again.history[columns].equals(uninterrupted.history[columns])


class PoisonedAfterFirstEpoch(CrossEntropy):
    poisoned = False

    def loss(
        self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, index: int
    ) -> torch.Tensor:
        loss = super().loss(model, logits, x, y, group, index)
        return loss * float("nan") if self.poisoned else loss

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        self.poisoned = True
        return {}


def test_non_finite_loss_stops_with_the_epoch_and_the_usual_fixes(tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"epochs": 3, "augment": False})
    expected = "loss became nan in epoch 2 of 3.*lower the learning rate.*normalisation.*ckpt.pt holds the last good"
    with pytest.raises(NonFiniteLossError, match=expected):
        train(
            tiny_resnet(0), tiny_split(32, 1), tiny_split(8, 2), config, PoisonedAfterFirstEpoch(), tmp_path / "ckpt.pt",
            seed=SEED,
        )


class ShiftingTarget(CrossEntropy):
    """Pulls every prediction to class 0 in epoch 1, then to class 1."""

    target = 0

    def per_sample(self, model: nn.Module, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, torch.full_like(y, self.target), reduction="none")

    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        self.target = 1
        return {}


@pytest.mark.parametrize(
    ("select_on", "best_epoch", "predicted"), [("val_accuracy", 1, 0), ("val_loss", 1, 0), (None, 3, 1)]
)
def test_keeps_the_best_validation_epoch_not_the_last(select_on: str | None, best_epoch: int, predicted: int) -> None:
    generator = torch.Generator().manual_seed(0)
    zeros = torch.zeros(64, dtype=torch.long)
    train_split = (torch.randn(64, 2, generator=generator), zeros, zeros)
    val_split = (torch.randn(32, 2, generator=generator), zeros[:32], zeros[:32])
    config = TrainConfig(
        optimizer="adam", lr=0.05, epochs=3, batch_size=8, schedule="constant", device="cpu", progress=False
    )
    model = tiny_mlp([8])

    result = train(model, train_split, val_split, config, ShiftingTarget(), select_on=select_on)

    assert result.history["val_accuracy"].tolist()[0] == 1.0 and result.history["val_accuracy"].tolist()[-1] == 0.0
    assert result.best_epoch == best_epoch
    assert evaluate_logits(result.model, val_split[0]).argmax(dim=1).eq(predicted).all()


class StopsAtEpochTwo(CrossEntropy):
    def end_epoch(self, model: nn.Module, epoch: int, metrics: dict[str, float]) -> dict[str, Any]:
        return {"stop": "budget reached"} if epoch == 2 else {}


def test_objective_can_stop_training_early() -> None:
    result = train(tiny_resnet(0), tiny_split(32, 1), tiny_split(8, 2), CONFIG, StopsAtEpochTwo(), seed=SEED)
    assert result.stopped_reason == "budget reached"
    assert result.history["epoch"].tolist() == [1, 2]


def test_evaluate_logits_batches_in_eval_mode_and_restores_the_mode() -> None:
    model = tiny_resnet(0).train()
    x = torch.randn(10, 1, 8, 8)
    logits = evaluate_logits(model, x, batch_size=3)
    assert model.training
    with torch.no_grad():
        expected = model.eval()(x)
    torch.testing.assert_close(logits, expected)


def test_bad_splits_are_rejected() -> None:
    x, y, group = tiny_split(8, 1)
    with pytest.raises(ValueError, match="pass integer class indices"):
        train(tiny_resnet(0), (x, y.float(), group), (x, y, group), CONFIG)
    with pytest.raises(ValueError, match="same length"):
        train(tiny_resnet(0), (x, y[:4], group), (x, y, group), CONFIG)
    with pytest.raises(ValueError, match="augment=true needs images"):
        train(tiny_resnet(0), (x.flatten(1), y, group), (x, y, group), CONFIG)
