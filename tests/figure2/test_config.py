"""The `figure2:` block: even widths, known rules, each stated in one line before anything runs."""

from __future__ import annotations

import pytest

from linearization_fairness.config import ConfigError, validate_run
from linearization_fairness.figure2 import Figure2Config

EXPERIMENT = {"digits": {"data": {"dataset": "digits"}}}


def test_the_study_is_optional_and_its_defaults_are_filled_in() -> None:
    assert validate_run({"experiments": EXPERIMENT}).figure2 is None
    study = validate_run({"experiments": EXPERIMENT, "figure2": {"seeds": [0, 1]}}).figure2
    assert study == Figure2Config(seeds=[0, 1]) and study.rules == ["random", "every_other"]
    assert study.train.optimizer == "adam" and study.train.weight_decay == 0.0  # the stage's recipe under the block


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"hidden_sizes": [8, 5]}, "figure2.hidden_sizes: [8, 5] has odd widths [5]; use even widths"),
        ({"rules": ["random", "thirds"]}, "figure2.rules: unknown half-linear rules ['thirds']; use some of: random, every_other"),
        ({"seeds": [1, 1]}, "figure2.seeds: [1, 1] lists an entry twice"),
        ({"task": {"curvature": 0}}, "figure2.task.curvature=0: Input should be greater than 0"),
        ({"hidden": [8]}, "figure2.hidden: unknown parameter"),
    ],
)
def test_a_bad_block_stops_the_run_with_one_line(block: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate_run({"experiments": EXPERIMENT, "figure2": block})
    assert message in str(error.value) and "\n" not in str(error.value)
