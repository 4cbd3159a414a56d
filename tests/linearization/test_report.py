import pytest

from linearization_fairness.linearization import (
    deepreduce_linearize,
    fig_kept_by_layer,
    kept_by_layer,
    random_linearize,
)
from tests.factories import tiny_mlp, tiny_resnet


def test_kept_by_layer_lists_every_site_with_its_stage() -> None:
    table = kept_by_layer(deepreduce_linearize(tiny_resnet(), "1"))
    assert list(table.columns) == ["site", "stage", "kept", "total", "kept_fraction"]
    assert table["site"].tolist() == ["layer1.0.relu1", "layer1.0.relu2", "layer2.0.relu1", "layer2.0.relu2"]
    assert table["stage"].tolist() == [1, 1, 2, 2]
    assert table["kept"].tolist() == [0, 0, 128, 128]
    assert table["kept_fraction"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert kept_by_layer(tiny_mlp([6, 5]))["stage"].tolist() == [1, 2]


def test_figure_draws_one_line_per_label() -> None:
    base = tiny_resnet()
    tables = {
        "deepreduce 1": kept_by_layer(deepreduce_linearize(base, "1")),
        "random 384": kept_by_layer(random_linearize(base, 384, seed=0)),
    }
    axes = fig_kept_by_layer(tables).axes[0]
    assert [line.get_label() for line in axes.get_lines()] == list(tables)
    assert [tick.get_text() for tick in axes.get_xticklabels()] == tables["random 384"]["site"].tolist()
    with pytest.raises(ValueError, match="lists other sites"):
        fig_kept_by_layer({**tables, "mlp": kept_by_layer(tiny_mlp([6, 5]))})
