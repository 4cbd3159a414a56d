import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from linearization_fairness.metrics.hessian import group_hessian_top_eigenvalue


def tiny_mlp() -> nn.Sequential:
    """31 weights in float64, so the exact Hessian is a 31x31 matrix."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()


def exact_dominant_eigenvalue(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Largest-magnitude eigenvalue (with its sign) of the full Hessian of the mean loss."""
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss_of_flat_weights(flat_weights: torch.Tensor) -> torch.Tensor:
        pieces = flat_weights.split(sizes)
        weights = {name: piece.view(shape) for name, piece, shape in zip(names, pieces, shapes)}
        return F.cross_entropy(functional_call(model, weights, (x,)), y)

    hessian = torch.autograd.functional.hessian(loss_of_flat_weights, flat)
    assert hessian.shape == (31, 31)
    eigenvalues = torch.linalg.eigvalsh(hessian)
    return eigenvalues[eigenvalues.abs().argmax()].item()


def test_matches_exact_hessian_max_over_batches() -> None:
    model = tiny_mlp()
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(10, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (10,), generator=generator)
    group = torch.tensor([0, 1, 0, 0, 1, 1, 0, 1, 1, 0])
    expected = {}
    for start in (0, 5):
        for group_id in (0, 1):
            members = group[start : start + 5] == group_id
            value = exact_dominant_eigenvalue(model, x[start : start + 5][members], y[start : start + 5][members])
            expected[group_id] = max(value, expected.get(group_id, value))

    measured = group_hessian_top_eigenvalue(model, x, y, group, batch_size=5, iters=2000, tol=1e-12, seed=0)

    assert measured.keys() == expected.keys()
    for group_id in expected:
        assert measured[group_id] == pytest.approx(expected[group_id], rel=1e-6)


def test_same_seed_gives_same_values() -> None:
    model = tiny_mlp()
    x = torch.randn(6, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    group = torch.tensor([0, 0, 0, 1, 1, 1])
    first = group_hessian_top_eigenvalue(model, x, y, group, batch_size=6, iters=5, tol=1e-3, seed=7)
    second = group_hessian_top_eigenvalue(model, x, y, group, batch_size=6, iters=5, tol=1e-3, seed=7)
    assert first == second


@pytest.mark.parametrize(("iters", "tol", "message"), [(0, 1e-3, "iters=0"), (10, 0.0, "tol=0.0")])
def test_bad_power_iteration_settings_are_rejected(iters: int, tol: float, message: str) -> None:
    x = torch.randn(4, 3, dtype=torch.float64)
    y = torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match=message):
        group_hessian_top_eigenvalue(tiny_mlp(), x, y, y, batch_size=2, iters=iters, tol=tol)
