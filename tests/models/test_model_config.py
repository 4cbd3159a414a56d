import pytest
import torch
from pydantic import ValidationError

from linearization_fairness.models import (
    MLP,
    MLPConfig,
    ResNetConfig,
    StandardResNetConfig,
    build_model,
    model_config,
    relu_sites,
    total_relu_sites,
)


def test_mlp_sites_and_output() -> None:
    model = build_model(MLPConfig(arch="mlp", hidden_sizes=[8, 5]), (2,), 3)
    assert isinstance(model, MLP)
    assert model(torch.randn(4, 2)).shape == (4, 3)
    assert [name for name, _ in relu_sites(model)] == ["relu1", "relu2"]
    assert total_relu_sites(model) == 13


@pytest.mark.parametrize(
    ("fields", "location", "message"),
    [
        ({"arch": "vgg"}, (), "Input tag 'vgg' found using 'arch' does not match any of the expected tags: "
         "'resnet', 'resnet18', 'resnet34', 'mlp'"),
        ({"arch": "resnet18", "widths": [8]}, ("resnet18", "widths"), "Extra inputs are not permitted"),
        ({"arch": "resnet", "widths": [8, 16], "blocks": [1]}, ("resnet",), "need the same length"),
        ({"arch": "mlp", "hidden_sizes": [0]}, ("mlp", "hidden_sizes", 0), "Input should be greater than 0"),
        ({"arch": "mlp", "hidden_sizes": []}, ("mlp", "hidden_sizes"), "List should have at least 1 item"),
        ({"arch": "resnet34", "width_multiplier": 0}, ("resnet34", "width_multiplier"), "Input should be greater than 0"),
        ({"arch": "resnet", "depth": 3}, ("resnet", "depth"), "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_bad_configs_fail_with_one_clear_error(fields: dict, location: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        model_config(fields)
    (only,) = error.value.errors()
    assert only["loc"] == location
    assert message in only["msg"]


def test_a_dump_keeps_only_the_fields_the_arch_reads_and_round_trips() -> None:
    config = StandardResNetConfig(arch="resnet34", width_multiplier=0.5)
    dumped = config.model_dump(mode="json")
    assert dumped == {"arch": "resnet34", "width_multiplier": 0.5}
    assert model_config(dumped) == config


def test_arch_defaults_to_the_configurable_resnet() -> None:
    assert model_config({"widths": [8], "blocks": [2]}) == ResNetConfig(widths=[8], blocks=[2])


def test_image_archs_reject_flat_input() -> None:
    with pytest.raises(ValueError, match="needs image input"):
        build_model(ResNetConfig(), (2,), 3)
