"""ReLU linearization: SNL's learned masks, DeepReDuce's stage culling and thinning, and a random control."""

from linearization_fairness.linearization.config import (
    Budget,
    CriticalityConfig,
    DeepReDuceConfig,
    DeepReDuceVariant,
    LinearizeConfig,
    RandomConfig,
    SNLConfig,
    check_against_model,
    check_variant,
    parse_variant,
    resolve_budget,
)
from linearization_fairness.linearization.deepreduce import (
    criticality_order,
    criticality_table,
    deepreduce_linearize,
    propose_culling,
    relus_kept_by_variant,
)
from linearization_fairness.linearization.random_control import random_linearize
from linearization_fairness.linearization.report import fig_kept_by_layer, kept_by_layer
from linearization_fairness.linearization.sites import site_stages
from linearization_fairness.linearization.snl import LinearizeResult, MaskSearch, snl_linearize, top_k_masks

__all__ = [
    "Budget",
    "CriticalityConfig",
    "DeepReDuceConfig",
    "DeepReDuceVariant",
    "LinearizeConfig",
    "LinearizeResult",
    "MaskSearch",
    "RandomConfig",
    "SNLConfig",
    "check_against_model",
    "check_variant",
    "criticality_order",
    "criticality_table",
    "deepreduce_linearize",
    "fig_kept_by_layer",
    "kept_by_layer",
    "parse_variant",
    "propose_culling",
    "random_linearize",
    "relus_kept_by_variant",
    "resolve_budget",
    "site_stages",
    "snl_linearize",
    "top_k_masks",
]
