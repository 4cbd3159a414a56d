import pytest
import torch
from pydantic import ValidationError

from linearization_fairness.linearization import (
    CriticalityConfig,
    DeepReDuceConfig,
    LinearizeConfig,
    RandomConfig,
    SNLConfig,
    check_against_model,
    resolve_budget,
)
from linearization_fairness.models import ModelConfig, build_model


def _meta_resnet18() -> torch.nn.Module:
    with torch.device("meta"):
        return build_model(ModelConfig(arch="resnet18"), (3, 32, 32), 10)


@pytest.mark.parametrize("bad", [0, -3, 1.0, 1.5, 0.0, True, "many"])
def test_a_budget_must_be_a_count_or_a_fraction(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"linearize\.snl\.budgets entry .* neither a ReLU count"):
        SNLConfig(budgets=[100, bad])
    with pytest.raises(ValidationError, match=r"linearize\.random\.budgets entry"):
        RandomConfig(budgets=[bad])


def test_budgets_must_be_listed_once_and_not_empty() -> None:
    assert SNLConfig(budgets=[2000, 0.05]).budgets == [2000, 0.05]
    with pytest.raises(ValidationError, match="lists a budget twice"):
        RandomConfig(budgets=[10, 10])
    with pytest.raises(ValidationError, match="non-empty list"):
        SNLConfig(budgets=[])


def test_snl_defaults_are_snls_and_a_partial_train_block_keeps_the_search_recipe() -> None:
    config = SNLConfig(budgets=[10], max_epochs=20, train={"lr": 0.002})
    assert (config.lambda_init, config.lambda_growth, config.warmup_epochs, config.threshold) == (1e-5, 1.1, 5, 1e-2)
    assert config.temperature == 4.0
    assert (config.train.optimizer, config.train.lr, config.train.schedule) == ("adam", 0.002, "constant")
    assert config.train.epochs == 20
    assert SNLConfig.model_validate(config.model_dump()) == config
    assert SNLConfig(budgets=[10]).train.epochs == 100


def test_train_epochs_cannot_contradict_the_methods_own_epochs() -> None:
    expected = r"linearize\.snl\.train\.epochs=3 differs from linearize\.snl\.max_epochs=100"
    with pytest.raises(ValidationError, match=expected):
        SNLConfig(budgets=[10], train={"epochs": 3})
    config = CriticalityConfig(epochs=2, train={"lr": 0.05})
    assert (config.train.optimizer, config.train.lr, config.train.epochs) == ("sgd", 0.05, 2)
    with pytest.raises(ValidationError, match=r"criticality\.train\.epochs=9 differs"):
        CriticalityConfig(epochs=2, train={"epochs": 9})


@pytest.mark.parametrize(
    ("field", "value"),
    [("lambda_growth", 1.0), ("lambda_init", 0.0), ("threshold", 1.0), ("kd_alpha", 1.5), ("max_epochs", 0),
     ("warmup_epochs", -1), ("mask_lr", -0.1)],
)  # fmt: skip
def test_bad_snl_hyperparameters_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=rf"linearize\.snl\.{field}={value}"):
        SNLConfig(budgets=[10], **{field: value})


@pytest.mark.parametrize("bad", ["41", "11", "1x", "", "t1", "0", "1tt"])
def test_deepreduce_variants_follow_the_grammar(bad: str) -> None:
    with pytest.raises(ValidationError, match=f"{bad!r} is not a DeepReDuce variant"):
        DeepReDuceConfig(variants=["1", bad])


def test_unquoted_yaml_numbers_name_stages() -> None:
    assert DeepReDuceConfig(variants=[1, 14, "14t", "t"]).variants == ["1", "14", "14t", "t"]
    with pytest.raises(ValidationError, match="lists a variant twice"):
        DeepReDuceConfig(variants=["1", 1])


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        LinearizeConfig(snl={"budgets": [10]}, pruning={})


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
        snl={"budgets": [15000, 0.1]}, deepreduce={"variants": ["1", "1t", "14", "14t"]}, random={"budgets": [491520]}
    )
    check_against_model(config, _meta_resnet18())


def test_check_against_model_rejects_a_budget_above_the_relu_count() -> None:
    config = LinearizeConfig(snl={"budgets": [600000]})
    expected = (
        "linearize.snl.budgets: 600000 is above the model's 491520 ReLUs; "
        "use a count in 1..491520 or a fraction in (0, 1)"
    )
    with pytest.raises(ValueError) as error:
        check_against_model(config, _meta_resnet18())
    assert str(error.value) == expected


def test_check_against_model_rejects_two_budgets_with_one_count(tiny_resnet: torch.nn.Module) -> None:
    with pytest.raises(ValueError, match=r"linearize\.random\.budgets: 0\.5 and 384 both mean 384"):
        check_against_model(LinearizeConfig(random={"budgets": [0.5, 384]}), tiny_resnet)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("3", r"'3' culls stages \[3\], but the model has stages \[1, 2\] only"),
        ("12", "'12' culls every one of the model's stages"),
    ],
)
def test_check_against_model_rejects_stages_the_resnet_cannot_lose(
    tiny_resnet: torch.nn.Module, variant: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=rf"^linearize\.deepreduce\.variants: {expected}"):
        check_against_model(LinearizeConfig(deepreduce={"variants": ["1", variant]}), tiny_resnet)


def test_check_against_model_rejects_thinning_an_mlp_but_culls_its_layers(tiny_mlp: torch.nn.Module) -> None:
    check_against_model(LinearizeConfig(deepreduce={"variants": ["1", "2"]}), tiny_mlp)
    with pytest.raises(ValueError, match="an MLP has no blocks"):
        check_against_model(LinearizeConfig(deepreduce={"variants": ["1t"]}), tiny_mlp)
    with pytest.raises(ValueError, match=r"hidden layers \[3\]"):
        check_against_model(LinearizeConfig(deepreduce={"variants": ["3"]}), tiny_mlp)
