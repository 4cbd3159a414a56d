"""From a DataConfig and the raw data folder to normalised train/val/test splits.

Order of work, all driven by one seed: read the source; split it per (class, group) (the official
test set of cifar10/svhn is the test split, validation is carved from the official train set);
thin out the minority classes or groups of train (and of val and test if `unbalance_test`); scale
to [0, 1] and normalise every split with the per-channel mean and std of the final train split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from linearization_fairness.data.cifar10 import check_cifar10, load_cifar10
from linearization_fairness.data.config import DataConfig
from linearization_fairness.data.digits import load_digits_source, load_styled_digits
from linearization_fairness.data.prepared import PreparedData, SplitArrays
from linearization_fairness.data.source import SourceData
from linearization_fairness.data.splits import (
    channel_statistics,
    normalise,
    stratified_split,
    subsample_classes,
)
from linearization_fairness.data.svhn import check_svhn, load_svhn
from linearization_fairness.data.toy2d import make_toy2d
from linearization_fairness.data.utkface import check_utkface, load_utkface


def check_raw_data(config: DataConfig, raw_dir: Path) -> None:
    """Raise FileNotFoundError naming the expected path and files if the source's raw files are missing."""
    raw_dir = Path(raw_dir)
    if config.dataset == "cifar10":
        check_cifar10(raw_dir, config.download)
    elif config.dataset == "svhn":
        check_svhn(raw_dir, config.download)
    elif config.dataset.startswith("utkface"):
        check_utkface(raw_dir)


def load_source(config: DataConfig, raw_dir: Path, rng: np.random.Generator) -> SourceData:
    """Every sample of the configured source; `rng` draws toy2d's points and digits_styled's styles."""
    if config.dataset == "digits":
        return load_digits_source()
    if config.dataset == "digits_styled":
        return load_styled_digits(rng, config.group)
    if config.dataset == "toy2d":
        return make_toy2d(config.toy2d_majority_size, config.toy2d_minority_size, config.toy2d_noise, rng)
    if config.dataset == "cifar10":
        return load_cifar10(raw_dir, config.download)
    if config.dataset == "svhn":
        return load_svhn(raw_dir, config.download)
    return load_utkface(raw_dir, config.target, config.group, config.image_size, config.keep_infants)


# Shipped with the package or generated: no raw files to find, and loaded in milliseconds.
EMBEDDED_DATASETS = ("digits", "digits_styled", "toy2d")


def drawn_splits(config: DataConfig, raw_dir: Path) -> tuple[SourceData, dict[str, np.ndarray]]:
    """The source and the positions of each split's samples in it: data_prep's own draw."""
    # independent streams, so that toy2d's generated points do not reuse the numbers of the split
    source_seed, split_seed = np.random.SeedSequence(config.seed).spawn(2)
    source = load_source(config, Path(raw_dir), np.random.default_rng(source_seed))
    return source, split_positions(source, config, np.random.default_rng(split_seed))


def prepare(config: DataConfig, raw_dir: Path) -> PreparedData:
    """Stratified, optionally unbalanced, normalised splits; the same config gives identical arrays."""
    source, positions = drawn_splits(config, raw_dir)

    mean, std = channel_statistics(_unit_scaled(source, positions["train"]))
    splits = {name: _normalised_split(source, split, mean, std) for name, split in positions.items()}

    info = {
        "dataset": config.dataset,
        "num_classes": config.num_classes,
        "input_shape": list(source.x.shape[1:]),
        "class_names": list(source.class_names),
        "group_names": list(source.group_names),
        "target": config.target,
        "group": config.group,
        "normalisation_mean": mean.tolist(),
        "normalisation_std": std.tolist(),
        "seed": config.seed,
        "rejected_files": list(source.rejected_files),
    }
    return PreparedData(splits=splits, info=info)


def split_positions(
    source: SourceData, config: DataConfig, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Positions in `source` of each split, after the imbalance."""
    # One stratum per (class, group); where the group is the label these are the classes, in order.
    groups = int(source.group.max(initial=0)) + 1
    stratum = source.y * groups + source.group
    if source.official_test is None:
        train, val, test = stratified_split(stratum, config.val_fraction, config.test_fraction, rng)
    else:
        pool = np.flatnonzero(~source.official_test)
        train_in_pool, val_in_pool, _ = stratified_split(stratum[pool], config.val_fraction, 0.0, rng)
        train, val, test = pool[train_in_pool], pool[val_in_pool], np.flatnonzero(source.official_test)
    positions = {"train": train, "val": val, "test": test}
    if not (config.minority_classes or config.minority_groups):
        return positions
    if config.minority_classes:
        keep = {class_id: config.majority_keep_fraction for class_id in range(config.num_classes)}
        keep |= {class_id: config.minority_keep_fraction for class_id in config.minority_classes}
        keep_fraction = {int(key): keep[int(key) // groups] for key in np.unique(stratum)}
    else:
        minority = set(config.minority_groups)
        keep_fraction = {int(key): config.minority_keep_fraction for key in np.unique(stratum) if int(key) % groups in minority}
    unbalanced = ("train", "val", "test") if config.unbalance_test else ("train",)
    for split_name in unbalanced:
        split = positions[split_name]
        positions[split_name] = split[subsample_classes(stratum[split], keep_fraction, rng)]
    return positions


def _unit_scaled(source: SourceData, positions: np.ndarray) -> np.ndarray:
    return source.x[positions].astype(np.float32) / np.float32(source.max_value)


def _normalised_split(source: SourceData, positions: np.ndarray, mean: np.ndarray, std: np.ndarray) -> SplitArrays:
    return SplitArrays(
        x=normalise(_unit_scaled(source, positions), mean, std),
        y=source.y[positions],
        group=source.group[positions],
        index=source.index[positions],
    )
