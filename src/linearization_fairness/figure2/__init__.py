"""The paper's Figure 2 from scratch: a 2-D task, all-ReLU vs half-linear MLPs, over seeds."""

from linearization_fairness.figure2.config import Figure2Config
from linearization_fairness.figure2.study import ALL_RELU, HALF_RULES, class_accuracy, initial_model, train_from_scratch
from linearization_fairness.figure2.task import CLASS_NAMES, TaskConfig, is_minority_region, make_task

__all__ = [
    "ALL_RELU",
    "CLASS_NAMES",
    "Figure2Config",
    "HALF_RULES",
    "TaskConfig",
    "class_accuracy",
    "initial_model",
    "is_minority_region",
    "make_task",
    "train_from_scratch",
]
