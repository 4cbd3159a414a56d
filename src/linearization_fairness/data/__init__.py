"""Data sources, stratified (un)balanced splits and normalisation: the science of the data_prep stage."""

from linearization_fairness.data.config import DOWNLOADABLE_DATASETS, DataConfig, Dataset
from linearization_fairness.data.preparation import check_raw_data, prepare
from linearization_fairness.data.prepared import PreparedData, SplitArrays, group_label_statistics, group_statistics

__all__ = ["DOWNLOADABLE_DATASETS", "DataConfig", "Dataset", "PreparedData", "SplitArrays", "check_raw_data", "group_label_statistics", "group_statistics", "prepare"]
