"""DeepReDuce (Jha et al., ICML 2021): remove ReLUs a whole stage or a whole layer at a time.

A budget names what it removes: digits are the 1-based stages that are *culled* (every ReLU in
them linearized), a trailing "t" *thins* every remaining block. DeepReDuce thins by dropping
alternate ReLU layers; in a BasicBlock with sites relu1 (after the first BN) and relu2 (after the
residual add) the count is the same whichever is dropped, and its released ResNet code has a
switch for each. This tool drops relu1 and keeps relu2: the residual branch then becomes one
linear map, and the trunk (the skip path every later block reads) is still rectified once per
block. Dropping relu2 instead would leave the trunk of a thinned stage unrectified from block to
block, with nonlinearity only inside the branches.

On SNL's ResNet18 at 32x32 this gives "1" -> 229,376 ReLUs, "1t" -> 114,688, "14" -> 196,608 and
"14t" -> 98,304, the DeepReDuce counts. On an MLP each hidden layer is a stage; thinning has no
meaning there.

Which stages to cull comes from DeepReDuce's criticality test: a network that keeps ReLUs in one
stage only is trained per stage, and the stages whose networks reach the highest accuracy are the
most critical. DeepReDuce trains each such network in full; here each is a short finetune from
the base weights, which ranks the stages at a fraction of the cost.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any

import pandas as pd
import torch
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from torch import nn

from linearization_fairness.linearization.budgets import distinct
from linearization_fairness.linearization.method import LinearizeResult, Run
from linearization_fairness.linearization.sites import is_resnet, linearizable_copy, site_stages
from linearization_fairness.models import freeze_masks, parse_site_name, relu_sites
from linearization_fairness.training import CrossEntropy, engine
from linearization_fairness.training.config import stage_train
from linearization_fairness.training.engine import Split

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Culling:
    culled: tuple[int, ...]  # 1-based stages whose ReLUs are all linearized
    thinned: bool  # in every remaining block keep relu2 only


_CULLING = re.compile(r"^([1-9]*)(t?)$")


def parse_culling(budget: str) -> Culling:
    """'14t' -> stages (1, 4) culled, the rest thinned; 't' alone thins every stage."""
    match = _CULLING.match(budget) if isinstance(budget, str) else None
    stages = tuple(int(digit) for digit in match.group(1)) if match else ()
    increasing = all(a < b for a, b in zip(stages, stages[1:]))
    if match is None or not budget or not increasing:
        raise ValueError(
            f"{budget!r} is not a DeepReDuce budget; write the culled stages in increasing order, "
            "optionally followed by 't' to thin the rest, e.g. '1', '1t', '14', '14t'"
        )
    return Culling(culled=stages, thinned=match.group(2) == "t")


def check_culling(budget: str, model: nn.Module) -> Culling:
    """The parsed budget, or a ValueError saying why this model cannot take it."""
    parsed = parse_culling(budget)
    stages = sorted(set(site_stages(model).values()))
    unit = "stages" if is_resnet(model) else "hidden layers"
    missing = [stage for stage in parsed.culled if stage not in stages]
    if missing:
        raise ValueError(
            f"{budget!r} culls {unit} {missing}, but the model has {unit} {stages} only; use digits in 1..{stages[-1]}"
        )
    if set(parsed.culled) == set(stages):
        raise ValueError(f"{budget!r} culls every one of the model's {unit}, leaving no ReLU; keep at least one")
    if parsed.thinned and not is_resnet(model):
        raise ValueError(f"{budget!r} thins blocks, but an MLP has no blocks with two ReLU sites; drop the 't'")
    return parsed


def _culling_spec(value: Any) -> Any:
    # YAML reads an unquoted 14 as a number; it still names stages 1 and 4.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    parse_culling(value)
    return value


class CriticalityConfig(BaseModel):
    """DeepReDuce's stage criticality test: one short training per stage (see `criticality_table`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    # A short finetune from the base weights, so a small SGD lr suits it.
    train: stage_train(optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4, schedule="cosine", epochs=5)


class DeepReDuceConfig(BaseModel):
    """`budgets` name the stages culled, with a trailing 't' when the rest is thinned (e.g. '14t')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budgets: Annotated[list[Annotated[str, BeforeValidator(_culling_spec)]], Field(min_length=1), AfterValidator(distinct)]
    criticality: CriticalityConfig = CriticalityConfig()


def _site_kept(name: str, stage: int, culling: Culling) -> bool:
    if stage in culling.culled:
        return False
    return not (culling.thinned and parse_site_name(name).position == 1)


def relus_kept(budget: str, model: nn.Module) -> int:
    """ReLUs the budget would keep (reads shapes only, so a meta-device model will do)."""
    parsed = check_culling(budget, model)
    stages = site_stages(model)
    return sum(site.numel() for name, site in relu_sites(model) if _site_kept(name, stages[name], parsed))


def deepreduce_linearize(base_model: nn.Module, budget: str) -> nn.Module:
    """A copy of the all-ReLU `base_model` with the budget's sites linearized and masks frozen."""
    model = linearizable_copy(base_model)
    parsed = check_culling(budget, model)
    stages = site_stages(model)
    keep = {
        name: torch.full(site.shape, _site_kept(name, stages[name], parsed), dtype=torch.bool)
        for name, site in relu_sites(model)
    }
    freeze_masks(model, keep)
    return model


def criticality_table(
    base_model: nn.Module, train: Split, val: Split, config: CriticalityConfig, seed: int
) -> pd.DataFrame:
    """Per stage: the ReLUs it holds and the best val accuracy of a short training of a copy of
    the base model that keeps ReLUs in that stage only (every other stage linear)."""
    stages = site_stages(base_model)
    rows = []
    for stage in sorted(set(stages.values())):
        model = linearizable_copy(base_model)
        freeze_masks(
            model,
            {name: torch.full(site.shape, stages[name] == stage, dtype=torch.bool) for name, site in relu_sites(model)},
        )
        result = engine.train(model, train, val, config.train, CrossEntropy(), select_on="val_accuracy", seed=seed)
        accuracy = float(result.history["val_accuracy"].max())
        relus = sum(site.numel() for name, site in relu_sites(model) if stages[name] == stage)
        logger.info("criticality: stage %d alone (%d ReLUs) reaches val accuracy %.4f", stage, relus, accuracy)
        rows.append({"stage": stage, "relu_count": relus, "val_accuracy": accuracy})
    return pd.DataFrame(rows)


def criticality_order(table: pd.DataFrame) -> list[int]:
    """Stages of a `criticality_table` from most to least critical (highest accuracy first; ties:
    the earlier stage first)."""
    ranked = table.sort_values(["val_accuracy", "stage"], ascending=[False, True], kind="stable")
    return [int(stage) for stage in ranked["stage"]]


def propose_culling(order: list[int], model: nn.Module, budget: int) -> str:
    """The DeepReDuce culling for a ReLU count, given stages ordered most critical first.

    Rule: the candidates cull the k least critical stages (k = 0 .. stages - 1, never all), each
    as is and, on a ResNet, thinned; the unchanged model is not a candidate. Of the candidates
    that keep at most `budget` ReLUs, the one keeping the most wins (more ReLUs, more accuracy);
    among equal counts the one culling fewer stages, then the unthinned one.
    """
    stages = sorted(set(site_stages(model).values()))
    if sorted(order) != stages:
        raise ValueError(f"criticality order {order} must list each of the model's stages {stages} exactly once")
    least_critical_first = list(reversed(order))
    thinning_options = (False, True) if is_resnet(model) else (False,)
    candidates = []
    for culled_count in range(len(stages)):
        culled = "".join(str(stage) for stage in sorted(least_critical_first[:culled_count]))
        for thinned in thinning_options:
            if culled or thinned:
                culling = culled + ("t" if thinned else "")
                candidates.append((culling, relus_kept(culling, model)))
    within = [(culling, kept) for culling, kept in candidates if kept <= budget]
    if not within:
        fewest_culling, fewest = min(candidates, key=lambda candidate: candidate[1])
        raise ValueError(
            f"no culling or thinning reaches a budget of {budget} ReLUs: the fewest is {fewest} with "
            f"{fewest_culling!r}; going lower needs DeepReDuce's channel/resolution reshaping, which this tool "
            "does not do, so raise the budget"
        )
    return max(within, key=lambda candidate: candidate[1])[0]


def linearize(base_model: nn.Module, budget: str, config: DeepReDuceConfig, run: Run) -> LinearizeResult:
    """The registry's entry point."""
    return LinearizeResult(deepreduce_linearize(base_model, budget))
