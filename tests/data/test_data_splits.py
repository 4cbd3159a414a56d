from __future__ import annotations

import numpy as np

from linearization_fairness.data.splits import (
    channel_statistics,
    normalise,
    stratified_split,
    subsample_classes,
)


def test_stratified_split_partitions_every_class_in_the_same_proportions():
    labels = np.repeat(np.arange(4), [40, 80, 20, 60])
    train, val, test = stratified_split(labels, 0.25, 0.5, np.random.default_rng(0))
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(len(labels)))
    for class_id, size in enumerate([40, 80, 20, 60]):
        assert np.sum(labels[test] == class_id) == size // 2
        assert np.sum(labels[val] == class_id) == size // 4
        assert np.sum(labels[train] == class_id) == size // 4


def test_stratified_split_keeps_one_training_sample_of_a_tiny_class():
    labels = np.array([0] * 10 + [1, 2, 2])
    train, val, test = stratified_split(labels, 0.45, 0.45, np.random.default_rng(0))
    assert set(labels[train]) == {0, 1, 2}
    assert 1 not in set(labels[val]) | set(labels[test])


def test_stratified_split_depends_on_the_seed_only():
    labels = np.repeat(np.arange(3), 30)
    first = stratified_split(labels, 0.2, 0.2, np.random.default_rng(5))
    again = stratified_split(labels, 0.2, 0.2, np.random.default_rng(5))
    other = stratified_split(labels, 0.2, 0.2, np.random.default_rng(6))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[2], other[2])


def test_subsample_keeps_the_requested_share_and_at_least_one_per_class():
    labels = np.repeat(np.arange(3), [100, 50, 5])
    kept = subsample_classes(labels, {0: 0.9, 1: 0.1, 2: 0.1}, np.random.default_rng(0))
    assert np.bincount(labels[kept]).tolist() == [90, 5, 1]
    assert len(np.unique(kept)) == len(kept)


def test_normalisation_gives_zero_mean_unit_std_per_channel():
    x = np.random.default_rng(0).normal([[[[3.0]], [[-2.0]]]], [[[[2.0]], [[0.5]]]], size=(50, 2, 4, 4))
    mean, std = channel_statistics(x)
    normalised = normalise(x, mean, std)
    assert normalised.dtype == np.float32
    np.testing.assert_allclose(normalised.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalised.std(axis=(0, 2, 3)), 1.0, atol=1e-5)


def test_constant_channel_stays_finite():
    x = np.ones((10, 2), dtype=np.float32)
    mean, std = channel_statistics(x)
    assert std.tolist() == [1.0, 1.0]
    assert np.all(normalise(x, mean, std) == 0.0)
