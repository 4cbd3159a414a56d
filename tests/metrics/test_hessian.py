from collections.abc import Iterator

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from linearization_fairness.metrics.hessian import TopEigenvalue, group_hessian_top_eigenvalue
from linearization_fairness.metrics.weights import functional_state
from linearization_fairness.models import freeze_masks, relu_sites
from tests.factories import tiny_resnet, tiny_split


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a busy shared CPU a descheduled OpenMP worker
    stalls every op: the per-group reference loop ran 80x slower with 2 threads than with 1."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tanh_mlp() -> nn.Sequential:
    """31 weights in float64, so the exact Hessian is a 31x31 matrix."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()


def exact_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The full Hessian of the mean cross-entropy w.r.t. every weight, flattened in parameter order."""
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss_of_flat_weights(flat_weights: torch.Tensor) -> torch.Tensor:
        pieces = flat_weights.split(sizes)
        weights = {name: piece.view(shape) for name, piece, shape in zip(names, pieces, shapes)}
        return F.cross_entropy(functional_call(model, weights, (x,)), y)

    return torch.autograd.functional.hessian(loss_of_flat_weights, flat)


def exact_dominant_eigenvalue(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Largest-magnitude eigenvalue (with its sign) of the full Hessian of the mean loss."""
    hessian = exact_hessian(model, x, y)
    assert hessian.shape == (31, 31)
    eigenvalues = torch.linalg.eigvalsh(hessian)
    return eigenvalues[eigenvalues.abs().argmax()].item()


def values(measured: dict[int, TopEigenvalue]) -> dict[int, float]:
    return {group_id: eigenvalue.value for group_id, eigenvalue in measured.items()}


def test_matches_exact_hessian_max_over_batches() -> None:
    model = tanh_mlp()
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

    measured = values(group_hessian_top_eigenvalue(model, x, y, group, batch_size=5, iters=2000, tol=1e-12, seed=0))

    assert measured.keys() == expected.keys()
    for group_id in expected:
        assert measured[group_id] == pytest.approx(expected[group_id], rel=1e-6)


def exact_max_over_batches(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, batch_size: int
) -> dict[int, float]:
    expected: dict[int, float] = {}
    for start in range(0, len(x), batch_size):
        batch = slice(start, start + batch_size)
        for group_id in group[batch].unique().tolist():
            members = group[batch] == group_id
            value = exact_dominant_eigenvalue(model, x[batch][members], y[batch][members])
            expected[group_id] = max(value, expected.get(group_id, value))
    return expected


def test_converged_values_are_within_the_tolerance_of_the_exact_top_eigenvalue() -> None:
    model = tanh_mlp()
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(24, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (24,), generator=generator)
    group = torch.randint(0, 3, (24,), generator=generator)
    expected = exact_max_over_batches(model, x, y, group, batch_size=8)

    measured = group_hessian_top_eigenvalue(model, x, y, group, batch_size=8, iters=1000, tol=1e-3, seed=0)

    assert measured.keys() == expected.keys()
    for group_id, eigenvalue in measured.items():
        assert eigenvalue.converged
        assert 1 < eigenvalue.iterations < 1000
        # The residual test bounds the distance to an eigenvalue by tol * |lambda|.
        assert eigenvalue.value == pytest.approx(expected[group_id], rel=1e-3)


def test_a_seeded_plateau_that_stops_a_change_based_rule_converges_to_the_exact_value() -> None:
    """On this seeded case a power iteration that stops once lambda changes by less than 1% per
    step stops after 4 products at about a third of the top eigenvalue; the residual rule must not."""
    torch.manual_seed(14)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (8,), generator=generator)
    exact = exact_dominant_eigenvalue(model, x, y)
    hessian = exact_hessian(model, x, y)
    start_draws = torch.Generator().manual_seed(0)  # the start vector group_hessian_top_eigenvalue draws
    draws = [torch.randn(p.shape, generator=start_draws, dtype=p.dtype).flatten() for p in model.parameters()]
    vector = torch.cat(draws)
    vector = vector / vector.norm()
    previous, plateau = None, None
    for _ in range(20):
        product = hessian @ vector
        estimate = (vector @ product).item()
        if previous is not None and abs(estimate - previous) <= 1e-2 * abs(estimate):
            plateau = estimate
            break
        previous, vector = estimate, product / product.norm()
    assert plateau is not None and plateau < 0.5 * exact, "the case must plateau under a change-based rule"

    one_group = torch.zeros(8, dtype=torch.long)
    measured = group_hessian_top_eigenvalue(model, x, y, one_group, batch_size=8, iters=2000, tol=1e-3, seed=0)

    assert measured[0].converged
    assert measured[0].value == pytest.approx(exact, rel=1e-2)


def test_an_iteration_cut_short_is_flagged_as_not_converged() -> None:
    model = tanh_mlp()
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(24, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (24,), generator=generator)
    group = torch.randint(0, 3, (24,), generator=generator)

    measured = group_hessian_top_eigenvalue(model, x, y, group, batch_size=8, iters=2, tol=1e-9, seed=0)

    assert all(not e.converged and e.iterations == 2 for e in measured.values())


def test_a_group_reports_its_longest_batch_and_converges_only_when_every_batch_does() -> None:
    model = tanh_mlp()
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(24, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (24,), generator=generator)
    group = torch.randint(0, 3, (24,), generator=generator)
    _, steps_used = reference_group_eigenvalues(model, x, y, group, batch_size=8, iters=1000, tol=1e-3)
    steps_of = {group_id: [steps for g, steps in steps_used if g == group_id] for group_id in group.unique().tolist()}
    capped = sorted(steps for _, steps in steps_used)[len(steps_used) // 2]
    assert any(min(steps) <= capped < max(steps) for steps in steps_of.values()), "a group must straddle the cap"

    measured = group_hessian_top_eigenvalue(model, x, y, group, batch_size=8, iters=capped, tol=1e-3, seed=0)

    for group_id, eigenvalue in measured.items():
        assert eigenvalue.iterations == min(max(steps_of[group_id]), capped)
        assert eigenvalue.converged == (max(steps_of[group_id]) <= capped)


def test_same_seed_gives_same_values() -> None:
    model = tanh_mlp()
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
        group_hessian_top_eigenvalue(tanh_mlp(), x, y, y, batch_size=2, iters=iters, tol=tol)


def reference_top_eigenvalue(
    loss: torch.Tensor, weights: list[torch.Tensor], iters: int, tol: float, generator: torch.Generator
) -> tuple[float, int]:
    """The straightforward power iteration on one loss (the implementation before vectorising),
    stopping on the residual, returning (eigenvalue, Hessian-vector products used)."""
    gradients = torch.autograd.grad(loss, weights, create_graph=True, materialize_grads=True)
    vector = [torch.randn(w.shape, generator=generator, dtype=w.dtype) for w in weights]
    norm = sum((v * v).sum() for v in vector).sqrt()
    vector = [v / norm for v in vector]
    eigenvalue = None
    for step in range(1, iters + 1):
        hessian_vector = torch.autograd.grad(gradients, weights, grad_outputs=vector, retain_graph=True)
        eigenvalue = sum((v * hv).sum() for v, hv in zip(vector, hessian_vector)).item()
        residual = sum(((hv - eigenvalue * v) ** 2).sum() for v, hv in zip(vector, hessian_vector)).sqrt().item()
        norm = sum((hv * hv).sum() for hv in hessian_vector).sqrt()
        if norm.item() == 0.0:
            return 0.0, step
        vector = [hv / norm for hv in hessian_vector]
        if residual <= tol * abs(eigenvalue):
            break
    return eigenvalue, step


def reference_group_eigenvalues(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, group: torch.Tensor, batch_size: int, iters: int, tol: float
) -> tuple[dict[int, float], list[tuple[int, int]]]:
    """Group by group loop over each batch, seed 0; also returns every power iteration's (group, step count)."""
    weights, constants = functional_state(model)
    for tensor in weights.values():
        tensor.requires_grad_(True)
    generator = torch.Generator().manual_seed(0)
    largest: dict[int, float] = {}
    steps_used = []
    model.eval()
    for start in range(0, len(x), batch_size):
        batch = slice(start, start + batch_size)
        logits = functional_call(model, (weights, constants), (x[batch],))
        losses = F.cross_entropy(logits, y[batch], reduction="none")
        for group_id in group[batch].unique().tolist():
            group_loss = losses[group[batch] == group_id].mean()
            value, steps = reference_top_eigenvalue(group_loss, list(weights.values()), iters, tol, generator)
            largest[group_id] = max(value, largest.get(group_id, value))
            steps_used.append((group_id, steps))
    return largest, steps_used


def tiny_resnet_with_frozen_masks() -> nn.Module:
    model = tiny_resnet(num_classes=10).double()
    freeze_masks(model, {name: torch.rand(site.shape) > 0.5 for name, site in relu_sites(model)})
    return model


@pytest.mark.parametrize(("iters", "tol"), [(3, 1e-12), (30, 1e-2)])
def test_resnet_with_frozen_masks_matches_per_group_loop(iters: int, tol: float) -> None:
    model = tiny_resnet_with_frozen_masks()
    x, y, group = tiny_split(36, seed=4, num_classes=10)  # 10 groups of uneven sizes, as with class groups
    x = x.double()

    expected, steps_used = reference_group_eigenvalues(model, x, y, group, batch_size=18, iters=iters, tol=tol)
    measured = values(group_hessian_top_eigenvalue(model, x, y, group, batch_size=18, iters=iters, tol=tol, seed=0))

    if iters > 3:
        # Groups finishing at different steps is what makes the vectorised version rebuild its graph.
        assert len({steps for _, steps in steps_used}) > 1
    assert measured.keys() == expected.keys()
    for group_id in expected:
        assert measured[group_id] == pytest.approx(expected[group_id], rel=1e-9)


def test_batchnorm_trainable_mask_and_dropout_model_matches_per_group_loop(
    convnet: nn.Sequential, image_data: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> None:
    model = convnet.double()
    x, y, group = image_data
    x = x.double()

    expected, _ = reference_group_eigenvalues(model, x, y, group, batch_size=5, iters=50, tol=1e-4)
    measured = values(group_hessian_top_eigenvalue(model, x, y, group, batch_size=5, iters=50, tol=1e-4, seed=0))

    assert measured.keys() == expected.keys() == {0, 1, 2}
    for group_id in expected:
        assert measured[group_id] == pytest.approx(expected[group_id], rel=1e-9)


def test_group_with_zero_hessian_gives_zero_and_leaves_the_others_intact() -> None:
    # Without a bias, zero inputs give constant logits: group 0's loss Hessian is exactly zero.
    torch.manual_seed(0)
    model = nn.Linear(3, 3, bias=False).double()
    x = torch.randn(8, 3, dtype=torch.float64)
    group = torch.tensor([0, 1, 0, 1, 0, 1, 1, 1])
    x[group == 0] = 0.0
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])

    expected, _ = reference_group_eigenvalues(model, x, y, group, batch_size=8, iters=100, tol=1e-8)
    measured = values(group_hessian_top_eigenvalue(model, x, y, group, batch_size=8, iters=100, tol=1e-8, seed=0))

    assert measured[0] == 0.0
    assert measured[1] > 0.0
    assert measured[1] == pytest.approx(expected[1], rel=1e-9)
