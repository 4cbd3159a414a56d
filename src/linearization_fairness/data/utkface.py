"""UTKFace (cropped faces): a folder `UTKFace` of JPEGs named `age_gender_race_datetime.jpg.chip.jpg`.

Any of the three attributes can be the target and any the protected group.

The labels live only in the file names, and a few real names are malformed (no race field, a
stray space, a missing dot), so names are parsed with a strict pattern and every rejected name is
logged and reported rather than guessed. A sample's `index` is its position among the
well-formed names in sorted order (dropped infants keep their place in that list).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from linearization_fairness.data.source import SourceData

logger = logging.getLogger(__name__)

UTKFACE_FOLDER = "UTKFace"
FILE_NAME = re.compile(
    r"^(?P<age>\d{1,3})_(?P<gender>[01])_(?P<race>[0-4])_(?P<datetime>\d+)\.jpg\.chip\.jpg$"
)
RACE_NAMES = ["White", "Black", "Asian", "Indian", "Others"]
GENDER_NAMES = ["male", "female"]  # UTKFace's coding: 0 male, 1 female
# Lower age bounds of the demographic bins the paper uses: 2-12, 13-17, 18-64, 65+.
AGE_BIN_STARTS = [2, 13, 18, 65]
AGE_BIN_NAMES = ["2-12", "13-17", "18-64", "65+"]
INFANT_BIN_NAME = "0-1"


@dataclass(frozen=True)
class FaceLabels:
    file_name: str
    age: int
    gender: int
    race: int


def parse_file_name(name: str) -> FaceLabels | None:
    """The age, gender and race encoded in a well-formed name, or None for a malformed one."""
    match = FILE_NAME.match(name)
    if match is None:
        return None
    return FaceLabels(file_name=name, age=int(match["age"]), gender=int(match["gender"]), race=int(match["race"]))


def scan_folder(folder: Path) -> tuple[list[FaceLabels], list[str]]:
    """Well-formed samples sorted by name, and the sorted names of the files that were rejected."""
    names = sorted(path.name for path in folder.iterdir() if path.is_file())
    parsed = [(name, parse_file_name(name)) for name in names]
    rejected = [name for name, labels in parsed if labels is None]
    return [labels for _, labels in parsed if labels is not None], rejected


def check_utkface(raw_dir: Path) -> None:
    """Raise FileNotFoundError if the folder is missing or holds no well-formed image name."""
    _scan_or_fail(raw_dir / UTKFACE_FOLDER)


def _scan_or_fail(folder: Path) -> tuple[list[FaceLabels], list[str]]:
    samples, rejected = scan_folder(folder) if folder.is_dir() else ([], [])
    if not samples:
        raise FileNotFoundError(
            f"utkface data not found at {folder} "
            "(expected JPEGs named age_gender_race_datetime.jpg.chip.jpg, "
            f"e.g. 26_0_1_20170116174525125.jpg.chip.jpg; {len(rejected)} malformed name(s) there); "
            "unpack the cropped UTKFace images there"
        )
    return samples, rejected


def age_group_names(keep_infants: bool) -> list[str]:
    return [INFANT_BIN_NAME, *AGE_BIN_NAMES] if keep_infants else list(AGE_BIN_NAMES)


def age_group(age: int, keep_infants: bool) -> int | None:
    """Group id of an age; None for ages 0-1 when infants are dropped, as the paper does."""
    bin_id = int(np.searchsorted(AGE_BIN_STARTS, age, side="right")) - 1
    if bin_id < 0:
        return 0 if keep_infants else None
    return bin_id + 1 if keep_infants else bin_id


def _attribute(samples: list[FaceLabels], name: str, keep_infants: bool) -> tuple[list[int | None], list[str]]:
    if name == "age":
        return [age_group(face.age, keep_infants) for face in samples], age_group_names(keep_infants)
    if name == "gender":
        return [face.gender for face in samples], list(GENDER_NAMES)
    if name == "race":
        return [face.race for face in samples], list(RACE_NAMES)
    raise ValueError(f"UTKFace attribute {name!r} is unknown; use 'age', 'gender' or 'race'")


def load_utkface(raw_dir: Path, target: str, group: str, image_size: int, keep_infants: bool) -> SourceData:
    """Faces as (N, 3, image_size, image_size) uint8, labelled by `target` and grouped by `group`
    (each "age" in bins, "gender" or "race").

    Where age is the target or the group, ages 0-1 are dropped unless `keep_infants`.
    """
    folder = raw_dir / UTKFACE_FOLDER
    samples, rejected = _scan_or_fail(folder)
    if rejected:
        logger.warning("UTKFace: skipped %d file(s) with malformed names: %s", len(rejected), rejected)
    labels, class_names = _attribute(samples, target, keep_infants)
    groups, group_names = _attribute(samples, group, keep_infants)
    kept = [position for position in range(len(samples)) if labels[position] is not None and groups[position] is not None]
    return SourceData(
        x=np.stack([_read_face(folder / samples[position].file_name, image_size) for position in kept]),
        y=np.array([labels[position] for position in kept], dtype=np.int64),
        max_value=255.0,
        class_names=class_names,
        group_names=group_names,
        index=np.array(kept, dtype=np.int64),
        rejected_files=rejected,
        group=np.array([groups[position] for position in kept], dtype=np.int64),
    )


def _read_face(path: Path, image_size: int) -> np.ndarray:
    try:
        with Image.open(path) as image:
            resized = image.convert("RGB").resize((image_size, image_size), Image.Resampling.BILINEAR)
    except (OSError, SyntaxError, ValueError) as error:  # PIL's UnidentifiedImageError is an OSError
        raise ValueError(
            f"{path} is not a readable image ({type(error).__name__}); re-download UTKFace's cropped faces, "
            "or delete this file to leave it out"
        ) from None
    return np.asarray(resized, dtype=np.uint8).transpose(2, 0, 1)
