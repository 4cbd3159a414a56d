import pytest
import torch
from torch import nn

from linearization_fairness.metrics.weights import functional_state, is_mask_name, network_weights


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("layer1.0.relu1.alpha", True),
        ("stage2.act.mask", True),
        ("blocks.3.ReLU_Alpha", True),
        ("relu.masks.0", True),
        ("conv1.weight", False),
        ("bn1.bias", False),
        ("fc.weight", False),
    ],
)
def test_is_mask_name(name: str, expected: bool) -> None:
    assert is_mask_name(name) is expected


def test_network_weights_leave_out_masks_and_buffers(convnet: nn.Sequential) -> None:
    assert list(network_weights(convnet)) == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"]


def test_functional_state_puts_masks_and_buffers_in_constants(convnet: nn.Sequential) -> None:
    weights, constants = functional_state(convnet)
    assert set(constants) == {"2.alpha", "1.running_mean", "1.running_var", "1.num_batches_tracked"}
    assert not any(tensor.requires_grad for tensor in [*weights.values(), *constants.values()])


def test_model_with_only_masks_is_rejected() -> None:
    model = nn.Module()
    model.alpha = nn.Parameter(torch.ones(3))
    with pytest.raises(ValueError, match="no weights"):
        network_weights(model)
