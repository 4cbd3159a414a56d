import math

import pytest
from pydantic import BaseModel, ValidationError

from linearization_fairness.training import TrainConfig, lr_multiplier
from linearization_fairness.training.config import stage_train


@pytest.mark.parametrize(
    ("fields", "location", "message"),
    [
        ({"optimizer": "rmsprop"}, ("optimizer",), "Input should be 'sgd' or 'adam'"),
        ({"lr": 0}, ("lr",), "Input should be greater than 0"),
        ({"epochs": 0}, ("epochs",), "Input should be greater than 0"),
        ({"batch_size": 0}, ("batch_size",), "Input should be greater than 0"),
        ({"schedule": "multistep"}, (), "schedule 'multistep' needs milestones"),
        ({"schedule": "multistep", "epochs": 10, "milestones": [5, 10]}, (), "increase strictly within 1..9"),
        ({"milestones": [3]}, (), "milestones only apply to schedule 'multistep'"),
        ({"optimizer": "adam", "nesterov": True}, (), "nesterov: true needs optimizer 'sgd'"),
        ({"device": "tpu"}, ("device",), "Input should be 'auto', 'cpu' or 'cuda'"),
        ({"label_smoothing": 1.0}, ("label_smoothing",), "Input should be less than 1"),
        ({"learning_rate": 0.1}, ("learning_rate",), "Extra inputs are not permitted"),
        ({"seed": 3}, ("seed",), "Extra inputs are not permitted"),  # the seed is an argument of train()
    ],
)
def test_bad_settings_fail_with_a_clear_message(fields: dict, location: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        TrainConfig(**fields)
    (only,) = error.value.errors()
    assert only["loc"] == location
    assert message in only["msg"]


def test_a_valid_multistep_schedule_is_accepted() -> None:
    assert TrainConfig(schedule="multistep", epochs=10, milestones=[5, 9]).milestones == [5, 9]


def test_a_stage_recipe_fills_what_a_partial_train_block_leaves_out() -> None:
    class Stage(BaseModel):
        train: stage_train(optimizer="adam", lr=1e-3, epochs=7)

    assert Stage().train == TrainConfig(optimizer="adam", lr=1e-3, epochs=7)
    assert Stage(train={"lr": 0.05}).train == TrainConfig(optimizer="adam", lr=0.05, epochs=7)
    given = TrainConfig(epochs=2)
    assert Stage(train=given).train == given  # a whole TrainConfig is taken as is


def test_multistep_schedule_decays_at_milestones() -> None:
    config = TrainConfig(schedule="multistep", epochs=160, milestones=[80, 120], gamma=0.1)
    factors = [lr_multiplier(config, epoch) for epoch in (0, 79, 80, 119, 120, 159)]
    assert factors == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_schedule_starts_at_one_and_stays_positive() -> None:
    config = TrainConfig(schedule="cosine", epochs=4)
    factors = [lr_multiplier(config, epoch) for epoch in range(4)]
    assert factors == pytest.approx([1.0, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5, 0.5 - 0.5 * math.cos(math.pi / 4)])
    assert lr_multiplier(TrainConfig(schedule="constant"), 7) == 1.0
