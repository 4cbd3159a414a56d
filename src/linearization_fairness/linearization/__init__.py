"""ReLU linearization: SNL's learned masks, DeepReDuce's stage culling and thinning, and a random control."""

from linearization_fairness.linearization.budgets import Budget, budget_label, resolve_budget
from linearization_fairness.linearization.deepreduce import (
    CriticalityConfig,
    Culling,
    DeepReDuceConfig,
    check_culling,
    criticality_order,
    criticality_table,
    deepreduce_linearize,
    parse_culling,
    propose_culling,
    relus_kept,
)
from linearization_fairness.linearization.method import LinearizationMethod, LinearizeResult, Run
from linearization_fairness.linearization.random_control import RandomConfig, random_linearize
from linearization_fairness.linearization.registry import METHODS, LinearizeConfig, check_against_model, declared
from linearization_fairness.linearization.report import fig_kept_by_layer, kept_by_layer
from linearization_fairness.linearization.sites import site_stages
from linearization_fairness.linearization.snl import MaskSearch, SNLConfig, snl_search, top_k_masks

__all__ = [
    "METHODS",
    "Budget",
    "CriticalityConfig",
    "Culling",
    "DeepReDuceConfig",
    "LinearizationMethod",
    "LinearizeConfig",
    "LinearizeResult",
    "MaskSearch",
    "RandomConfig",
    "Run",
    "SNLConfig",
    "budget_label",
    "check_against_model",
    "check_culling",
    "criticality_order",
    "criticality_table",
    "declared",
    "deepreduce_linearize",
    "fig_kept_by_layer",
    "kept_by_layer",
    "parse_culling",
    "propose_culling",
    "random_linearize",
    "relus_kept",
    "resolve_budget",
    "site_stages",
    "snl_search",
    "top_k_masks",
]
