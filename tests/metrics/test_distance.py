import copy

import pytest
import torch
from torch import nn

from linearization_fairness.metrics.distance import parameter_distance


def test_distance_by_hand_ignores_masks_and_running_statistics(convnet: nn.Sequential) -> None:
    base = copy.deepcopy(convnet)
    with torch.no_grad():
        convnet[5].weight[0, 0] += 0.3  # linear weight: counted
        convnet[1].bias[1] -= 0.4  # BatchNorm affine bias: counted
        convnet[0].bias[0] += 1.2  # conv bias: counted
        convnet[2].alpha.fill_(0.0)  # mask: not a weight
        convnet[1].running_mean.add_(5.0)  # running statistic: a buffer, not a weight
    assert parameter_distance(convnet, base) == pytest.approx((0.3**2 + 0.4**2 + 1.2**2) ** 0.5)
    assert parameter_distance(base, base) == 0.0


def test_models_with_different_weights_are_rejected(convnet: nn.Sequential) -> None:
    other = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3, padding=1))
    with pytest.raises(ValueError, match="only in model"):
        parameter_distance(convnet, other)


def test_weights_with_different_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="has shape"):
        parameter_distance(nn.Sequential(nn.Linear(2, 3)), nn.Sequential(nn.Linear(3, 3)))
