import pytest
import torch
from pydantic import ValidationError

from linearization_fairness.models import MLP, ModelConfig, build_model, relu_sites, total_relu_sites


def test_mlp_sites_and_output() -> None:
    model = build_model(ModelConfig(arch="mlp", hidden_sizes=[8, 5]), (2,), 3)
    assert isinstance(model, MLP)
    assert model(torch.randn(4, 2)).shape == (4, 3)
    assert [name for name, _ in relu_sites(model)] == ["relu1", "relu2"]
    assert total_relu_sites(model) == 13


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"arch": "vgg"}, "model.arch='vgg' is unknown; use one of: resnet18, resnet34, resnet, mlp"),
        ({"arch": "resnet18", "widths": [8]}, "model.widths does not apply to arch='resnet18'"),
        ({"arch": "resnet", "widths": [8, 16], "blocks": [1]}, "need the same length"),
        ({"arch": "mlp", "hidden_sizes": [0]}, "model.hidden_sizes=\\[0\\] must be a non-empty list"),
        ({"arch": "resnet34", "width_multiplier": 0}, "model.width_multiplier=0.0 must be > 0"),
        ({"arch": "resnet", "depth": 3}, "depth"),
    ],
)
def test_bad_configs_fail_with_a_clear_message(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ModelConfig(**fields)


def test_to_dict_keeps_only_the_fields_the_arch_reads_and_round_trips() -> None:
    config = ModelConfig(arch="resnet34", width_multiplier=0.5)
    assert config.to_dict() == {"arch": "resnet34", "width_multiplier": 0.5}
    assert ModelConfig(**config.to_dict()) == config


def test_image_archs_reject_flat_input() -> None:
    with pytest.raises(ValueError, match="needs image input"):
        build_model(ModelConfig(arch="resnet"), (2,), 3)
