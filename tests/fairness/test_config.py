import pytest
from pydantic import ValidationError

from linearization_fairness.fairness import FINETUNE_TRAIN_DEFAULTS, FinetuneConfig, MitigateConfig


def test_defaults_follow_snl_finetuning() -> None:
    config = MitigateConfig()
    assert (config.temperature, config.kd_alpha, config.select_on) == (4.0, 0.5, "val_accuracy")
    train = config.train
    assert (train.optimizer, train.lr, train.momentum, train.weight_decay, train.schedule, train.epochs) == (
        "sgd", 1e-3, 0.9, 5e-4, "cosine", 100,
    )  # fmt: skip
    assert (config.mu, config.lambda_init, config.lambda_max) == (0.05, 0.0, 1.0)
    assert (config.update, config.violations_on, config.groups) == ("epoch", "train", None)


def test_a_partial_train_block_keeps_the_finetune_recipe() -> None:
    config = FinetuneConfig(train={"epochs": 3, "batch_size": 32})
    assert (config.train.epochs, config.train.batch_size) == (3, 32)
    assert config.train.lr == FINETUNE_TRAIN_DEFAULTS["lr"]  # not TrainConfig's base-training 0.1


@pytest.mark.parametrize(
    ("config_class", "settings", "message"),
    [
        (FinetuneConfig, {"temperature": 0}, "finetune.temperature=0.0 must be > 0"),
        (FinetuneConfig, {"kd_alpha": 1.5}, r"finetune.kd_alpha=1.5 must be in \[0, 1\]"),
        (FinetuneConfig, {"select_on": "test_accuracy"}, "finetune.select_on='test_accuracy' is unknown; use one of"),
        (FinetuneConfig, {"mu": 0.1}, "Extra inputs are not permitted"),
        (FinetuneConfig, {"train": {"lr": -1}}, "train.lr=-1.0 must be > 0"),
        (MitigateConfig, {"kd_alpha": -0.1}, "mitigate.kd_alpha=-0.1 must be in"),
        (MitigateConfig, {"mu": -0.01}, "mitigate.mu=-0.01 must be >= 0"),
        (MitigateConfig, {"update": "step"}, "mitigate.update='step' is unknown; use one of: epoch, batch"),
        (MitigateConfig, {"violations_on": "test"}, "mitigate.violations_on='test' is unknown; use one of: train, val"),
        (MitigateConfig, {"groups": [1, 1]}, r"mitigate.groups=\[1, 1\] must be distinct group ids >= 0"),
        (MitigateConfig, {"groups": []}, "leave it out to constrain every group"),
        (MitigateConfig, {"lambda_max": 0}, "mitigate.lambda_max=0.0 must be > 0, or null"),
        (MitigateConfig, {"lambda_init": 2.0}, "mitigate.lambda_init=2.0 exceeds lambda_max=1.0"),
        (MitigateConfig, {"update": "batch", "violations_on": "val"}, "use violations_on='train'"),
    ],
)
def test_wrong_settings_fail_with_the_fix(config_class: type, settings: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        config_class(**settings)


def test_unbounded_multipliers_and_a_subset_of_groups_are_accepted() -> None:
    config = MitigateConfig(lambda_max=None, lambda_init=3.0, groups=[5, 6, 0])
    assert config.lambda_max is None
    assert config.groups == [0, 5, 6]
