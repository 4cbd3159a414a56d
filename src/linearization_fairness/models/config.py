"""Model configuration and the one function that turns it into a network."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator
from torch import nn

from linearization_fairness.models.mlp import MLP
from linearization_fairness.models.resnet import ResNet, resnet18, resnet34, scaled_widths

ARCHS = ("resnet18", "resnet34", "resnet", "mlp")
# Which optional fields each architecture reads; setting any other one is a mistake worth reporting.
_FIELDS_BY_ARCH = {
    "resnet18": {"width_multiplier"},
    "resnet34": {"width_multiplier"},
    "resnet": {"widths", "blocks", "width_multiplier"},
    "mlp": {"hidden_sizes"},
}


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arch: str = "resnet"
    widths: list[int] = [16, 32, 64]  # arch="resnet": channels per stage
    blocks: list[int] = [1, 1, 1]  # arch="resnet": BasicBlocks per stage
    width_multiplier: float = 1.0  # every ResNet: scales the stage widths
    hidden_sizes: list[int] = [64, 64]  # arch="mlp"

    @field_validator("arch")
    @classmethod
    def _known_arch(cls, arch: str) -> str:
        if arch not in ARCHS:
            raise ValueError(f"model.arch={arch!r} is unknown; use one of: {', '.join(ARCHS)}")
        return arch

    @field_validator("widths", "blocks", "hidden_sizes")
    @classmethod
    def _positive_sizes(cls, sizes: list[int], info: ValidationInfo) -> list[int]:
        if not sizes or any(size < 1 for size in sizes):
            raise ValueError(f"model.{info.field_name}={sizes} must be a non-empty list of positive integers")
        return sizes

    @field_validator("width_multiplier")
    @classmethod
    def _positive_multiplier(cls, multiplier: float) -> float:
        if multiplier <= 0:
            raise ValueError(f"model.width_multiplier={multiplier} must be > 0 (1.0 is the paper's width)")
        return multiplier

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        unused = sorted((self.model_fields_set - {"arch"}) - _FIELDS_BY_ARCH[self.arch])
        if unused:
            raise ValueError(f"model.{unused[0]} does not apply to arch={self.arch!r}; remove it or change model.arch")
        if self.arch == "resnet" and len(self.widths) != len(self.blocks):
            raise ValueError(
                f"model.widths={self.widths} and model.blocks={self.blocks} need the same length (one entry per stage)"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """The arch and only the fields it reads: what an artifact stores to rebuild the network."""
        return {"arch": self.arch} | {name: getattr(self, name) for name in sorted(_FIELDS_BY_ARCH[self.arch])}


def build_model(config: ModelConfig, in_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """A freshly initialised network (every site in "relu" mode) for inputs of shape `in_shape`."""
    in_shape = tuple(int(size) for size in in_shape)
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes} must be at least 2")
    if config.arch == "mlp":
        return MLP(in_shape, num_classes, tuple(config.hidden_sizes))
    if len(in_shape) != 3:
        raise ValueError(
            f"model.arch={config.arch!r} needs image input (C, H, W); got in_shape={in_shape}, use arch='mlp'"
        )
    if config.arch == "resnet18":
        return resnet18(in_shape, num_classes, config.width_multiplier)
    if config.arch == "resnet34":
        return resnet34(in_shape, num_classes, config.width_multiplier)
    widths = scaled_widths(tuple(config.widths), config.width_multiplier)
    return ResNet(in_shape, num_classes, widths, tuple(config.blocks))
