"""Tracked runs: conf/test runs with and without `tracking.enabled`, read back through MLflow's API."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from linearization_fairness.config_loader import ExperimentConfigLoader
from linearization_fairness.tracking.hook import flatten, model_metrics

pytestmark = pytest.mark.skipif(importlib.util.find_spec("kedro_mlflow") is None, reason="the tracking extra is not installed")


def test_an_untracked_run_writes_no_store_and_a_tracked_one_logs_config_metrics_and_reporting_outputs(run_kedro, project_copy: Path) -> None:
    import mlflow

    store = project_copy / "data" / "test" / "09_tracking"
    run_kedro(namespaces=["toy2d"])
    assert not store.exists()

    # Its outputs are current, so nothing reruns: the tracked run holds the results the run stands on.
    run_kedro(runtime_params={"tracking": {"enabled": True}}, namespaces=["toy2d"])
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("linearization_fairness").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.tags["env"] == "test"

    loader = ExperimentConfigLoader(str(project_copy / "conf"), env="test", base_env="base", default_run_env="local", runtime_params={"tracking": {"enabled": True}})
    config = flatten(loader.run_config().model_dump(mode="json"))
    assert {name: str(value) for name, value in config.items()} == run.data.params
    assert run.data.params["tracking.enabled"] == "True"

    reporting = project_copy / "data" / "test" / "08_reporting"
    aggregated = pd.read_csv(reporting / "toy2d" / "aggregated_model_metrics.csv", keep_default_na=False)
    expected = model_metrics(aggregated)
    assert expected and run.data.metrics == pytest.approx(expected)
    some_model = aggregated.iloc[0]
    name = f"toy2d/{some_model['method']}/{some_model['budget']}/{some_model['variant']}/worst_group_accuracy_mean"
    assert run.data.metrics[name] == pytest.approx(some_model["worst_group_accuracy_mean"])

    logged = {item.path for item in client.list_artifacts(run.info.run_id, "toy2d")}
    assert {"toy2d/report.html", "toy2d/model_metrics.csv", "toy2d/figures"} <= logged
    figures = {Path(item.path).name for item in client.list_artifacts(run.info.run_id, "toy2d/figures")}
    assert figures == {path.name for path in (reporting / "toy2d" / "figures").glob("*.png")}
    page = Path(client.download_artifacts(run.info.run_id, "toy2d/report.html", str(project_copy)))
    assert page.read_bytes() == (reporting / "toy2d" / "report.html").read_bytes()


def test_tracking_without_the_extra_installed_is_refused_in_one_line_before_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from linearization_fairness.tracking.config import TrackingConfig

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name == "kedro_mlflow" else real(name, *args))
    assert TrackingConfig(enabled=False).enabled is False
    with pytest.raises(ValueError, match=r"pip install -e '\.\[tracking\]'"):
        TrackingConfig(enabled=True)


def test_flatten_names_each_leaf_by_its_path() -> None:
    assert flatten({"a": {"b": 1, "c": [1, 2], "d": {}}, "e": None}) == {"a.b": 1, "a.c": [1, 2], "a.d": {}, "e": None}
