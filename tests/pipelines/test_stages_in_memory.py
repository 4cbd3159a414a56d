"""Stages wired for one tiny experiment and run on an in-memory catalog (no files, no session),
the way Kedro's spaceflights starter tests its pipelines: the node names, the datasets passed
between stages and the settings bound into each cell are checked end to end in seconds."""

from __future__ import annotations

from html import escape

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from linearization_fairness.config import validate_run
from linearization_fairness.pipeline_registry import experiment_pipeline
from linearization_fairness.results import GroupMetrics, ModelMetrics
from linearization_fairness.sweep import experiments_of

TINY = {"optimizer": "adam", "lr": 0.01, "batch_size": 64, "epochs": 1, "progress": False}
WHOLE_SPLIT = 512  # the digits test split in one batch


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so the test can read every intermediate output."""

    def _release(self) -> None:
        pass


def _tiny(checkpoints, linearize: dict, **sections) -> dict:
    return {
        "checkpoint_dir": str(checkpoints),
        "experiments": {"tiny": {
            "data": {"dataset": "digits", "val_fraction": 0.2},
            "model": {"widths": [4, 8], "blocks": [1, 1]},
            "seeds": [0],
            "base_train": TINY,
            "linearize": linearize,
            "finetune": {"train": TINY},
            "mitigate": {"train": TINY},
            "label_free": {"train": TINY},
            "evaluate": {
                "hessian_iters": 2, "hessian_batch_size": WHOLE_SPLIT, "grad_norm_batch_size": WHOLE_SPLIT,
                "per_sample_batch_size": WHOLE_SPLIT, "prediction_batch_size": WHOLE_SPLIT,
            },
            **sections,
        }},
    }  # fmt: skip


def _run(parameters: dict) -> tuple[dict, set[str]]:
    """Every dataset the experiment's pipeline wrote, and its node names."""
    (experiment,) = experiments_of(validate_run(parameters))
    pipeline = experiment_pipeline(experiment)
    catalog = DataCatalog({name: KeptDataset(copy_mode="assign") for name in pipeline.datasets()})
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog.load(name) for name in pipeline.datasets() if catalog.exists(name)}, {node.name for node in pipeline.nodes}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    linearize = {"random": {"budgets": [0.25]}, "deepreduce": {"budgets": ["1"]}}
    return _run(_tiny(tmp_path_factory.mktemp("checkpoints"), linearize))[0]


def test_every_model_of_every_cell_reaches_both_results_tables(outputs: dict) -> None:
    models = ModelMetrics.validate(outputs["tiny.model_metrics"])
    groups = GroupMetrics.validate(outputs["tiny.group_metrics"])
    expected = {("base", "all", "base"), ("finetune_only", "all", "finetune")}
    expected |= {(method, budget, variant) for method, budget in (("random", "p25"), ("deepreduce", "1")) for variant in ("finetune", "mitigate", "label_free")}
    assert set(zip(models["method"], models["budget"], models["variant"])) == expected
    assert len(models) == len(expected) and len(groups) == 10 * len(models)
    assert set(models.loc[models["method"] == "random", "relus_kept"]) == {192}  # 25% of the 768 ReLUs


def test_the_aggregates_keep_every_declared_budget_and_the_report_embeds_every_figure(outputs: dict) -> None:
    aggregated = outputs["tiny.aggregated_model_metrics"]
    assert set(aggregated["budget"]) == {"all", "p25", "1"} and set(aggregated["n_seeds"]) == {1}
    figures = {name.removeprefix("tiny.fig_") for name in outputs if name.startswith("tiny.fig_")}
    assert {"kept_by_layer", "multipliers", "mitigation_effect"} <= figures
    assert outputs["tiny.report"].count("<figure ") == len(figures)
    assert "[0.25]" in outputs["tiny.report"]  # the resolved config, printed as a table
    # the headline the run prints at its end is the report's own
    assert outputs["tiny.headline"] and all(escape(sentence) in outputs["tiny.report"] for sentence in outputs["tiny.headline"])


def test_a_sweep_without_the_fairness_aware_finetune_trains_reports_and_draws_none_of_it(tmp_path) -> None:
    outputs, nodes = _run(_tiny(tmp_path, {"random": {"budgets": [0.25]}}, finetune_variants=["finetune"]))
    assert set(outputs["tiny.model_metrics"]["variant"]) == {"base", "finetune"}
    assert not [name for name in nodes if "mitigat" in name or "label_free" in name or name.endswith("draw_multipliers")]
    report = outputs["tiny.report"]
    assert "Mitigation diagnostic" not in report and "label_free" not in report and "figure-multipliers" not in report
    assert "finetune = plain KD finetuning" in report and "mitigate = " not in report
