import pytest
import torch

from linearization_fairness.models import (
    ResNetConfig,
    StandardResNetConfig,
    build_model,
    parse_site_name,
    relu_sites,
    resnet18,
    resnet34,
    total_relu_sites,
)


def _sizes_by_stage(model: torch.nn.Module) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for name, site in relu_sites(model):
        stage = parse_site_name(name).stage
        sizes[stage] = sizes.get(stage, 0) + site.numel()
    return sizes


def test_resnet18_has_snl_relu_count_by_stage() -> None:
    with torch.device("meta"):
        model = resnet18((3, 32, 32), 10)
    assert total_relu_sites(model) == 491_520
    assert _sizes_by_stage(model) == {1: 262_144, 2: 131_072, 3: 65_536, 4: 32_768}


def test_resnet18_deepreduce_culling_and_thinning_counts() -> None:
    with torch.device("meta"):
        model = resnet18((3, 32, 32), 10)
    sites = [(parse_site_name(name), site.numel()) for name, site in relu_sites(model)]
    assert sum(size for site, size in sites if site.stage != 1) == 229_376
    assert sum(size for site, size in sites if site.stage != 1 and site.position == 1) == 114_688
    assert sum(size for site, size in sites if site.stage in (2, 3)) == 196_608
    assert sum(size for site, size in sites if site.stage in (2, 3) and site.position == 2) == 98_304


def test_resnet34_relu_count_by_stage() -> None:
    with torch.device("meta"):
        model = resnet34((3, 32, 32), 10)
    # 3, 4, 6, 3 blocks with two sites each at 64x32x32, 128x16x16, 256x8x8, 512x4x4.
    assert _sizes_by_stage(model) == {1: 393_216, 2: 262_144, 3: 196_608, 4: 49_152}
    assert total_relu_sites(model) == 901_120


def test_resnet18_forward_shape_and_site_names() -> None:
    model = resnet18((3, 32, 32), 7).eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 7)
    names = [name for name, _ in relu_sites(model)]
    assert names[:4] == ["layer1.0.relu1", "layer1.0.relu2", "layer1.1.relu1", "layer1.1.relu2"]
    assert names[-1] == "layer4.1.relu2"
    # No stem ReLU and no max-pool: the stem is conv + BN only.
    assert [type(m).__name__ for m in list(model.children())[:2]] == ["Conv2d", "BatchNorm2d"]


def test_site_name_parsing() -> None:
    assert parse_site_name("layer3.1.relu2").stage == 3
    assert parse_site_name("layer3.1.relu2").position == 2
    assert parse_site_name("layer1.0.relu1").block == 0
    with pytest.raises(ValueError, match="not a ResNet site"):
        parse_site_name("relu1")


def test_small_configurable_resnet_on_digits() -> None:
    model = build_model(ResNetConfig(), (1, 8, 8), 10)
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    # 16x8x8, 32x4x4, 64x2x2, two sites per stage.
    assert total_relu_sites(model) == 2 * (1024 + 512 + 256)
    assert [name for name, _ in relu_sites(model)][-1] == "layer3.0.relu2"


def test_width_multiplier_and_odd_image_size() -> None:
    model = build_model(StandardResNetConfig(arch="resnet18", width_multiplier=0.25), (3, 9, 9), 4)
    assert model.fc.in_features == 128
    assert model(torch.randn(2, 3, 9, 9)).shape == (2, 4)
    # 9 -> 9, 5, 3, 2 pixels per side through the four stages.
    assert total_relu_sites(model) == 4 * (16 * 81 + 32 * 25 + 64 * 9 + 128 * 4)
