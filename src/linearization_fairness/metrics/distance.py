"""Distance in weight space between a model and its base model, ||theta_model - theta_base||_2.

theta is defined in `metrics/weights.py`: all conv/linear weights and biases and BatchNorm
affine parameters; no mask parameters (names containing "alpha" or "mask"), no buffers
(BatchNorm running statistics, masks stored as buffers). Parameters are matched by name.
"""

import torch
from torch import nn

from linearization_fairness.metrics.weights import network_weights


@torch.no_grad()
def parameter_distance(model: nn.Module, base_model: nn.Module) -> float:
    """L2 norm of the difference of the two models' weights, matched by parameter name.

    Computed in float64 on the model's device; the base model's weights are copied there.
    """
    weights, base_weights = network_weights(model), network_weights(base_model)
    if weights.keys() != base_weights.keys():
        only_model = sorted(weights.keys() - base_weights.keys())
        only_base = sorted(base_weights.keys() - weights.keys())
        raise ValueError(
            f"the models have different weights (only in model: {only_model}; only in base: {only_base}); "
            "compare a linearized model with the base model it came from"
        )
    squared = torch.zeros((), dtype=torch.float64, device=next(iter(weights.values())).device)
    for name, weight in weights.items():
        base_weight = base_weights[name]
        if weight.shape != base_weight.shape:
            raise ValueError(
                f"weight {name!r} has shape {tuple(weight.shape)} in model but {tuple(base_weight.shape)} in base"
            )
        difference = weight.double() - base_weight.to(device=weight.device, dtype=torch.float64)
        squared += difference.square().sum()
    return squared.sqrt().item()
