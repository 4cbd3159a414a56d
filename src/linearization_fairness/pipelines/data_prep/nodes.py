"""Node functions of the data_prep stage; the science lives in `linearization_fairness.data`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linearization_fairness.data import group_label_statistics, group_statistics, prepare
from linearization_fairness.sweep import Experiment


def prepare_data(*, experiment: Experiment) -> tuple[dict[str, np.ndarray], dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Splits as arrays, the dataset's description, and the counts per split of each group and of
    each (group, label)."""
    prepared = prepare(experiment.config.data, Path(experiment.run.raw_data_dir))
    return prepared.to_arrays(), prepared.info, group_statistics(prepared), group_label_statistics(prepared)
