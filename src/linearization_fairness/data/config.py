"""What data to prepare and how to split and unbalance it, checked when the run starts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

DATASETS = ("digits", "toy2d", "cifar10", "svhn", "utkface_age", "utkface_race")
DOWNLOADABLE_DATASETS = ("cifar10", "svhn")
UTKFACE_AGE_GROUPS = 4

# The paper unbalances only CIFAR-10 by hand (90% of classes 0-4, 10% of classes 5-9); SVHN and
# UTKFace are used with their natural imbalance. digits is this project's small CPU stand-in for
# CIFAR-10 and keeps all of its majority classes.
PAPER_MAJORITY_KEEP_FRACTION = {"digits": 1.0, "cifar10": 0.9}
PAPER_MINORITY_CLASSES = [5, 6, 7, 8, 9]


class DataConfig(BaseModel):
    """Which source to read, how to split it, and which classes to thin out.

    Imbalance rule: every class listed in `minority_classes` keeps `minority_keep_fraction` of its
    samples, every other class keeps `majority_keep_fraction`; with `minority_classes: []` nothing
    is subsampled and the keep fractions are unused (the natural imbalance of svhn and utkface).
    Left out (null), `minority_classes` and `majority_keep_fraction` take the paper's setting for
    the dataset: [5..9] with 0.9 for cifar10, [5..9] with 1.0 for digits, [] for toy2d, svhn and
    utkface. The subsampling hits the train split only, unless `unbalance_test` is true.

    Splits: `test_fraction` and `val_fraction` are shares of each class. cifar10 and svhn have an
    official test set that is used as the test split, so there `test_fraction` is unused and
    `val_fraction` is the share of the official training set held out for validation.

    Source-specific: `image_size` (side of the resized UTKFace images; cifar10 and svhn are 32,
    digits 8), `keep_infants` (utkface_age: keep ages 0-1 as group "0-1" instead of dropping them),
    `download` (cifar10 and svhn only, via torchvision), `toy2d_*` (size of each toy2d class and
    the standard deviation of the noise added to its points).
    """

    model_config = ConfigDict(extra="forbid")

    dataset: str = "digits"
    seed: int = 0
    val_fraction: float = 0.1
    test_fraction: float = 0.25
    minority_classes: list[int] | None = None
    majority_keep_fraction: float | None = None
    minority_keep_fraction: float = 0.1
    unbalance_test: bool = False
    image_size: int = 32
    keep_infants: bool = False
    download: bool = False
    toy2d_majority_size: int = 1800
    toy2d_minority_size: int = 200
    toy2d_noise: float = 0.05

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, dataset: str) -> str:
        if dataset not in DATASETS:
            raise ValueError(f"data.dataset={dataset!r} is unknown; use one of: {', '.join(DATASETS)}")
        return dataset

    @field_validator("seed")
    @classmethod
    def _non_negative_seed(cls, seed: int) -> int:
        if seed < 0:
            raise ValueError(f"data.seed={seed} is negative; use a seed >= 0")
        return seed

    @field_validator("val_fraction", "test_fraction")
    @classmethod
    def _split_fraction_inside_unit_interval(cls, fraction: float, info: ValidationInfo) -> float:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"data.{info.field_name}={fraction} must lie strictly between 0 and 1")
        return fraction

    @field_validator("majority_keep_fraction", "minority_keep_fraction")
    @classmethod
    def _keep_fraction_in_half_open_unit_interval(
        cls, fraction: float | None, info: ValidationInfo
    ) -> float | None:
        if fraction is not None and not 0.0 < fraction <= 1.0:
            raise ValueError(
                f"data.{info.field_name}={fraction} must be in (0, 1]; it is the share of each class kept"
            )
        return fraction

    @field_validator("minority_classes")
    @classmethod
    def _distinct_class_ids(cls, classes: list[int] | None) -> list[int] | None:
        if classes is None:
            return None
        if any(class_id < 0 for class_id in classes) or len(set(classes)) != len(classes):
            raise ValueError(f"data.minority_classes={classes} must be distinct class ids >= 0")
        return sorted(classes)

    @field_validator("image_size")
    @classmethod
    def _image_big_enough(cls, size: int) -> int:
        if size < 8:
            raise ValueError(f"data.image_size={size} is too small; use 8 or more (the paper uses 32)")
        return size

    @field_validator("toy2d_majority_size", "toy2d_minority_size")
    @classmethod
    def _enough_toy_points(cls, size: int, info: ValidationInfo) -> int:
        if size < 2:
            raise ValueError(f"data.{info.field_name}={size} is too small; use 2 or more points")
        return size

    @field_validator("toy2d_noise")
    @classmethod
    def _non_negative_noise(cls, noise: float) -> float:
        if noise < 0:
            raise ValueError(f"data.toy2d_noise={noise} is negative; use a standard deviation >= 0")
        return noise

    @model_validator(mode="after")
    def _consistent_with_dataset(self) -> DataConfig:
        if self.val_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"data.val_fraction + data.test_fraction = {self.val_fraction + self.test_fraction:g} "
                "leaves no training data; make their sum smaller than 1"
            )
        if self.download and self.dataset not in DOWNLOADABLE_DATASETS:
            raise ValueError(
                f"data.download: true works for {' and '.join(DOWNLOADABLE_DATASETS)} only, "
                f"not {self.dataset}; put the files in the raw data folder and set data.download: false"
            )
        if self.keep_infants and self.dataset != "utkface_age":
            raise ValueError(f"data.keep_infants applies to utkface_age only, not {self.dataset}; remove it")
        if self.minority_classes is None:
            self.minority_classes = (
                list(PAPER_MINORITY_CLASSES) if self.dataset in PAPER_MAJORITY_KEEP_FRACTION else []
            )
        if self.majority_keep_fraction is None:
            self.majority_keep_fraction = PAPER_MAJORITY_KEEP_FRACTION.get(self.dataset, 1.0)
        out_of_range = [class_id for class_id in self.minority_classes if class_id >= self.num_classes]
        if out_of_range:
            raise ValueError(
                f"data.minority_classes has {out_of_range}, but {self.dataset} has classes "
                f"0..{self.num_classes - 1}; use ids below {self.num_classes}, "
                "or [] for no artificial imbalance"
            )
        return self

    @property
    def num_classes(self) -> int:
        if self.dataset == "toy2d":
            return 2
        if self.dataset == "utkface_age":
            return UTKFACE_AGE_GROUPS + int(self.keep_infants)
        if self.dataset == "utkface_race":
            return 5
        return 10

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one prepared sample, known before any data is read (for start-up checks)."""
        if self.dataset == "toy2d":
            return (2,)
        if self.dataset == "digits":
            return (1, 8, 8)
        if self.dataset in ("cifar10", "svhn"):
            return (3, 32, 32)
        return (3, self.image_size, self.image_size)
