"""The `tracking:` block of parameters.yml: whether runs are tracked. Where they go (the store, the
experiment's name) is kedro-mlflow's own configuration, conf/<env>/mlflow.yml.

None of this changes what a node computes, so none of it enters a fingerprint.
"""

from __future__ import annotations

import importlib.util

from pydantic import BaseModel, ConfigDict, field_validator


class TrackingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False

    @field_validator("enabled")
    @classmethod
    def _installed(cls, enabled: bool) -> bool:
        # Checked with the parameters, before the run starts, not at its end.
        if enabled and importlib.util.find_spec("kedro_mlflow") is None:
            raise ValueError("tracking needs kedro-mlflow and mlflow: pip install -e '.[tracking]'")
        return enabled
