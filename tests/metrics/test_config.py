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
        ({"hessian_iters": 0}, "metrics.hessian_iters=0 must be a positive integer"),
        ({"per_sample_batch_size": -4}, "metrics.per_sample_batch_size=-4 must be a positive integer"),
        ({"hessian_tol": 0.0}, "metrics.hessian_tol=0.0 must be positive"),
        ({"hessian_iterations": 10}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MetricsConfig(**overrides)
