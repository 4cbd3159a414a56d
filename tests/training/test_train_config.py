import math

import pytest
from pydantic import ValidationError

from linearization_fairness.training import TrainConfig, lr_multiplier


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"optimizer": "rmsprop"}, "train.optimizer='rmsprop' is unknown; use one of: sgd, adam"),
        ({"lr": 0}, "train.lr=0.0 must be > 0"),
        ({"epochs": 0}, "train.epochs=0 must be >= 1"),
        ({"batch_size": 0}, "train.batch_size=0 must be >= 1"),
        ({"schedule": "multistep"}, "needs train.milestones"),
        ({"schedule": "multistep", "epochs": 10, "milestones": [5, 10]}, "lie in \\[1, epochs-1=9\\]"),
        ({"milestones": [3]}, "only apply to schedule='multistep'"),
        ({"optimizer": "adam", "nesterov": True}, "nesterov=true needs optimizer='sgd'"),
        ({"device": "tpu"}, "use one of: auto, cpu, cuda"),
        ({"label_smoothing": 1.0}, "must be in \\[0, 1\\)"),
        ({"learning_rate": 0.1}, "learning_rate"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TrainConfig(**fields)


def test_multistep_schedule_decays_at_milestones() -> None:
    config = TrainConfig(schedule="multistep", epochs=160, milestones=[80, 120], gamma=0.1)
    factors = [lr_multiplier(config, epoch) for epoch in (0, 79, 80, 119, 120, 159)]
    assert factors == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_schedule_starts_at_one_and_stays_positive() -> None:
    config = TrainConfig(schedule="cosine", epochs=4)
    factors = [lr_multiplier(config, epoch) for epoch in range(4)]
    assert factors == pytest.approx([1.0, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5, 0.5 - 0.5 * math.cos(math.pi / 4)])
    assert lr_multiplier(TrainConfig(schedule="constant"), 7) == 1.0
