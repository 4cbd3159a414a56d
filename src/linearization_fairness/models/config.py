"""Model configuration, one class per architecture family, and the one function that builds a network.

`ModelConfig` is a union told apart by `arch`, so a field that another architecture reads (e.g.
`widths` on resnet18) is refused as unknown, and a config dumps and validates back unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PositiveFloat, PositiveInt, TypeAdapter, model_validator
from torch import nn

from linearization_fairness.models.mlp import MLP
from linearization_fairness.models.resnet import ResNet, resnet18, resnet34, scaled_widths

Sizes = Annotated[list[PositiveInt], Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResNetConfig(_Frozen):
    """A CIFAR-style ResNet of any depth: `widths` channels and `blocks` BasicBlocks per stage."""

    arch: Literal["resnet"] = "resnet"
    widths: Sizes = [16, 32, 64]
    blocks: Sizes = [1, 1, 1]
    width_multiplier: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _one_entry_per_stage(self) -> ResNetConfig:
        if len(self.widths) != len(self.blocks):
            raise ValueError(f"widths {self.widths} and blocks {self.blocks} need the same length (one entry per stage)")
        return self


class StandardResNetConfig(_Frozen):
    """SNL's resnet18_in / resnet34_in; `width_multiplier` scales every stage (1.0 is the paper's)."""

    arch: Literal["resnet18", "resnet34"]
    width_multiplier: PositiveFloat = 1.0


class MLPConfig(_Frozen):
    """For 2-D points (toy2d)."""

    arch: Literal["mlp"]
    hidden_sizes: Sizes = [64, 64]


def _resnet_unless_named(value: Any) -> Any:
    return {"arch": "resnet", **value} if isinstance(value, dict) else value


# The default arch is filled in before the union reads `arch` to pick a class, hence the nesting.
ModelConfig = Annotated[
    Annotated[ResNetConfig | StandardResNetConfig | MLPConfig, Field(discriminator="arch")],
    BeforeValidator(_resnet_unless_named),
]
_MODEL_CONFIG = TypeAdapter(ModelConfig)


def model_config(raw: dict[str, Any]) -> ResNetConfig | StandardResNetConfig | MLPConfig:
    """The config stored in a model artifact, as the class of its architecture."""
    return _MODEL_CONFIG.validate_python(raw)


def build_model(config: ResNetConfig | StandardResNetConfig | MLPConfig, in_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """A freshly initialised network (every site in "relu" mode) for inputs of shape `in_shape`."""
    in_shape = tuple(int(size) for size in in_shape)
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes} must be at least 2")
    if isinstance(config, MLPConfig):
        return MLP(in_shape, num_classes, tuple(config.hidden_sizes))
    if len(in_shape) != 3:
        raise ValueError(f"model.arch={config.arch!r} needs image input (C, H, W); got in_shape={in_shape}, use arch 'mlp'")
    if config.arch == "resnet18":
        return resnet18(in_shape, num_classes, config.width_multiplier)
    if config.arch == "resnet34":
        return resnet34(in_shape, num_classes, config.width_multiplier)
    widths = scaled_widths(tuple(config.widths), config.width_multiplier)
    return ResNet(in_shape, num_classes, widths, tuple(config.blocks))
