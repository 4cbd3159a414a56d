"""Estimated private-inference cost of a model from the number of ReLUs it keeps.

In two-party private inference with garbled circuits for the non-linear layers (Delphi-style),
each ReLU costs a fixed amount of communication and client computation, and linear layers are
comparatively cheap, so the ReLU count is the cost model: cost = ReLU count * per-ReLU constant.
The default constants were measured with the Delphi codebase on 2021 hardware; they describe
that one protocol and machine, not private inference in general, hence configurable.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

KB_PER_MB = 1000.0  # decimal units, as communication is usually reported
MICROSECONDS_PER_SECOND = 1e6
CostColumn = Literal["offline_mb", "online_mb", "latency_s"]
COST_LABELS = {
    "offline_mb": "offline garbled-circuit transfer (MB)",
    "online_mb": "online communication (MB)",
    "latency_s": "client ReLU evaluation time (s)",
}


class PICostConfig(BaseModel):
    """Per-ReLU cost constants of one private-inference protocol.

    Defaults: measurements of a Delphi-style protocol (garbled circuits for ReLUs) with the Delphi
    codebase on 2021 hardware. Other protocols or machines have other constants.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    offline_kb_per_relu: float = Field(
        17.1,
        ge=0,
        description="Offline (pre-processing) garbled-circuit transfer per ReLU in KB; Delphi-style, 2021 hardware.",
    )
    online_kb_per_relu: float = Field(
        1.18,
        ge=0,
        description="Online communication per ReLU in KB; Delphi-style protocol, 2021 hardware.",
    )
    client_us_per_relu: float = Field(
        17.0,
        ge=0,
        description="Client garbled-circuit evaluation time per ReLU in microseconds; Delphi-style, 2021 hardware.",
    )


def _costs(relus: float | pd.Series, config: PICostConfig) -> dict[str, float | pd.Series]:
    return {
        "offline_mb": relus * config.offline_kb_per_relu / KB_PER_MB,
        "online_mb": relus * config.online_kb_per_relu / KB_PER_MB,
        "latency_s": relus * config.client_us_per_relu / MICROSECONDS_PER_SECOND,
    }


def add_cost_columns(
    table: pd.DataFrame, config: PICostConfig | None = None, relu_column: str = "relu_count"
) -> pd.DataFrame:
    """A copy of `table` with offline_mb, online_mb and latency_s computed from `relu_column`.

    NaN ReLU counts give NaN costs (e.g. a model whose count was not recorded).
    """
    if relu_column not in table.columns:
        raise ValueError(f"table has no column {relu_column!r}; pass relu_column= one of {list(table.columns)}")
    relus = pd.to_numeric(table[relu_column], errors="coerce").astype(float)
    if (relus < 0).any() or np.isinf(relus).any():
        raise ValueError(f"column {relu_column!r} holds negative or infinite ReLU counts")
    return table.assign(**_costs(relus, config or PICostConfig()))
