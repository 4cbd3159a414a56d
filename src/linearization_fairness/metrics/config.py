"""Parameters of the evaluate stage's measurements, and what they cost."""

from pydantic import BaseModel, ConfigDict, NonNegativeInt, PositiveFloat, PositiveInt

from linearization_fairness.metrics.sampling import SamplesPerGroup


class MetricsConfig(BaseModel):
    """Batch sizes, the diagnostics' samples, and the power iteration's stopping rule.

    Predictions (accuracy, loss, margins) always cover the whole test split. The diagnostics
    (gradient norms, per-sample gradient norms, Hessian eigenvalues) cost orders of magnitude more
    per sample, so they measure `diagnostics_per_group` test samples of each group: a count, a
    share of each group (stratified), or None for the whole split (the authors' convention),
    drawn with `diagnostics_seed`. A Hessian power iteration stops once its residual
    ||Hv - lambda v|| is at most `hessian_tol` * |lambda| (then lambda is within that relative
    distance of an eigenvalue of H), or after `hessian_iters` Hessian-vector products, unconverged.

    The gradient-norm and Hessian values depend on their batch sizes and samples (they are means /
    maxima over batches of group losses; a maximum over more batches is larger), so keep those
    fixed across every model that is compared.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    prediction_batch_size: PositiveInt = 256
    grad_norm_batch_size: PositiveInt = 128
    per_sample_batch_size: PositiveInt = 32
    hessian_batch_size: PositiveInt = 128
    hessian_iters: PositiveInt = 300
    hessian_tol: PositiveFloat = 1e-3
    hessian_seed: NonNegativeInt = 0
    diagnostics_per_group: SamplesPerGroup = 0.2
    diagnostics_seed: NonNegativeInt = 0
