import math

import pandas as pd
import pytest
from pydantic import ValidationError

from linearization_fairness.reporting.cost import PICostConfig, add_cost_columns


def cost_of(relus: float, config: PICostConfig | None = None) -> dict[str, float]:
    """The cost columns of a one-row table with `relus` ReLUs kept."""
    row = add_cost_columns(pd.DataFrame({"relus_kept": [relus]}), config, relu_column="relus_kept").iloc[0]
    return {column: float(row[column]) for column in ("offline_mb", "online_mb", "latency_s")}


def test_resnet18_cost_with_the_delphi_constants() -> None:
    cost = cost_of(491_520)

    assert cost["offline_mb"] == pytest.approx(491_520 * 17.1 / 1000)  # about 8.4 GB of garbled circuits
    assert cost["online_mb"] == pytest.approx(491_520 * 1.18 / 1000)
    assert cost["latency_s"] == pytest.approx(491_520 * 17e-6)


def test_custom_constants_scale_linearly() -> None:
    config = PICostConfig(offline_kb_per_relu=2.0, online_kb_per_relu=0.5, client_us_per_relu=10.0)

    assert cost_of(1000, config) == pytest.approx({"offline_mb": 2.0, "online_mb": 0.5, "latency_s": 0.01})
    assert cost_of(0, config) == {"offline_mb": 0.0, "online_mb": 0.0, "latency_s": 0.0}


def test_columns_are_added_to_a_copy_and_keep_nan() -> None:
    table = pd.DataFrame({"method": ["snl", "snl", "base"], "relu_count": [1000, 5000, float("nan")]})

    with_cost = add_cost_columns(table)

    assert list(table.columns) == ["method", "relu_count"]  # the input is left alone
    assert list(with_cost["offline_mb"].iloc[:2]) == pytest.approx([17.1, 85.5])
    assert math.isnan(with_cost.loc[2, "offline_mb"])


def test_bad_constants_and_counts_are_refused() -> None:
    with pytest.raises(ValidationError, match="offline_kb_per_relu\n.*greater than or equal to 0"):
        PICostConfig(offline_kb_per_relu=-1.0)
    with pytest.raises(ValidationError, match="finite number"):
        PICostConfig(online_kb_per_relu=float("inf"))
    with pytest.raises(ValidationError, match="extra"):
        PICostConfig(kb_per_relu=1.0)
    with pytest.raises(ValueError, match="negative or infinite"):
        add_cost_columns(pd.DataFrame({"relu_count": [-5]}))
    with pytest.raises(ValueError, match="no column 'relus'"):
        add_cost_columns(pd.DataFrame({"relu_count": [1]}), relu_column="relus")
