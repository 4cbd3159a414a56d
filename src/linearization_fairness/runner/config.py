"""How a sweep is spread over a Ray cluster: which cluster, and what each node asks of it.

None of this changes what a node computes, so none of it enters a fingerprint.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

# Stages whose nodes run the training loop or differentiate through a model: on a GPU when the
# cluster has one. The rest (data preparation, tables, figures, the report) take one CPU each.
GPU_STAGES = ("base_train", "linearize", "finetune", "evaluate")


class RayConfig(BaseModel):
    """The `ray:` block of parameters.yml, read by `kedro run --runner=ray`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # An existing cluster ("ray://host:10001", "host:6379" or "auto"); None starts a local one on
    # this machine (RAY_ADDRESS, when set, wins over both).
    address: str | None = None
    # A local cluster's size; None: this machine's CPUs and GPUs.
    num_cpus: PositiveInt | None = None
    num_gpus: int | None = Field(None, ge=0)
    # Share of one GPU a GPU-stage node asks for: 0.25 packs four small cells on each GPU.
    gpus_per_training_task: float = Field(1.0, gt=0, le=1)
    cpus_per_task: float = Field(1.0, gt=0)
    dashboard: bool = False  # Ray's web dashboard, on 127.0.0.1:8265
