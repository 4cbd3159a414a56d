import pytest
from pydantic import ValidationError

from linearization_fairness.linearization import (
    METHODS,
    CriticalityConfig,
    DeepReDuceConfig,
    LinearizeConfig,
    RandomConfig,
    SNLConfig,
    check_against_model,
    declared,
    resolve_budget,
)
from tests.factories import cifar_resnet18, tiny_mlp, tiny_resnet


def field_error(config_class: type, **fields: object) -> tuple[tuple, str]:
    """The location and message of the one error that `fields` raise."""
    with pytest.raises(ValidationError) as error:
        config_class(**fields)
    (only,) = error.value.errors()
    return only["loc"], only["msg"]


@pytest.mark.parametrize("bad", [0, -3, 1.0, 1.5, 0.0, True, "many"])
def test_a_budget_must_be_a_count_or_a_fraction(bad: object) -> None:
    loc, message = field_error(SNLConfig, budgets=[100, bad])
    assert loc == ("budgets", 1) and f"{bad!r} is neither a ReLU count" in message
    loc, message = field_error(RandomConfig, budgets=[bad])
    assert loc == ("budgets", 0) and "neither a ReLU count" in message


def test_budgets_must_be_listed_once_and_not_empty() -> None:
    assert SNLConfig(budgets=[2000, 0.05]).budgets == [2000, 0.05]
    assert "lists a budget twice" in field_error(RandomConfig, budgets=[10, 10])[1]
    assert field_error(SNLConfig, budgets=[]) == (("budgets",), "List should have at least 1 item after validation, not 0")


def test_snl_defaults_are_snls_and_a_partial_train_block_keeps_the_search_recipe() -> None:
    config = SNLConfig(budgets=[10], train={"lr": 0.002, "epochs": 20})
    assert (config.lambda_init, config.lambda_growth, config.warmup_epochs, config.threshold) == (1e-5, 1.1, 5, 1e-2)
    assert config.temperature == 4.0
    assert (config.train.optimizer, config.train.lr, config.train.schedule) == ("adam", 0.002, "constant")
    assert config.train.epochs == 20
    assert SNLConfig.model_validate(config.model_dump()) == config
    assert SNLConfig(budgets=[10]).train.epochs == 100


def test_train_epochs_is_the_only_length_of_a_search_or_a_criticality_test() -> None:
    assert field_error(SNLConfig, budgets=[10], max_epochs=20) == (("max_epochs",), "Extra inputs are not permitted")
    assert field_error(CriticalityConfig, epochs=2) == (("epochs",), "Extra inputs are not permitted")
    config = CriticalityConfig(train={"lr": 0.05, "epochs": 2})
    assert (config.train.optimizer, config.train.lr, config.train.epochs) == ("sgd", 0.05, 2)
    assert CriticalityConfig().train.epochs == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [("lambda_growth", 1.0), ("lambda_init", 0.0), ("threshold", 1.0), ("kd_alpha", 1.5), ("warmup_epochs", -1),
     ("mask_lr", -0.1)],
)  # fmt: skip
def test_bad_snl_hyperparameters_name_the_field(field: str, value: float) -> None:
    loc, message = field_error(SNLConfig, budgets=[10], **{field: value})
    assert loc == (field,) and message.startswith("Input should be")


@pytest.mark.parametrize("bad", ["41", "11", "1x", "", "t1", "0", "1tt"])
def test_deepreduce_budgets_follow_the_grammar(bad: str) -> None:
    loc, message = field_error(DeepReDuceConfig, budgets=["1", bad])
    assert loc == ("budgets", 1) and f"{bad!r} is not a DeepReDuce budget" in message


def test_unquoted_yaml_numbers_name_stages() -> None:
    assert DeepReDuceConfig(budgets=[1, 14, "14t", "t"]).budgets == ["1", "14", "14t", "t"]
    assert "lists a budget twice" in field_error(DeepReDuceConfig, budgets=["1", 1])[1]


def test_unknown_keys_are_rejected() -> None:
    assert field_error(LinearizeConfig, snl={"budgets": [10]}, pruning={}) == (
        ("pruning",),
        "Extra inputs are not permitted",
    )


def test_every_method_is_an_optional_section_and_runs_in_registry_order() -> None:
    assert list(METHODS) == ["snl", "deepreduce", "random"]
    assert declared(LinearizeConfig()) == []
    config = LinearizeConfig(random={"budgets": [3]}, snl={"budgets": [2]})
    assert [(method.name, settings) for method, settings in declared(config)] == [
        ("snl", SNLConfig(budgets=[2])),
        ("random", RandomConfig(budgets=[3])),
    ]


def test_resolve_budget() -> None:
    assert resolve_budget(0.5, 768) == 384
    assert resolve_budget(0.0001, 768) == 1
    assert resolve_budget(2000, 491520) == 2000
    with pytest.raises(ValueError, match=r"1\.\.768"):
        resolve_budget(769, 768)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        resolve_budget(1.5, 768)


def test_check_against_model_reads_only_shapes_and_passes_a_valid_config() -> None:
    config = LinearizeConfig(
        snl={"budgets": [15000, 0.1]}, deepreduce={"budgets": ["1", "1t", "14", "14t"]}, random={"budgets": [491520]}
    )
    check_against_model(config, cifar_resnet18("meta"))


def test_check_against_model_rejects_a_budget_above_the_relu_count() -> None:
    config = LinearizeConfig(snl={"budgets": [600000]})
    expected = (
        "linearize.snl.budgets.0=600000: 600000 is above the model's 491520 ReLUs; "
        "use a count in 1..491520 or a fraction in (0, 1)"
    )
    with pytest.raises(ValueError) as error:
        check_against_model(config, cifar_resnet18("meta"))
    assert str(error.value) == expected


def test_check_against_model_rejects_two_budgets_with_one_count() -> None:
    expected = r"^linearize\.random\.budgets: 0\.5 and 384 both keep 384 of the model's 768 ReLUs; keep one$"
    with pytest.raises(ValueError, match=expected):
        check_against_model(LinearizeConfig(random={"budgets": [0.5, 384]}), tiny_resnet())


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ("3", r"'3' culls stages \[3\], but the model has stages \[1, 2\] only"),
        ("12", "'12' culls every one of the model's stages"),
    ],
)
def test_check_against_model_rejects_stages_the_resnet_cannot_lose(budget: str, expected: str) -> None:
    with pytest.raises(ValueError, match=rf"^linearize\.deepreduce\.budgets\.1='{budget}': {expected}"):
        check_against_model(LinearizeConfig(deepreduce={"budgets": ["1", budget]}), tiny_resnet())


def test_check_against_model_rejects_thinning_an_mlp_but_culls_its_layers() -> None:
    mlp = tiny_mlp([6, 5])
    check_against_model(LinearizeConfig(deepreduce={"budgets": ["1", "2"]}), mlp)
    with pytest.raises(ValueError, match="an MLP has no blocks"):
        check_against_model(LinearizeConfig(deepreduce={"budgets": ["1t"]}), mlp)
    with pytest.raises(ValueError, match=r"hidden layers \[3\]"):
        check_against_model(LinearizeConfig(deepreduce={"budgets": ["3"]}), mlp)
