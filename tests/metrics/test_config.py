import pytest
from pydantic import ValidationError

from linearization_fairness.metrics.config import MetricsConfig


def test_defaults_are_valid() -> None:
    config = MetricsConfig()
    assert config.hessian_iters == 300
    assert config.grad_norm_batch_size == 128
    assert config.diagnostics_per_group == 0.2


@pytest.mark.parametrize("per_group", [None, 1, 100, 0.05, 0.5])
def test_diagnostics_take_a_count_a_share_or_the_whole_split(per_group: int | float | None) -> None:
    config = MetricsConfig(diagnostics_per_group=per_group)
    assert config.diagnostics_per_group == per_group
    assert type(config.diagnostics_per_group) is type(per_group)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hessian_iters": 0}, "Input should be greater than 0"),
        ({"per_sample_batch_size": -4}, "Input should be greater than 0"),
        ({"hessian_tol": 0.0}, "Input should be greater than 0"),
        ({"hessian_seed": -1}, "Input should be greater than or equal to 0"),
        ({"hessian_iterations": 10}, "Extra inputs are not permitted"),
        ({"diagnostics_per_group": 0}, "Value error, 0 is neither a number of samples per group"),
        ({"diagnostics_per_group": 1.0}, "Value error, 1.0 is neither a number of samples per group"),
        ({"diagnostics_per_group": True}, "Value error, True is neither a number of samples per group"),
        ({"diagnostics_seed": -1}, "Input should be greater than or equal to 0"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        MetricsConfig(**overrides)
    (only,) = error.value.errors()
    assert only["loc"] == tuple(overrides)
    assert only["msg"].startswith(message)
