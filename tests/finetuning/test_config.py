import pytest
from pydantic import ValidationError

from linearization_fairness.finetuning import (
    VARIANTS,
    FinetuneConfig,
    LabelFreeConfig,
    MitigateConfig,
    finetune,
    label_free,
    mitigate,
)
from linearization_fairness.training import TrainConfig


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
    assert config.train.lr == FinetuneConfig().train.lr == 1e-3 != TrainConfig().lr  # not base training's 0.1
    assert config.train == FinetuneConfig().train.model_copy(update={"epochs": 3, "batch_size": 32})


@pytest.mark.parametrize(
    ("config_class", "settings", "location", "message"),
    [
        (FinetuneConfig, {"temperature": 0}, ("temperature",), "Input should be greater than 0"),
        (FinetuneConfig, {"kd_alpha": 1.5}, ("kd_alpha",), "Input should be less than or equal to 1"),
        (FinetuneConfig, {"select_on": "test_accuracy"}, ("select_on",), "Input should be 'val_accuracy', "),
        (FinetuneConfig, {"mu": 0.1}, ("mu",), "Extra inputs are not permitted"),
        (FinetuneConfig, {"train": {"lr": -1}}, ("train", "lr"), "Input should be greater than 0"),
        (MitigateConfig, {"kd_alpha": -0.1}, ("kd_alpha",), "Input should be greater than or equal to 0"),
        (MitigateConfig, {"mu": -0.01}, ("mu",), "Input should be greater than or equal to 0"),
        (MitigateConfig, {"update": "step"}, ("update",), "Input should be 'epoch' or 'batch'"),
        (MitigateConfig, {"penalty": "square"}, ("penalty",), "Input should be 'gap' or 'excess'"),
        (MitigateConfig, {"violations_on": "test"}, ("violations_on",), "Input should be 'train', 'val' or 'heldout'"),
        (MitigateConfig, {"violations_on": "heldout"}, (), "violations_on 'heldout' needs heldout_fraction"),
        (MitigateConfig, {"heldout_fraction": 0.2}, (), "heldout_fraction applies only to violations_on 'heldout'"),
        (MitigateConfig, {"violations_on": "heldout", "heldout_fraction": 1.0}, ("heldout_fraction",), "less than 1"),
        (MitigateConfig, {"violations_on": "heldout", "heldout_fraction": 0}, ("heldout_fraction",), "greater than 0"),
        (MitigateConfig, {"update": "batch", "violations_on": "heldout", "heldout_fraction": 0.2}, (), "on 'heldout'"),
        (MitigateConfig, {"groups": [1, 1]}, ("groups",), "[1, 1] lists a group twice; keep each once"),
        (MitigateConfig, {"groups": [-1]}, ("groups", 0), "Input should be greater than or equal to 0"),
        (MitigateConfig, {"groups": []}, ("groups",), "List should have at least 1 item"),
        (MitigateConfig, {"lambda_max": 0}, ("lambda_max",), "Input should be greater than 0"),
        (MitigateConfig, {"lambda_init": 2.0}, (), "lambda_init 2.0 exceeds lambda_max 1.0"),
        (MitigateConfig, {"update": "batch", "violations_on": "val"}, (), "use violations_on 'train'"),
        (LabelFreeConfig, {"worst_fraction": 0}, ("worst_fraction",), "Input should be greater than 0"),
        (LabelFreeConfig, {"worst_fraction": 1.5}, ("worst_fraction",), "Input should be less than or equal to 1"),
        (LabelFreeConfig, {"mu": 0.1}, ("mu",), "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_wrong_settings_fail_with_the_fix(config_class: type, settings: dict, location: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        config_class(**settings)
    (only,) = error.value.errors()
    assert only["loc"] == location
    assert message in only["msg"]


def test_each_variant_names_its_config_and_only_plain_finetuning_runs_on_the_control() -> None:
    assert {name: (variant.config, variant.run) for name, variant in VARIANTS.items()} == {
        "finetune": (FinetuneConfig, finetune),
        "mitigate": (MitigateConfig, mitigate),
        "label_free": (LabelFreeConfig, label_free),
    }
    assert [name for name, variant in VARIANTS.items() if variant.on_control] == ["finetune"]


def test_unbounded_multipliers_and_a_subset_of_groups_are_accepted() -> None:
    config = MitigateConfig(lambda_max=None, lambda_init=3.0, groups=[5, 6, 0])
    assert config.lambda_max is None
    assert config.groups == [0, 5, 6]
