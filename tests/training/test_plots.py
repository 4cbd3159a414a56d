import pandas as pd

from linearization_fairness.training import plot_history

HISTORY = pd.DataFrame(
    {
        "epoch": [1, 2, 3],
        "train_loss": [1.0, 0.5, 0.3],
        "val_loss": [1.1, 0.7, 0.8],
        "train_accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.45, 0.75, 0.7],
    }
)


def _vertical_lines(axes) -> list[float]:
    return [line.get_xdata()[0] for line in axes.get_lines() if len(set(line.get_xdata())) == 1]


def test_the_kept_epoch_is_marked_on_both_panels_and_the_title_names_the_cell() -> None:
    figure = plot_history(HISTORY, "digits.base_s1: base training", kept_epoch=2)
    assert all(_vertical_lines(axes) == [2] for axes in figure.axes)
    assert figure.get_suptitle() == "digits.base_s1: base training"
    assert "kept: epoch 2" in [text.get_text() for text in figure.axes[1].get_legend().get_texts()]


def test_without_a_kept_epoch_nothing_is_marked() -> None:
    figure = plot_history(HISTORY)
    assert all(_vertical_lines(axes) == [] for axes in figure.axes)
