import math

import pytest
import torch
from torch import nn

from linearization_fairness.metrics.predictions import PREDICTION_COLUMNS, logit_statistics, predict


def test_margins_and_loss_by_hand() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]], dtype=torch.float64)
    labels = torch.tensor([1, 2])
    stats = logit_statistics(logits, labels)

    first_total = math.exp(2) + math.exp(1) + 1
    second_total = math.exp(3) + 2
    assert stats["prediction"].tolist() == [0, 2]
    assert stats["correct"].tolist() == [False, True]
    assert stats["top1_prob"].tolist() == pytest.approx([math.exp(2) / first_total, math.exp(3) / second_total])
    assert stats["top2_prob"].tolist() == pytest.approx([math.exp(1) / first_total, 1 / second_total])
    assert stats["prob_margin"].tolist() == pytest.approx(
        [(math.exp(2) - math.exp(1)) / first_total, (math.exp(3) - 1) / second_total]
    )
    assert stats["logit_margin"].tolist() == pytest.approx([1.0, 3.0])
    assert stats["loss"].tolist() == pytest.approx(
        [-math.log(math.exp(1) / first_total), -math.log(math.exp(3) / second_total)]
    )


def test_single_class_logits_are_rejected() -> None:
    with pytest.raises(ValueError, match="C >= 2"):
        logit_statistics(torch.zeros(4, 1), torch.zeros(4, dtype=torch.int64))


def identity_classifier() -> nn.Linear:
    """A model whose logits are its inputs, so expected rows follow from logit_statistics."""
    model = nn.Linear(3, 3)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3))
        model.bias.zero_()
    return model


def test_predict_rows_follow_sample_order_across_batches() -> None:
    logits = torch.tensor([[3.0, 0.0, 1.0], [0.0, 2.0, 0.5], [1.0, 1.5, 0.0], [0.0, 0.0, 4.0], [2.0, 2.5, 0.0]])
    y = torch.tensor([0, 1, 0, 2, 0])
    group = torch.tensor([5, 1, 5, 2, 5])
    model = identity_classifier().train()

    frame = predict(model, logits, y, group, batch_size=2)

    expected = logit_statistics(logits, y)
    assert list(frame.columns) == list(PREDICTION_COLUMNS)
    assert frame["index"].tolist() == [0, 1, 2, 3, 4]
    assert frame["label"].tolist() == y.tolist()
    assert frame["group"].tolist() == group.tolist()
    assert frame["prediction"].tolist() == [0, 1, 1, 2, 1]
    assert frame["correct"].tolist() == [True, True, False, True, False]
    for column in ("top1_prob", "top2_prob", "prob_margin", "logit_margin", "loss"):
        assert frame[column].tolist() == pytest.approx(expected[column].tolist(), rel=1e-6)
    assert model.training, "predict must restore the model's mode"


def test_predict_uses_eval_mode(convnet: nn.Sequential, image_data) -> None:
    x, y, group = image_data
    frame = predict(convnet.train(), x, y, group, batch_size=5)
    with torch.no_grad():
        expected = logit_statistics(convnet.eval()(x), y)
    assert frame["loss"].tolist() == pytest.approx(expected["loss"].tolist(), rel=1e-5)


def test_predict_rejects_mismatched_inputs() -> None:
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="group must have shape"):
        predict(identity_classifier(), x, torch.zeros(4, dtype=torch.int64), torch.zeros(3, dtype=torch.int64), 2)
    with pytest.raises(ValueError, match="int64"):
        predict(identity_classifier(), x, torch.zeros(4), torch.zeros(4, dtype=torch.int64), 2)
