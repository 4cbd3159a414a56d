"""Parameters of the evaluate stage's measurements."""

from pydantic import BaseModel, ConfigDict, NonNegativeInt, PositiveFloat, PositiveInt


class MetricsConfig(BaseModel):
    """Batch sizes and power-iteration settings for the per-group measurements.

    The gradient-norm and Hessian values depend on their batch sizes (they are means / maxima
    over batches of group losses), so keep those fixed across every model that is compared.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    prediction_batch_size: PositiveInt = 256
    grad_norm_batch_size: PositiveInt = 128
    per_sample_batch_size: PositiveInt = 32
    hessian_batch_size: PositiveInt = 128
    hessian_iters: PositiveInt = 100
    hessian_tol: PositiveFloat = 1e-3
    hessian_seed: NonNegativeInt = 0
