import pytest
import torch

from linearization_fairness.config import ConfigError, validate_run
from linearization_fairness.metrics.sampling import diagnostic_positions, kept_count

# 28 samples of group 0, 11 of group 1, 6 of group 2, interleaved as a split's groups are.
GROUP = torch.tensor([0, 0, 1, 0, 0, 2] * 5 + [0, 1] * 5 + [0, 1, 0, 2, 0])


def counts(positions: torch.Tensor) -> dict[int, int]:
    ids, sizes = GROUP[positions].unique(return_counts=True)
    return dict(zip(ids.tolist(), sizes.tolist()))


def test_the_whole_split_when_per_group_is_none() -> None:
    assert diagnostic_positions(GROUP, None, seed=0).tolist() == list(range(len(GROUP)))


def test_a_count_caps_every_group_and_keeps_smaller_ones_whole() -> None:
    full = counts(torch.arange(len(GROUP)))
    positions = diagnostic_positions(GROUP, 10, seed=0)
    assert counts(positions) == {group_id: min(10, size) for group_id, size in full.items()}
    assert positions.tolist() == sorted(set(positions.tolist())), "sorted and without repeats"


def test_a_share_keeps_the_group_proportions_and_at_least_one_sample() -> None:
    full = counts(torch.arange(len(GROUP)))
    assert counts(diagnostic_positions(GROUP, 0.25, seed=0)) == {
        group_id: max(1, round(0.25 * size)) for group_id, size in full.items()
    }
    assert kept_count(0.01, 3) == 1


def test_the_draw_depends_on_the_seed_only_and_larger_counts_extend_smaller_ones() -> None:
    first = diagnostic_positions(GROUP, 5, seed=3)
    assert torch.equal(first, diagnostic_positions(GROUP, 5, seed=3))
    assert not torch.equal(first, diagnostic_positions(GROUP, 5, seed=4))
    assert set(first.tolist()) <= set(diagnostic_positions(GROUP, 8, seed=3).tolist())


def test_a_bad_value_in_the_parameters_is_one_line() -> None:
    parameters = {"experiments": {"digits": {"data": {"dataset": "digits"}, "evaluate": {"diagnostics_per_group": 1.5}}}}
    with pytest.raises(ConfigError) as error:
        validate_run(parameters)
    assert str(error.value) == (
        "experiments.digits.evaluate.diagnostics_per_group=1.5: 1.5 is neither a number of samples per group "
        "(an integer >= 1) nor a share of each group in (0, 1); use e.g. 100 or 0.1, or null for the whole test split"
    )
