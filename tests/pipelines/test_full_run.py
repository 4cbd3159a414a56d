"""The whole sweep on conf/test, run once; then single cells and resumption on its cached outputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from html import escape
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest

from linearization_fairness.io import ModelArtifactDataset
from linearization_fairness.models import relu_count
from linearization_fairness.reporting import SECTION_IDS
from tests.factories import copy_project

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _run(project: Path, runtime_params: dict | None = None, **run_args: object) -> list[str]:
    """Run a KedroSession in `project` on conf/test; return the names of the nodes that ran."""
    from kedro.framework.hooks import hook_impl
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    ran: list[str] = []

    class RecordNodes:
        @hook_impl
        def after_node_run(self, node) -> None:
            ran.append(node.name)

    bootstrap_project(project)
    with KedroSession.create(project_path=project, env="test", runtime_params=runtime_params) as session:
        session._hook_manager.register(RecordNodes())
        session.run(**run_args)
    return ran


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("project"))
    previous = Path.cwd()
    os.chdir(project)
    try:
        _run(project, pipeline_names=["full"])
        yield project
    finally:
        os.chdir(previous)


def test_full_pipeline_name_is_registered_and_runs(finished_run: Path) -> None:
    assert (finished_run / "data" / "test" / "05_model_input" / "digits" / "splits.npz").exists()


def test_full_run_ends_with_a_report_with_every_section(finished_run: Path) -> None:
    for experiment in ("digits", "toy2d"):
        html = (finished_run / "data" / "test" / "08_reporting" / experiment / "report.html").read_text()
        for section in SECTION_IDS:
            assert f'id="{section}"' in html
        assert "data:image/png;base64," in html
        assert f"<td class=\"text\">{metadata.version('torch')}</td>" in html.split('id="provenance"')[1]


def test_the_run_tables_stack_every_experiment(finished_run: Path) -> None:
    for level in ("model", "group"):
        run_table = pd.read_parquet(finished_run / "data" / "test" / "08_reporting" / f"{level}_metrics.parquet")
        assert set(run_table["experiment"]) == {"digits", "toy2d", "styled"}


def test_the_mitigation_diagnostic_covers_every_mitigated_model_and_group(finished_run: Path) -> None:
    folder = finished_run / "data" / "test" / "08_reporting" / "digits"
    diagnostics = pd.read_csv(folder / "mitigation_diagnostics.csv")
    models = pd.read_parquet(folder / "model_metrics.parquet")
    mitigated = models[models["variant"] == "mitigate"]
    assert sorted(set(diagnostics["cell"])) == sorted(mitigated["cell"])
    assert len(diagnostics) == 10 * len(mitigated)  # one row per digit
    assert (diagnostics["final_lambda"] > 0).any()
    html = (folder / "report.html").read_text()
    assert "Mitigation diagnostic: final multiplier / mean violation per group" in html


def test_every_figure_is_drawn_once_and_embedded_in_the_report(finished_run: Path) -> None:
    from linearization_fairness.pipelines.report.figures import FIGURES

    for experiment, special in (("digits", {"kept_by_layer", "multipliers"}), ("toy2d", {"decision_boundaries", "multipliers"})):
        folder = finished_run / "data" / "test" / "08_reporting" / experiment
        drawn = {path.stem for path in (folder / "figures").glob("*.png")}
        results = {name for name, spec in FIGURES.items() if spec.source == "results"}
        assert drawn >= results | special and drawn <= set(FIGURES)
        html = (folder / "report.html").read_text()
        for name in drawn:
            assert html.count(f'id="figure-{name}"') == 1
            assert escape(FIGURES[name].caption) in html



def test_figure2_writes_its_own_page_table_and_figure_and_no_experiment_embeds_them(finished_run: Path) -> None:
    from linearization_fairness.results import Figure2Accuracy, Figure2Aggregated

    folder = finished_run / "data" / "test" / "08_reporting" / "figure2"
    accuracy = Figure2Accuracy.validate(pd.read_csv(folder / "accuracy.csv"))
    # conf/test: 2 seeds x (all-ReLU + 2 rules) x (val, test) x (global, majority, minority)
    assert len(accuracy) == 2 * 3 * 2 * 3 and set(accuracy["model"]) == {"all_relu", "half_random", "half_every_other"}
    assert set(accuracy.loc[accuracy["model"] != "all_relu", "relus_kept"]) == {2}
    aggregated = Figure2Aggregated.validate(pd.read_csv(folder / "aggregated_accuracy.csv"))
    assert set(aggregated["n_seeds"]) == {2}
    html = (folder / "report.html").read_text()
    assert 'id="figure-figure2"' in html and "data:image/png;base64," in html and "half_every_other" in html
    assert (folder / "figure2.png").stat().st_size > 0
    for experiment in ("digits", "toy2d"):
        assert "figure-figure2" not in (finished_run / "data" / "test" / "08_reporting" / experiment / "report.html").read_text()

def test_group_metrics_hold_every_model_of_every_cell(finished_run: Path) -> None:
    reporting = finished_run / "data" / "test" / "08_reporting" / "digits"
    table = pd.read_parquet(reporting / "group_metrics.parquet")
    models = table.groupby(["cell", "variant"]).size()
    expected_cells = {f"{cell}_s{seed}" for seed in (0, 1) for cell in ("snl_b200", "random_b200", "deepreduce_c1")}
    for variant in ("mitigate", "label_free"):
        assert {cell for cell, made_by in models.index if made_by == variant} == expected_cells
    assert set(models) == {10}  # one row per digit
    base_drop = table.loc[table["variant"] == "base", "relative_drop"]
    assert ((base_drop == 0) | base_drop.isna()).all()  # NaN where the tiny base model gets a group all wrong
    linearized = table[table["method"].isin(["snl", "random"])]
    assert (linearized["relus_kept"] == 200).all() and set(linearized["budget"]) == {"200"}
    assert table["hessian_top_eig"].notna().all() and table["per_sample_grad_norm"].notna().all()
    model_table = pd.read_parquet(reporting / "model_metrics.parquet")
    assert len(model_table) == len(models) and not model_table.duplicated(["cell", "variant"]).any()
    # Every declared budget, DeepReDuce's included, keeps its own rows in the seed aggregates.
    aggregated = pd.read_csv(reporting / "aggregated_model_metrics.csv", dtype={"budget": str})
    assert set(zip(aggregated["method"], aggregated["budget"])) == {
        ("base", "all"), ("finetune_only", "all"), ("snl", "200"), ("random", "200"), ("deepreduce", "1"),
    }  # fmt: skip
    assert set(aggregated["n_seeds"]) == {2}


def test_the_paired_comparisons_and_intervals_are_written_for_every_pair(finished_run: Path) -> None:
    reporting = finished_run / "data" / "test" / "08_reporting" / "digits"
    models = pd.read_csv(reporting / "aggregated_model_differences.csv", dtype={"budget": str})
    finetunes = ("finetune", "mitigate", "label_free")
    against_base = {("finetune_only", "finetune")} | {(method, variant) for method in ("snl", "random", "deepreduce") for variant in finetunes}
    assert set(zip(models["method"], models["variant"], models["reference"])) == (
        {(method, variant, "base") for method, variant in against_base}
        | {(method, variant, "finetune") for method in ("snl", "random", "deepreduce") for variant in finetunes[1:]}
    )
    assert set(models["n_seeds"]) == {2}
    assert (models["worst_group_difference_sample_low"] <= models["worst_group_difference_sample_high"]).all()
    per_seed = pd.read_parquet(reporting / "group_differences.parquet")
    assert len(per_seed) == 2 * len(models) * 10 and per_seed["flip_rate"].between(0, 1).all()
    intervals = pd.read_csv(reporting / "group_accuracy_intervals.csv")
    assert len(intervals) == len(pd.read_csv(reporting / "aggregated_group_metrics.csv"))
    assert (reporting / "model_differences.parquet").exists() and (reporting / "aggregated_group_differences.csv").exists()
    assert "CI over test samples" in (reporting / "report.html").read_text()


def test_deepreduce_criticality_ranks_stages_and_proposes_cullings(finished_run: Path) -> None:
    cell = finished_run / "data" / "test" / "07_model_output" / "digits" / "base_s0"
    ranking = pd.read_csv(cell / "criticality.csv")
    assert sorted(ranking["criticality_rank"]) == [1, 2] and list(ranking["relu_count"]) == [512, 256]
    proposals = pd.read_csv(cell / "culling_proposals.csv")
    assert list(proposals["budget"]) == [200]  # the ReLUs the sweep's SNL and random budget keep
    assert (proposals["relus_kept"].dropna() <= 200).all()


def test_linearized_models_keep_exactly_their_budget(finished_run: Path) -> None:
    for cell in ("snl_b200_s0", "random_b200_s1"):
        for variant in ("linearized", "finetune", "mitigate", "label_free"):
            path = finished_run / "data" / "test" / "06_models" / "digits" / cell / f"{variant}_model.pt"
            assert relu_count(ModelArtifactDataset(str(path)).load().build()) == 200


def test_one_cell_runs_alone_on_cached_inputs(finished_run: Path) -> None:
    cell = finished_run / "data" / "test" / "06_models" / "digits" / "random_b200_s1"
    shutil.rmtree(cell)
    ran = _run(finished_run, namespaces=["digits.random_b200_s1"])
    assert ran and all(name.startswith("digits.random_b200_s1.") for name in ran)
    assert (cell / "mitigate_model.pt").exists()


def test_only_missing_outputs_reruns_only_the_missing_cell(finished_run: Path) -> None:
    (finished_run / "data" / "test" / "06_models" / "digits" / "snl_b200_s0" / "finetune_model.pt").unlink()
    ran = _run(finished_run, pipeline_names=["full"], only_missing_outputs=True)
    assert "digits.snl_b200_s0.finetune" in ran
    assert not [name for name in ran if ".snl_b200_s1." in name or ".base_s" in name or "toy2d." in name]


# Run in the page once it has loaded; headless Chromium's --dump-dom then prints the attribute.
PAGE_CHECK = """<script>window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.dataset.check = JSON.stringify({
    images: images.length,
    broken: images.filter((image) => !(image.complete && image.naturalWidth > 0)).length,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  });
});</script>"""


def _browser() -> str | None:
    return next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)


@pytest.mark.skipif(_browser() is None, reason="no Chromium here (.ci/run installs Debian's chromium where apt can)")
@pytest.mark.parametrize("experiment", ["digits", "styled"])
def test_the_report_renders_in_a_browser_with_every_image_loaded_and_no_sideways_scroll(finished_run: Path, tmp_path: Path, experiment: str) -> None:
    page = (finished_run / "data" / "test" / "08_reporting" / experiment / "report.html").read_text()
    checked = tmp_path / "report.html"
    checked.write_text(page.replace("</body>", PAGE_CHECK + "</body>"))
    # 1280 px: a laptop window, wider than the page's 1200 px column and its margins.
    command = [
        _browser(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
        "--virtual-time-budget=10000", "--dump-dom", checked.as_uri(),
    ]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'data-check="([^"]*)"', dom)
    assert found, "the page's check did not run: " + dom[-500:]
    check = json.loads(found[1].replace("&quot;", '"'))
    assert check["images"] == page.count("data:image/png;base64,") > 0
    assert check["broken"] == 0
    assert check["overflow"] <= 0, f"the page scrolls sideways by {check['overflow']} px"


# Run after the notebook's cells, in its kernel: what its analysis left there, and where it ran.
NOTEBOOK_CHECK = """import json, sys
print(json.dumps({
    "env": context.env, "python": sys.executable, "effect_rows": len(effect),
    "groups": sorted(predictions["group"].unique().tolist()),
}))"""


def test_the_notebook_runs_in_a_jupyter_kernel_on_a_finished_run(finished_run: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / "explore_run.ipynb", as_version=4)
    figure_cell = notebook.cells[-1]
    notebook.cells.append(nbformat.v4.new_code_cell(NOTEBOOK_CHECK))
    folder = finished_run / "notebooks"  # the kernel starts here, as Jupyter starts it beside the notebook
    folder.mkdir(exist_ok=True)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    # KEDRO_ENV is how `kedro jupyter lab --env=test` reaches the session that %load_ext kedro.ipython creates.
    client.execute(env={**os.environ, "KEDRO_ENV": "test", "KEDRO_DISABLE_TELEMETRY": "1"})
    [printed] = [output["text"] for output in notebook.cells[-1].outputs if output.get("name") == "stdout"]
    check = json.loads(printed)
    assert check["env"] == "test" and check["python"] == sys.executable  # this venv's interpreter, not another python3
    assert check["effect_rows"] > 0 and check["groups"] == list(range(10))
    assert any("image/png" in output.get("data", {}) for output in figure_cell.outputs)


def test_an_empty_output_left_by_a_crash_is_recomputed_and_leftovers_are_swept(finished_run: Path) -> None:
    cell = finished_run / "data" / "test" / "07_model_output" / "digits" / "snl_b200_s1"
    (cell / "mitigate_history.csv").write_bytes(b"")
    leftover = cell / f".finetune_history.csv.{socket.gethostname().replace('.', '_')}-99999999.x1y2.tmp"
    leftover.write_bytes(b"epoch,train_lo")
    ran = _run(finished_run, pipeline_names=["full"], only_missing_outputs=True)
    assert "digits.snl_b200_s1.mitigate" in ran and not leftover.exists()
    assert pd.read_csv(cell / "mitigate_history.csv")["epoch"].tolist() == [1, 2]


def test_a_cell_rerun_that_changes_its_results_rebuilds_the_report(finished_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linearization_fairness.linearization.random_control as random_control

    identical = _run(finished_run, pipeline_names=["full"], namespaces=["digits.random_b200_s1"])
    assert identical and not _run(finished_run, pipeline_names=["full"], only_missing_outputs=True)
    original = random_control.random_linearize
    monkeypatch.setattr(random_control, "random_linearize", lambda model, budget, seed: original(model, budget, seed + 100))
    _run(finished_run, pipeline_names=["full"], namespaces=["digits.random_b200_s1"])  # other ReLUs kept: other results
    monkeypatch.undo()
    ran = set(_run(finished_run, pipeline_names=["full"], only_missing_outputs=True))
    assert {"digits.combine_group_metrics", "digits.aggregate_groups", "digits.write_report", "combine_group_metrics"} <= ran
    assert not [name for name in ran if ".random_b200_s1." in name or ".snl_" in name]


# The tests below edit toy2d's configuration in the finished run, each on top of the last; they come last.
LONGER = {"finetune": {"train": {"epochs": 3}}}
MORE_BUDGETS = {**LONGER, "linearize": {"random": {"budgets": [16, 8]}}}
WIDER = {**MORE_BUDGETS, "model": {"arch": "mlp", "hidden_sizes": [16, 8]}}


def _toy2d(settings: dict) -> dict:
    return {"experiments": {"toy2d": settings}}


def test_a_config_edit_reruns_exactly_the_affected_nodes_and_what_follows(finished_run: Path) -> None:
    ran = set(_run(finished_run, _toy2d(LONGER), pipeline_names=["full"], only_missing_outputs=True))
    assert {"toy2d.random_b16_s0.finetune", "toy2d.finetune_only_s0.finetune", "toy2d.write_report"} <= ran
    assert {"combine_group_metrics", "toy2d.random_b16_s0.evaluate_finetune"} <= ran
    assert not [name for name in ran if name.startswith("digits.") or ".mitigate" in name or ".train_base" in name]
    history = pd.read_csv(finished_run / "data" / "test" / "07_model_output" / "toy2d" / "random_b16_s0" / "finetune_history.csv")
    assert list(history["epoch"]) == [1, 2, 3]
    assert not _run(finished_run, _toy2d(LONGER), pipeline_names=["full"], only_missing_outputs=True)


def test_an_added_budget_reaches_the_tables_and_the_report(finished_run: Path) -> None:
    ran = set(_run(finished_run, _toy2d(MORE_BUDGETS), pipeline_names=["full"], only_missing_outputs=True))
    assert {"toy2d.random_b8_s0.linearize_random", "toy2d.combine_group_metrics", "toy2d.write_report"} <= ran
    assert not [name for name in ran if ".random_b16_" in name or ".finetune_only_" in name or name.startswith("digits.")]
    reporting = finished_run / "data" / "test" / "08_reporting" / "toy2d"
    models = pd.read_parquet(reporting / "model_metrics.parquet")
    assert set(models.loc[models["method"] == "random", "budget"]) == {"16", "8"}
    assert "8 ReLUs" in (reporting / "report.html").read_text()


def test_changed_widths_retrain_the_base_models_and_everything_after(finished_run: Path) -> None:
    ran = set(_run(finished_run, _toy2d(WIDER), pipeline_names=["full"], only_missing_outputs=True))
    assert {"toy2d.base_s0.train_base_model", "toy2d.random_b8_s0.linearize_random", "toy2d.write_report"} <= ran
    assert not [name for name in ran if name.startswith("digits.") or name.endswith("prepare_data")]
    base = ModelArtifactDataset(str(finished_run / "data" / "test" / "06_models" / "toy2d" / "base_s0" / "base_model.pt")).load()
    assert base.model_config["hidden_sizes"] == [16, 8]


def test_toy2d_runs_alone_without_the_figure2_study(finished_run: Path) -> None:
    for layer in ("05_model_input", "06_models", "07_model_output", "08_reporting"):
        shutil.rmtree(finished_run / "data" / "test" / layer / "figure2")
    (finished_run / "data" / "test" / "08_reporting" / "toy2d" / "report.html").unlink()
    ran = _run(finished_run, namespaces=["toy2d"], only_missing_outputs=True)
    assert "toy2d.write_report" in ran and all(name.startswith("toy2d.") for name in ran)


def test_a_group_that_is_not_the_label_is_measured_and_reported_per_group_and_label(finished_run: Path) -> None:
    reporting = finished_run / "data" / "test" / "08_reporting" / "styled"
    groups = pd.read_parquet(reporting / "group_metrics.parquet")
    assert set(groups["group_name"]) == {"ink on white", "negative"}
    minority = groups.drop_duplicates("group_id").set_index("group_name")["is_minority"]
    assert minority.to_dict() == {"ink on white": False, "negative": True}
    by_group_and_label = pd.read_parquet(reporting / "group_label_metrics.parquet")
    assert set(by_group_and_label["variant"]) == {"base", "finetune", "mitigate", "label_free"}
    assert by_group_and_label.groupby(["cell", "variant"]).size().eq(20).all()  # 2 styles x 10 digits
    html = (reporting / "report.html").read_text()
    assert "Group: style, not the label." in html and "negative, label 9" in html
    assert "label_free" in html.split('id="finetunes"')[1].split("</section>")[0]
    assert "the label itself" in (finished_run / "data" / "test" / "08_reporting" / "digits" / "report.html").read_text()
