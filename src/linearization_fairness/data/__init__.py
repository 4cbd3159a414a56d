"""Data sources, stratified (un)balanced splits and normalisation: the science of the data_prep stage."""

from linearization_fairness.data.config import DATASETS, DataConfig
from linearization_fairness.data.preparation import check_raw_data, prepare
from linearization_fairness.data.prepared import PreparedData, Split, group_statistics

__all__ = ["DATASETS", "DataConfig", "PreparedData", "Split", "check_raw_data", "group_statistics", "prepare"]
