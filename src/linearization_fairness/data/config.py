"""What data to prepare and how to split and unbalance it, checked when the run starts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, model_validator

Dataset = Literal["digits", "digits_styled", "toy2d", "cifar10", "svhn", "utkface_age", "utkface_race", "utkface"]
DOWNLOADABLE_DATASETS = ("cifar10", "svhn")
UTKFACE_AGE_GROUPS = 4

# Each source's per-sample attributes and their number of values (None: UTKFace's age bins, which
# depend on keep_infants). The first two are the default target and group; with one attribute the
# group is the label, as in the paper.
ATTRIBUTES: dict[str, dict[str, int | None]] = {
    "digits": {"digit": 10},
    "digits_styled": {"digit": 10, "style": 2},
    "toy2d": {"class": 2},
    "cifar10": {"class": 10},
    "svhn": {"digit": 10},
    "utkface_age": {"age": None},
    "utkface_race": {"race": 5},
    "utkface": {"gender": 2, "race": 5, "age": None},
}

# The paper unbalances only CIFAR-10 by hand (90% of classes 0-4, 10% of classes 5-9); SVHN and
# UTKFace are used with their natural imbalance. digits is this project's small CPU stand-in for
# CIFAR-10 and keeps all of its majority classes.
PAPER_MAJORITY_KEEP_FRACTION = {"digits": 1.0, "cifar10": 0.9}
PAPER_MINORITY_CLASSES = [5, 6, 7, 8, 9]

SplitFraction = Annotated[float, Field(gt=0, lt=1)]
KeepFraction = Annotated[float, Field(gt=0, le=1)]  # the share of each class kept


class DataConfig(BaseModel):
    """Which source to read, how to split it, and which classes to thin out.

    Imbalance rule: every class listed in `minority_classes` keeps `minority_keep_fraction` of its
    samples, every other class keeps `majority_keep_fraction`; with `minority_classes: []` nothing
    is subsampled and the keep fractions are unused (the natural imbalance of svhn and utkface).
    Left out, `minority_classes` and `majority_keep_fraction` take the paper's setting for the
    dataset: [5..9] with 0.9 for cifar10, [5..9] with 1.0 for digits, [] for toy2d, svhn and
    utkface. The subsampling hits the train split only, unless `unbalance_test` is true.
    (The report's minority groups are those below the uniform share of the training split; with
    these settings that is the thinned classes, and on naturally unbalanced data the rare ones.)

    Splits: `test_fraction` and `val_fraction` are shares of each class. cifar10 and svhn have an
    official test set that is used as the test split, so there `test_fraction` is unused and
    `val_fraction` is the share of the official training set held out for validation.

    Attributes: `target` is what the model predicts, `group` the protected attribute every group
    metric and the fairness-aware finetune use (ATTRIBUTES lists each source's; left out, the
    source's first two, or the label itself where it has one). `minority_groups` thins groups
    rather than classes: each listed group keeps `minority_keep_fraction` of its training samples
    in every class (digits_styled: [1], its rare style). Splits are stratified by (label, group).

    Source-specific: `image_size` (side of the resized UTKFace images; cifar10 and svhn are 32,
    digits 8), `keep_infants` (utkface_age: keep ages 0-1 as group "0-1" instead of dropping them),
    `download` (cifar10 and svhn only, via torchvision), `toy2d_*` (size of each toy2d class and
    the standard deviation of the noise added to its points).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Dataset = "digits"
    seed: NonNegativeInt = 0
    val_fraction: SplitFraction = 0.1
    test_fraction: SplitFraction = 0.25
    minority_classes: Annotated[list[NonNegativeInt], AfterValidator(sorted)] | None = None
    majority_keep_fraction: KeepFraction | None = None
    minority_keep_fraction: KeepFraction = 0.1
    unbalance_test: bool = False
    image_size: Annotated[int, Field(ge=8)] = 32
    keep_infants: bool = False
    download: bool = False
    toy2d_majority_size: Annotated[int, Field(ge=2)] = 1800
    toy2d_minority_size: Annotated[int, Field(ge=2)] = 200
    toy2d_noise: NonNegativeFloat = 0.05
    target: str | None = None
    group: str | None = None
    minority_groups: Annotated[list[NonNegativeInt], AfterValidator(sorted)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _paper_imbalance_unless_given(cls, raw: object) -> object:
        if not isinstance(raw, dict):
            return raw
        dataset = raw.get("dataset", "digits")
        paper = dataset in PAPER_MAJORITY_KEEP_FRACTION
        attributes = list(ATTRIBUTES.get(dataset, ()))
        target = raw.get("target") or (attributes[0] if attributes else None)
        defaults = {
            "minority_classes": list(PAPER_MINORITY_CLASSES) if paper else [],
            "majority_keep_fraction": PAPER_MAJORITY_KEEP_FRACTION.get(dataset, 1.0),
            "target": target,
            "group": attributes[1] if len(attributes) > 1 and raw.get("target") is None else target,
            "minority_groups": [1] if dataset == "digits_styled" else [],
        }
        return {**raw, **{key: value for key, value in defaults.items() if raw.get(key) is None}}

    @model_validator(mode="after")
    def _consistent_with_dataset(self) -> DataConfig:
        if self.val_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} leaves no training data; "
                "make their sum smaller than 1"
            )
        if self.download and self.dataset not in DOWNLOADABLE_DATASETS:
            raise ValueError(
                f"download: true works for {' and '.join(DOWNLOADABLE_DATASETS)} only, not {self.dataset}; "
                "put the files in the raw data folder and set download: false"
            )
        known = list(ATTRIBUTES[self.dataset])
        unknown = [f"{field}={name!r}" for field, name in (("target", self.target), ("group", self.group)) if name not in known]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} unknown for {self.dataset}; its attributes are {', '.join(known)}")
        if self.keep_infants and "age" not in (self.target, self.group):
            raise ValueError(f"keep_infants applies to UTKFace's age only, not {self.dataset}'s {self.target}; remove it")
        if self.minority_classes and self.minority_groups:
            raise ValueError("minority_classes and minority_groups are both set; thin either classes or groups")
        groups_out_of_range = [group_id for group_id in self.minority_groups if group_id >= self.num_groups]
        if groups_out_of_range:
            raise ValueError(
                f"minority_groups has {groups_out_of_range}, but {self.group} has groups 0..{self.num_groups - 1}; "
                f"use ids below {self.num_groups}"
            )
        if len(set(self.minority_classes)) != len(self.minority_classes):
            raise ValueError(f"minority_classes {self.minority_classes} lists a class twice; keep each once")
        out_of_range = [class_id for class_id in self.minority_classes if class_id >= self.num_classes]
        if out_of_range:
            raise ValueError(
                f"minority_classes has {out_of_range}, but {self.dataset} has classes 0..{self.num_classes - 1}; "
                f"use ids below {self.num_classes}, or [] for no artificial imbalance"
            )
        return self

    @property
    def group_is_label(self) -> bool:
        return self.group == self.target

    @property
    def num_classes(self) -> int:
        return self._values(self.target)

    @property
    def num_groups(self) -> int:
        return self._values(self.group)

    def _values(self, attribute: str) -> int:
        count = ATTRIBUTES[self.dataset][attribute]
        return UTKFACE_AGE_GROUPS + int(self.keep_infants) if count is None else count

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one prepared sample, known before any data is read (for start-up checks)."""
        if self.dataset == "toy2d":
            return (2,)
        if self.dataset.startswith("digits"):
            return (1, 8, 8)
        if self.dataset in ("cifar10", "svhn"):
            return (3, 32, 32)
        return (3, self.image_size, self.image_size)
