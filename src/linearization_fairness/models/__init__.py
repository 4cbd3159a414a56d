"""Networks whose ReLUs can be kept or linearized one activation pixel at a time."""

from linearization_fairness.models.artifact import (
    ModelArtifact,
    atomic_torch_save,
    load_artifact,
    portable_state_dict,
    save_artifact,
)
from linearization_fairness.models.config import (
    MLPConfig,
    ModelConfig,
    ResNetConfig,
    StandardResNetConfig,
    build_model,
    model_config,
)
from linearization_fairness.models.masks import (
    MASK_MODES,
    SNL_ALPHA_THRESHOLD,
    MaskableReLU,
    clamp_masks_,
    freeze_masks,
    keep_masks,
    kept_relus_by_site,
    mask_parameters,
    relu_count,
    relu_sites,
    set_mask_mode,
    total_relu_sites,
    weight_parameters,
)
from linearization_fairness.models.mlp import MLP
from linearization_fairness.models.resnet import (
    ResNet,
    ResNetSite,
    parse_site_name,
    resnet18,
    resnet34,
)

__all__ = [
    "MASK_MODES",
    "MLP",
    "MLPConfig",
    "SNL_ALPHA_THRESHOLD",
    "StandardResNetConfig",
    "MaskableReLU",
    "ModelArtifact",
    "ModelConfig",
    "ResNet",
    "ResNetConfig",
    "ResNetSite",
    "atomic_torch_save",
    "build_model",
    "clamp_masks_",
    "freeze_masks",
    "keep_masks",
    "kept_relus_by_site",
    "load_artifact",
    "model_config",
    "mask_parameters",
    "parse_site_name",
    "portable_state_dict",
    "relu_count",
    "relu_sites",
    "resnet18",
    "resnet34",
    "save_artifact",
    "set_mask_mode",
    "total_relu_sites",
    "weight_parameters",
]
