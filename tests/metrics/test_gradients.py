import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearization_fairness.metrics.gradients import group_mean_loss_grad_norm, group_means, per_sample_grad_norms
from linearization_fairness.metrics.weights import network_weights


def weight_gradient_norm(model: nn.Module, loss: torch.Tensor) -> float:
    """Plain backward, then the norm over the non-mask parameters only."""
    model.zero_grad()
    loss.backward()
    squared = sum(p.grad.square().sum() for p in network_weights(model).values())
    return squared.sqrt().item()


def test_group_mean_loss_grad_norm_matches_manual_batches(convnet: nn.Sequential, image_data) -> None:
    x, y, group = image_data
    convnet.eval()
    expected_norms: dict[int, list[float]] = {}
    for start in range(0, len(x), 5):
        xb, yb, gb = x[start : start + 5], y[start : start + 5], group[start : start + 5]
        for group_id in gb.unique().tolist():
            members = gb == group_id
            loss = F.cross_entropy(convnet(xb[members]), yb[members])
            expected_norms.setdefault(group_id, []).append(weight_gradient_norm(convnet, loss))
    assert len(expected_norms[2]) == 2, "the fixture must leave group 2 out of one batch"
    expected = {group_id: sum(norms) / len(norms) for group_id, norms in expected_norms.items()}

    convnet.train()
    convnet.zero_grad(set_to_none=True)
    measured = group_mean_loss_grad_norm(convnet, x, y, group, batch_size=5)

    assert measured.keys() == expected.keys()
    for group_id in expected:
        assert measured[group_id] == pytest.approx(expected[group_id], rel=1e-5)
    assert convnet.training, "the model's mode must be restored"
    assert all(p.grad is None for p in convnet.parameters()), "the model's .grad fields must stay untouched"


def test_per_sample_grad_norms_match_python_loop(convnet: nn.Sequential, image_data) -> None:
    x, y, _ = image_data
    convnet.eval()
    expected = [
        weight_gradient_norm(convnet, F.cross_entropy(convnet(x[i : i + 1]), y[i : i + 1])) for i in range(len(x))
    ]

    measured = per_sample_grad_norms(convnet.train(), x, y, batch_size=5)

    assert measured.shape == (len(x),)
    assert measured.tolist() == pytest.approx(expected, rel=1e-5)
    assert convnet.training


def test_per_sample_grad_norms_ignore_requires_grad(convnet: nn.Sequential, image_data) -> None:
    x, y, _ = image_data
    trainable = per_sample_grad_norms(convnet, x, y, batch_size=12)
    frozen = per_sample_grad_norms(convnet.requires_grad_(False), x, y, batch_size=4)
    assert torch.allclose(trainable, frozen)


def test_group_means_by_hand() -> None:
    values = torch.tensor([1.0, 2.0, 3.0, 10.0])
    group = torch.tensor([4, 4, 1, 4])
    assert group_means(values, group) == {1: 3.0, 4: pytest.approx(13 / 3)}



class WithUnusedHead(nn.Module):
    """Wraps a model and owns a head that the forward pass never uses."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.unused_head = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def test_unused_weights_count_as_zero_gradient(image_data) -> None:
    x, y, group = image_data
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    assert group_mean_loss_grad_norm(WithUnusedHead(model), x, y, group, 5) == pytest.approx(
        group_mean_loss_grad_norm(model, x, y, group, 5)
    )
