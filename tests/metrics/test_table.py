import logging

import pytest
import torch

from linearization_fairness.metrics import MetricsConfig, group_hessian_top_eigenvalue, group_mean_loss_grad_norm
from linearization_fairness.metrics.table import measure_model
from tests.factories import tiny_resnet, tiny_split

NAMES = ["a", "b", "c"]


@pytest.fixture(autouse=True)
def single_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_predictions_cover_the_split_and_the_diagnostics_the_subsample() -> None:
    model, test = tiny_resnet(), tiny_split(60, seed=0)
    config = MetricsConfig(diagnostics_per_group=5, hessian_iters=5, hessian_batch_size=16, grad_norm_batch_size=16)

    groups, _, predictions = measure_model(model, model, test, NAMES, config)

    assert len(predictions) == 60 and groups["n"].sum() == 60
    assert groups["diagnostics_n"].tolist() == [5, 5, 5]
    assert groups["hessian_iters"].between(1, 5).all() and groups["hessian_converged"].dtype == bool


def test_the_whole_split_gives_the_metrics_of_the_whole_split() -> None:
    model, (x, y, group) = tiny_resnet(), tiny_split(30, seed=1)
    config = MetricsConfig(diagnostics_per_group=None, hessian_iters=4, hessian_batch_size=16, grad_norm_batch_size=16)

    groups, _, _ = measure_model(model, model, (x, y, group), NAMES, config)

    assert groups["diagnostics_n"].tolist() == groups["n"].tolist()
    grad_norm = group_mean_loss_grad_norm(model, x, y, group, 16)
    hessian = group_hessian_top_eigenvalue(model, x, y, group, 16, iters=4, tol=config.hessian_tol)
    assert groups["grad_norm"].tolist() == pytest.approx([grad_norm[g] for g in range(3)])
    assert groups["hessian_top_eig"].tolist() == pytest.approx([hessian[g].value for g in range(3)])


def test_one_log_line_per_model_carries_the_seconds_and_warns_of_unconverged_values(caplog) -> None:
    model, test = tiny_resnet(), tiny_split(30, seed=2)
    config = MetricsConfig(diagnostics_per_group=None, hessian_iters=1, hessian_tol=1e-9)

    with caplog.at_level(logging.INFO, logger="linearization_fairness.metrics.table"):
        measure_model(model, model, test, NAMES, config)

    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "raise hessian_iters" in record.getMessage()
    assert set(record.seconds) == {"predictions", "group gradient norms", "per-sample gradient norms", "Hessian"}
