import pytest
from pydantic import ValidationError

from linearization_fairness.metrics.config import MetricsConfig


def test_defaults_are_valid() -> None:
    config = MetricsConfig()
    assert config.hessian_iters == 100
    assert config.grad_norm_batch_size == 128


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hessian_iters": 0}, "Input should be greater than 0"),
        ({"per_sample_batch_size": -4}, "Input should be greater than 0"),
        ({"hessian_tol": 0.0}, "Input should be greater than 0"),
        ({"hessian_seed": -1}, "Input should be greater than or equal to 0"),
        ({"hessian_iterations": 10}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        MetricsConfig(**overrides)
    (only,) = error.value.errors()
    assert only["loc"] == tuple(overrides)
    assert only["msg"] == message
