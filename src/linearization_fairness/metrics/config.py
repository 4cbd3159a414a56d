"""Parameters of the evaluate stage's measurements, validated at start-up."""

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class MetricsConfig(BaseModel):
    """Batch sizes and power-iteration settings for the per-group measurements.

    The gradient-norm and Hessian values depend on their batch sizes (they are means / maxima
    over batches of group losses), so keep those fixed across every model that is compared.
    """

    model_config = ConfigDict(extra="forbid")

    prediction_batch_size: int = 256
    grad_norm_batch_size: int = 128
    per_sample_batch_size: int = 32
    hessian_batch_size: int = 128
    hessian_iters: int = 100
    hessian_tol: float = 1e-3
    hessian_seed: int = 0

    @field_validator(
        "prediction_batch_size", "grad_norm_batch_size", "per_sample_batch_size", "hessian_batch_size", "hessian_iters"
    )
    @classmethod
    def _positive(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError(f"metrics.{info.field_name}={value} must be a positive integer, e.g. 128")
        return value

    @field_validator("hessian_tol")
    @classmethod
    def _positive_tolerance(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"metrics.hessian_tol={value} must be positive, e.g. 1e-3")
        return value
