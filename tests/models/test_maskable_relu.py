import pytest
import torch
from torch import nn
from torch.nn import functional as F

from linearization_fairness.models import (
    MaskableReLU,
    clamp_masks_,
    freeze_masks,
    keep_masks,
    kept_relus_by_site,
    mask_parameters,
    relu_count,
    relu_sites,
    set_mask_mode,
    total_relu_sites,
    weight_parameters,
)

SHAPE = (3, 4, 4)


def test_relu_mode_is_plain_relu() -> None:
    x = torch.randn(5, *SHAPE)
    assert torch.equal(MaskableReLU(SHAPE)(x), F.relu(x))


def test_frozen_all_ones_equals_relu_and_all_zeros_equals_identity() -> None:
    x = torch.randn(5, *SHAPE)
    site = MaskableReLU(SHAPE)
    site.set_mode("frozen")
    assert torch.equal(site(x), F.relu(x))
    site.keep.zero_()
    assert torch.equal(site(x), x)


def test_frozen_mask_keeps_relu_only_where_set() -> None:
    x = torch.randn(5, *SHAPE)
    site = MaskableReLU(SHAPE)
    keep = torch.rand(SHAPE) > 0.5
    site.keep.copy_(keep)
    site.set_mode("frozen")
    out = site(x)
    assert torch.equal(out[:, keep], F.relu(x)[:, keep])
    assert torch.equal(out[:, ~keep], x[:, ~keep])
    assert site.relu_count() == int(keep.sum())


def test_train_mode_blends_relu_and_identity_with_alpha() -> None:
    x = torch.randn(5, *SHAPE)
    site = MaskableReLU(SHAPE)
    site.set_mode("train")
    with torch.no_grad():
        site.alpha.copy_(torch.rand(SHAPE))
    expected = site.alpha * F.relu(x) + (1 - site.alpha) * x
    torch.testing.assert_close(site(x), expected)
    site(x).sum().backward()
    assert site.alpha.grad is not None and site.alpha.grad.abs().sum() > 0


def test_train_mode_counts_alphas_above_threshold() -> None:
    site = MaskableReLU((10,))
    site.set_mode("train")
    with torch.no_grad():
        site.alpha.copy_(torch.tensor([1.0, 0.5, 0.02, 0.011, 0.01, 0.005, 0.0, -0.3, 0.2, 1.0]))
    assert site.relu_count() == 6
    assert site.kept_mask().tolist() == [True, True, True, True, False, False, False, False, True, True]


def test_only_train_mode_makes_alpha_trainable() -> None:
    model = nn.Sequential(nn.Linear(4, 6), MaskableReLU((6,)), nn.Linear(6, 2))
    assert mask_parameters(model) == []
    set_mask_mode(model, "train")
    assert [p is model[1].alpha for p in mask_parameters(model)] == [True]
    assert all(p is not model[1].alpha for p in weight_parameters(model))
    assert len(weight_parameters(model)) == 4
    set_mask_mode(model, "frozen")
    assert mask_parameters(model) == []


def test_unknown_mode_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError, match="use one of: relu, train, frozen"):
        MaskableReLU(SHAPE).set_mode("soft")


def test_state_dict_round_trips_masks_and_mode() -> None:
    site = MaskableReLU(SHAPE)
    site.keep.copy_(torch.rand(SHAPE) > 0.5)
    site.set_mode("frozen")
    restored = MaskableReLU(SHAPE)
    restored.load_state_dict(site.state_dict())
    assert restored.mode == "frozen"
    assert torch.equal(restored.keep, site.keep)
    assert not restored.alpha.requires_grad


def _two_site_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 6), MaskableReLU((6,)), nn.Linear(6, 5), MaskableReLU((5,)), nn.Linear(5, 2))


def test_counts_over_a_model() -> None:
    model = _two_site_model()
    assert [name for name, _ in relu_sites(model)] == ["1", "3"]
    assert total_relu_sites(model) == relu_count(model) == 11
    freeze_masks(model, {"1": torch.tensor([1, 0, 1, 0, 0, 0]).bool(), "3": torch.zeros(5, dtype=torch.bool)})
    assert relu_count(model) == 2
    assert total_relu_sites(model) == 11
    assert kept_relus_by_site(model) == {"1": (2, 6), "3": (0, 5)}
    assert keep_masks(model)["1"].tolist() == [True, False, True, False, False, False]


def test_freeze_masks_requires_one_mask_of_the_right_shape_per_site() -> None:
    model = _two_site_model()
    with pytest.raises(ValueError, match="missing: \\['3'\\]"):
        freeze_masks(model, {"1": torch.ones(6, dtype=torch.bool)})
    with pytest.raises(ValueError, match="site 3 has shape \\(4,\\)"):
        freeze_masks(model, {"1": torch.ones(6, dtype=torch.bool), "3": torch.ones(4, dtype=torch.bool)})


def test_clamp_keeps_trainable_masks_in_unit_interval() -> None:
    model = _two_site_model()
    set_mask_mode(model, "train")
    with torch.no_grad():
        model[1].alpha.copy_(torch.tensor([-0.5, 0.3, 1.7, 0.0, 1.0, 2.0]))
    clamp_masks_(model)
    assert model[1].alpha.tolist() == pytest.approx([0.0, 0.3, 1.0, 0.0, 1.0, 1.0])
