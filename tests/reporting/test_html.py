import base64
import io
import re

import pandas as pd
import pytest

from linearization_fairness.reporting.cost import PICostConfig
from linearization_fairness.reporting.figures import fig_accuracy_vs_budget, no_data_figure
from linearization_fairness.results.schema import accuracy_intervals_schema
from linearization_fairness.reporting.html import (
    SECTION_IDS,
    build_report_html,
    flatten_config,
    group_label_counts_html,
    mitigation_table,
    model_results_table,
    per_group_table,
)

GROUP_STATISTICS = pd.DataFrame(
    {
        "split": ["train", "train", "test", "test"],
        "group_id": [0, 1, 0, 1],
        "group_name": ["cat", "<b>frog</b>", "cat", "<b>frog</b>"],
        "count": [90, 10, 50, 50],
        "share": [0.9, 0.1, 0.5, 0.5],
    }
)
CONFIG = {
    "data": {"dataset": "digits", "minority_classes": [5, 6], "augment": False, "cache": None},
    "linearize": {"snl": {"budgets": [750, 250], "train": {"lr": 0.001}}, "deepreduce": {"budgets": ["1t", "12"]}},
    "note": "<script>alert(1)</script>",
}


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=30)
    return buffer.getvalue()


def planted_intervals(groups: pd.DataFrame) -> pd.DataFrame:
    """The group accuracies' intervals: the seed aggregate's accuracy beside a planted test-sample interval."""
    columns = [column for column in accuracy_intervals_schema().columns if not column.startswith("accuracy_sample") and column != "n"]
    intervals = groups[columns].assign(
        n=groups["n_mean"],
        accuracy_sample_low=(groups["accuracy_mean"] - 0.05).clip(0, 1), accuracy_sample_high=(groups["accuracy_mean"] + 0.05).clip(0, 1)
    )
    return accuracy_intervals_schema().validate(intervals)


@pytest.fixture
def report(aggregated, differences) -> str:
    groups, models = aggregated
    # one figure as the PNG bytes a figure registry hands over, one as a Figure
    figures = {
        "accuracy_vs_budget": png(fig_accuracy_vs_budget(groups, models)),
        "mitigation_effect": no_data_figure("none"),
    }
    return build_report_html(
        "Toy <report>", CONFIG, GROUP_STATISTICS, groups, models, figures, ["frog loses 40% & more"], dpi=40,
        differences=(*differences, planted_intervals(groups)),
    )


def section(page: str, section_id: str) -> str:
    return page.split(f'<section id="{section_id}">')[1].split("</section>")[0]


def test_every_section_is_present_with_its_id(report) -> None:
    for section_id in SECTION_IDS:
        assert f'<section id="{section_id}">' in report


def test_images_are_embedded_png_data_uris_and_nothing_is_fetched(report) -> None:
    sources = re.findall(r'src="([^"]*)"', report)
    assert len(sources) == 2
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(b"\x89PNG")
    assert "http://" not in report and "https://" not in report
    assert "<script" not in report and "<link" not in report


def test_text_is_escaped(report) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "Toy &lt;report&gt;" in report
    assert "&lt;b&gt;frog&lt;/b&gt;" in report
    assert "frog loses 40% &amp; more" in report


def test_provenance_is_a_table_of_its_values_and_says_when_it_was_not_recorded(aggregated) -> None:
    groups, models = aggregated
    recorded = {"code": "abc123 + uncommitted changes", "device": "<gpu>"}
    page = build_report_html("t", CONFIG, GROUP_STATISTICS, groups, models, {}, [], provenance=recorded)
    assert "abc123 + uncommitted changes" in section(page, "provenance")
    assert "&lt;gpu&gt;" in section(page, "provenance")
    unrecorded = build_report_html("t", CONFIG, GROUP_STATISTICS, groups, models, {}, [])
    assert "Not recorded." in section(unrecorded, "provenance")


def test_the_headline_leads_with_its_sentences_and_figure_1_shown_once(aggregated) -> None:
    groups, models = aggregated
    figures = {
        "group_accuracy_drop_lowest_budget": no_data_figure("lead"),
        "mitigation_effect": no_data_figure("other"),
    }
    page = build_report_html("t", CONFIG, GROUP_STATISTICS, groups, models, figures, ["x"], headline=["frog & co lose most."], dpi=20)
    first = page.split("<section")[1]
    assert 'id="headline"' in first and "<p>frog &amp; co lose most.</p>" in first
    assert 'id="figure-group_accuracy_drop_lowest_budget"' in first
    assert page.count('id="figure-group_accuracy_drop_lowest_budget"') == 1
    assert 'id="figure-mitigation_effect"' in section(page, "figures")
    assert "No headline" in section(build_report_html("t", CONFIG, GROUP_STATISTICS, groups, models, {}, []), "headline")


def test_configuration_is_a_nested_table_of_plain_values(report) -> None:
    configuration = section(report, "configuration")
    def row(*cells: str) -> str:
        return "".join(f'<td class="text">{cell}</td>' for cell in cells)

    assert '<th class="text">section</th><th class="text">parameter</th><th class="text">value</th>' in configuration
    assert row("linearize.snl", "budgets", "[750, 250]") in configuration
    assert row("linearize.snl.train", "lr", "0.001") in configuration
    assert row("data", "augment", "false") in configuration
    assert row("(top level)", "note") in configuration


def test_tables_hold_statistics_results_and_cost(report) -> None:
    assert "train count" in report and "test share (%)" in report
    results = section(report, "results")
    assert "worst-group accuracy (%)" in results
    assert "frog (minority)" in results
    assert "below the uniform share 1/G" in results
    # 1,000 ReLUs x 17.1 KB = 17.1 MB offline; the model has 10,000 ReLUs -> 10% share
    cost_section = section(report, "pi-cost")
    assert "<td>17.1</td>" in cost_section and "<td>10</td>" in cost_section
    assert "Delphi-style" in cost_section and "2021 hardware" in cost_section


def test_the_statistics_section_shows_paired_differences_with_both_intervals_and_flags(report) -> None:
    statistics = section(report, "statistics")
    # Each finetune minus plain is shown once, in the finetunes section, from the same tables.
    assert "<h3>Each finetune minus plain" not in statistics and "The finetunes compared" in statistics
    mitigation = section(report, "finetunes")
    # snl at 1,000 ReLUs: worst group +16.1 ± 1.3 over seeds, [+14.1, +18.1] over test samples, 2 seeds above 0
    assert '<td class="text">+16.1 ± 1.3 [+14.1, +18.1]</td><td>2</td>' in mitigation
    # at 4,000 ReLUs the global accuracy gains +0.8 points; the planted test-sample interval includes 0
    assert '<td class="text">+0.8 ± 0.1 [-1.2, +2.8] (CI includes 0 over test samples)</td>' in mitigation
    psi = statistics.split("<h3>Per group: excess accuracy drop")[1].split("<h3>")[0]
    assert "frog (minority)" in psi and "(CI includes 0" in psi
    assert "psi_g = (acc_base,g - acc_lin,g) - (acc_base - acc_lin)" in statistics
    accuracy = statistics.split("<h3>Per group: accuracy")[1]
    # cat under the base model: 95.5 ± 6.4 over seeds would reach 101.9%, so the interval stops at 100%
    assert '<td class="text">95.5 +4.5/-6.4 [90.5, 100.0]</td>' in accuracy


def test_deepreduce_and_fractional_budgets_appear_in_the_results_tables(report) -> None:
    results = section(report, "results")
    per_model, per_group = results.split("<h3>Per group: accuracy")[0], results.split("<h3>Per group: accuracy")[1]
    for budget, relus in (("14t", "768"), ("2t", "3,072"), ("p5", "500"), ("p40", "4,000"), ("all", "10,000")):
        row = f'<td class="text">{budget}</td><td>{relus}</td>'
        assert row in per_model, budget
        assert row in per_group, budget
    assert '<td class="text">14t</td><td>768</td>' in section(report, "pi-cost")


def test_captions_explain_known_figures_and_can_be_given(report, aggregated) -> None:
    figures_section = section(report, "figures")
    assert figures_section.count("<figcaption>") == 2
    assert "all-ReLU reference line" in figures_section

    groups, models = aggregated
    page = build_report_html(
        "t", {}, GROUP_STATISTICS, groups, models, {"extra": png(no_data_figure("x"))}, [], captions={"extra": "Mine."}
    )
    assert "<figcaption>Mine.</figcaption>" in page


def test_empty_inputs_still_give_every_section(aggregated) -> None:
    groups, models = (table.iloc[0:0] for table in aggregated)
    pi_cost = PICostConfig(offline_kb_per_relu=1.0)
    page = build_report_html("t", {}, pd.DataFrame(), groups, models, {}, [], pi_cost=pi_cost)
    for section_id in SECTION_IDS:
        assert f'id="{section_id}"' in page
    assert "1 KB offline" in page


def test_helpers_flatten_config_and_widen_group_columns(aggregated) -> None:
    assert flatten_config({"a": {"b": 1, "c": {"d": "x"}}, "e": [], "f": {}}) == [
        ("a", "b", "1"),
        ("a.c", "d", "x"),
        ("(top level)", "e", "[]"),
        ("(top level)", "f", "{}"),
    ]
    groups, models = aggregated
    wide = per_group_table(groups, "accuracy", 100.0)
    assert list(wide.columns) == [
        "experiment", "method", "budget", "ReLUs kept", "variant", "cat", "dog", "frog (minority)"
    ]
    base = wide[wide["method"] == "base"].iloc[0]
    # 0.95 and 0.96: mean 95.5, 12.706 * 0.707 / sqrt(2) = 6.4 below it, above it up to 100% only
    assert base["cat"] == "95.5 +4.5/-6.4"
    assert wide[wide["method"] != "base"]["cat"].str.contains(" ± ").any()  # where no bound is reached
    assert len(wide) == len(models) == len(model_results_table(models))


def test_the_mitigation_diagnostic_is_one_row_per_model_and_a_column_per_group() -> None:
    keys = {"experiment": "e", "method": "snl", "budget": "250", "relus_kept": 250, "variant": "mitigate", "cell": "snl_b250_s0"}
    diagnostics = pd.DataFrame([
        keys | {"seed": 0, "group_id": 1, "group_name": "frog", "penalty": "gap", "violations_on": "heldout", "final_lambda": 0.25, "mean_violation": 0.5, "final_violation": 0.4},
        keys | {"seed": 0, "group_id": 0, "group_name": "cat", "penalty": "gap", "violations_on": "heldout", "final_lambda": 0.0, "mean_violation": float("nan"), "final_violation": float("nan")},
    ])  # fmt: skip
    table = mitigation_table(diagnostics)
    assert list(table.columns[-2:]) == ["cat", "frog"]
    assert table[["seed", "penalty", "violations_on", "cat", "frog"]].values.tolist() == [[0, "gap", "heldout", "0.000 / –", "0.250 / 0.500"]]
    page = build_report_html("t", {}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, [], mitigation=diagnostics)
    assert "0.250 / 0.500" in section(page, "results")


def test_group_label_counts_are_a_row_per_split_and_group_and_a_column_per_label() -> None:
    statistics = pd.DataFrame({
        "split": ["train"] * 4, "group_id": [0, 0, 1, 1], "group_name": ["ink", "ink", "negative", "negative"],
        "label": [1, 0, 1, 0], "class_name": ["one", "zero", "one", "zero"], "count": [40, 50, 1, 9],
        "share_of_group": [0.44, 0.56, 0.1, 0.9],
    })  # fmt: skip
    page = group_label_counts_html(statistics)
    assert "<h3>Per (group, label)" in page
    assert page.index("zero") < page.index("one")  # columns in label order
    assert "<td>9</td><td>1</td>" in page  # negative: 9 zeros, 1 one
    assert group_label_counts_html(None) == ""
