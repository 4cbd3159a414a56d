import base64
import re

import pandas as pd
import pytest

from linearization_fairness.reporting.aggregate import aggregate_over_seeds
from linearization_fairness.reporting.cost import PICostConfig
from linearization_fairness.reporting.figures import fig_accuracy_vs_budget, no_data_figure
from linearization_fairness.reporting.html import SECTION_IDS, build_report_html, flatten_config, per_group_table

GROUP_STATISTICS = pd.DataFrame(
    {
        "split": ["train", "train", "test", "test"],
        "group_id": [0, 1, 0, 1],
        "group_name": ["cat", "<b>frog</b>", "cat", "<b>frog</b>"],
        "count": [90, 10, 50, 50],
        "share": [0.9, 0.1, 0.5, 0.5],
    }
)
CONFIG = {"data": {"dataset": "digits", "minority_classes": [5, 6]}, "note": "<script>alert(1)</script>"}


@pytest.fixture
def report(group_metrics) -> str:
    aggregated = aggregate_over_seeds(group_metrics)
    figures = {"accuracy_vs_budget": fig_accuracy_vs_budget(aggregated), "mitigation_effect": no_data_figure("none")}
    return build_report_html(
        "Toy <report>", CONFIG, GROUP_STATISTICS, aggregated, figures, ["frog loses 40% & more"], dpi=40
    )


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


def test_tables_hold_configuration_statistics_results_and_cost(report) -> None:
    assert "data.minority_classes" in report and "[5, 6]" in report.replace("&quot;", '"')
    assert "train count" in report and "test share (%)" in report
    assert "worst-group accuracy (%)" in report
    assert "frog (minority)" in report
    # 1,000 ReLUs x 17.1 KB = 17.1 MB offline; base model keeps 10,000 ReLUs -> 10% share
    cost_section = report.split('<section id="pi-cost">')[1]
    assert "<td>17.1</td>" in cost_section and "<td>10</td>" in cost_section
    assert "Delphi-style" in cost_section and "2021 hardware" in cost_section


def test_captions_explain_known_figures(report) -> None:
    figures_section = report.split('<section id="figures">')[1].split("</section>")[0]
    assert figures_section.count("<figcaption>") == 2
    assert "all-ReLU reference line" in figures_section


def test_empty_inputs_still_give_every_section(group_metrics) -> None:
    empty = aggregate_over_seeds(group_metrics).iloc[0:0]
    page = build_report_html("t", {}, pd.DataFrame(), empty, {}, [], pi_cost=PICostConfig(offline_kb_per_relu=1.0))
    for section_id in SECTION_IDS:
        assert f'id="{section_id}"' in page
    assert "1 KB offline" in page


def test_helpers_flatten_config_and_widen_group_columns(group_metrics) -> None:
    assert flatten_config({"a": {"b": 1, "c": {"d": "x"}}, "e": []}) == [("a.b", "1"), ("a.c.d", '"x"'), ("e", "[]")]
    wide = per_group_table(aggregate_over_seeds(group_metrics), "accuracy", 100.0)
    assert list(wide.columns) == ["experiment", "method", "budget", "variant", "cat", "dog", "frog (minority)"]
    base = wide[wide["method"] == "base"].iloc[0]
    assert base["cat"] == "95.5 ± 6.4"  # 0.95 and 0.96: mean 95.5, 12.706 * 0.707 / sqrt(2) = 6.4
