"""Which tensors of a model count as its weights theta.

Every weight-space measurement (gradient norms, Hessian eigenvalues, parameter distance) must
look at the same vector theta, or the paper's bound (gradient and Hessian terms multiplied by
||theta_linearized - theta_base||) would mix different spaces. theta is:

- every entry of `model.named_parameters()`: conv and linear weights and biases, BatchNorm
  affine weight and bias;
- minus every parameter whose dotted name contains "alpha" or "mask" (case-insensitive): the
  maskable ReLU's mask is `alpha` while it is trained by SNL and `mask` once frozen. A mask says
  where the network is linear; it is not a weight the finetuning moves.

Buffers (BatchNorm running statistics, frozen masks stored as buffers) are never part of theta.
`requires_grad` is ignored on purpose: a model loaded for evaluation with frozen parameters still
has the same theta.
"""

import torch
from torch import nn

MASK_NAME_MARKERS = ("alpha", "mask")


def is_mask_name(name: str) -> bool:
    """True when a parameter name belongs to a linearization mask and so is not part of theta."""
    lowered = name.lower()
    return any(marker in lowered for marker in MASK_NAME_MARKERS)


def network_weights(model: nn.Module) -> dict[str, nn.Parameter]:
    """The parameters that make up theta, by name, in registration order."""
    weights = {name: p for name, p in model.named_parameters() if not is_mask_name(name)}
    if not weights:
        raise ValueError(
            f"{type(model).__name__} has no weights once mask parameters (names containing "
            f"{' or '.join(MASK_NAME_MARKERS)}) are left out; pass a model with conv/linear layers"
        )
    return weights


def functional_state(model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Detached tensors for `torch.func.functional_call(model, (weights, constants), ...)`.

    `weights` is theta, to differentiate through. `constants` is everything else the forward pass
    reads (mask parameters and all buffers, BatchNorm running statistics included), detached so
    no autograd graph is built through them.
    """
    weights = {name: p.detach() for name, p in network_weights(model).items()}
    constants = {name: p.detach() for name, p in model.named_parameters() if is_mask_name(name)}
    constants.update({name: b.detach() for name, b in model.named_buffers()})
    return weights, constants
