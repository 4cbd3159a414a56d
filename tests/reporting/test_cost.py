import math

import pandas as pd
import pytest
from pydantic import ValidationError

from linearization_fairness.reporting.cost import PICostConfig, add_cost_columns, estimate_cost


def test_resnet18_cost_with_the_delphi_constants() -> None:
    cost = estimate_cost(491_520)

    assert cost["offline_mb"] == pytest.approx(491_520 * 17.1 / 1000)  # about 8.4 GB of garbled circuits
    assert cost["online_mb"] == pytest.approx(491_520 * 1.18 / 1000)
    assert cost["latency_s"] == pytest.approx(491_520 * 17e-6)


def test_custom_constants_scale_linearly() -> None:
    config = PICostConfig(offline_kb_per_relu=2.0, online_kb_per_relu=0.5, client_us_per_relu=10.0)

    assert estimate_cost(1000, config) == pytest.approx({"offline_mb": 2.0, "online_mb": 0.5, "latency_s": 0.01})
    assert estimate_cost(0, config) == {"offline_mb": 0.0, "online_mb": 0.0, "latency_s": 0.0}


def test_vectorised_columns_match_the_scalar_estimate_and_keep_nan() -> None:
    table = pd.DataFrame({"method": ["snl", "snl", "base"], "relu_count": [1000, 5000, float("nan")]})

    with_cost = add_cost_columns(table)

    assert list(table.columns) == ["method", "relu_count"]  # the input is left alone
    for row in with_cost.iloc[:2].itertuples():
        expected = estimate_cost(row.relu_count)
        assert (row.offline_mb, row.online_mb, row.latency_s) == pytest.approx(
            (expected["offline_mb"], expected["online_mb"], expected["latency_s"])
        )
    assert math.isnan(with_cost.loc[2, "offline_mb"])


def test_bad_constants_and_counts_are_refused() -> None:
    with pytest.raises(ValidationError, match="offline_kb_per_relu=-1.0 must be a finite number >= 0, e.g. 17.1"):
        PICostConfig(offline_kb_per_relu=-1.0)
    with pytest.raises(ValidationError, match="extra"):
        PICostConfig(kb_per_relu=1.0)
    with pytest.raises(ValueError, match="relu_count=-5"):
        estimate_cost(-5)
    with pytest.raises(ValueError, match="no column 'relus'"):
        add_cost_columns(pd.DataFrame({"relu_count": [1]}), relu_column="relus")
