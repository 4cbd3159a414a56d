"""Node functions of the data_prep stage; the science lives in `linearization_fairness.data`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.data import DataConfig, group_statistics, prepare


def prepare_data(
    config: DataConfig, raw_data_dir: str
) -> tuple[dict[str, np.ndarray], dict[str, Any], pd.DataFrame]:
    """Splits as arrays, the dataset's description, and the group counts per split."""
    prepared = prepare(config, Path(raw_data_dir))
    return prepared.to_arrays(), prepared.info, group_statistics(prepared)
