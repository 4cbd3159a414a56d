import torch
from torch.nn import functional as F

from linearization_fairness.training.augment import crop_and_flip, draw_crops_and_flips


def _reference_crop_and_flip(
    images: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor, padding: int
) -> torch.Tensor:
    height, width = images.shape[2:]
    padded = F.pad(images, (padding,) * 4)
    crops = []
    for image, (row, column), flip in zip(padded, offsets.tolist(), flips.tolist()):
        crop = image[:, row : row + height, column : column + width]
        crops.append(crop.flip(2) if flip else crop)
    return torch.stack(crops)


def test_matches_a_per_image_crop_and_flip() -> None:
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(16, 3, 6, 7)
    offsets, flips = draw_crops_and_flips(16, 2, generator)
    assert offsets.min() >= 0 and offsets.max() <= 4 and flips.any() and not flips.all()
    assert torch.equal(crop_and_flip(images, offsets, flips, 2), _reference_crop_and_flip(images, offsets, flips, 2))


def test_centred_crop_is_identity_and_flip_mirrors() -> None:
    images = torch.randn(2, 1, 5, 5)
    centre = torch.full((2, 2), 3)
    assert torch.equal(crop_and_flip(images, centre, torch.tensor([False, False]), 3), images)
    assert torch.equal(crop_and_flip(images, centre, torch.tensor([True, True]), 3), images.flip(3))


def test_draws_repeat_for_the_same_seed() -> None:
    first = draw_crops_and_flips(8, 4, torch.Generator().manual_seed(5))
    second = draw_crops_and_flips(8, 4, torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(first, second))
