"""Per-sample predictions, losses and margins of a classifier.

The paper's "distance to the decision boundary" is measured, as in the authors' code, by the
probability margin: top-1 softmax probability minus top-2 softmax probability. It lies in [0, 1]
and is 0 on the boundary. The logit margin (top-1 minus top-2 logit) is reported beside it
because it does not saturate near 1 for confident samples.
"""

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from linearization_fairness.metrics.batching import batch_slices, check_inputs, evaluation_mode, place_model

PREDICTION_COLUMNS = (
    "index",
    "label",
    "group",
    "prediction",
    "correct",
    "top1_prob",
    "top2_prob",
    "prob_margin",
    "logit_margin",
    "loss",
)


def logit_statistics(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-sample prediction, correctness, top-2 probabilities, margins and cross-entropy loss."""
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, C) with C >= 2 classes; got {tuple(logits.shape)}")
    top_logits, top_classes = logits.topk(2, dim=1)
    # Softmax is monotonic, so the two largest probabilities belong to the two largest logits.
    top_probs = logits.softmax(dim=1).gather(1, top_classes)
    prediction = top_classes[:, 0]
    return {
        "prediction": prediction,
        "correct": prediction == labels,
        "top1_prob": top_probs[:, 0],
        "top2_prob": top_probs[:, 1],
        "prob_margin": top_probs[:, 0] - top_probs[:, 1],
        "logit_margin": top_logits[:, 0] - top_logits[:, 1],
        "loss": F.cross_entropy(logits, labels, reduction="none"),
    }


@torch.no_grad()
def predict(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    group: torch.Tensor,
    batch_size: int,
    device: torch.device | str | None = None,
) -> pd.DataFrame:
    """One row per sample with the columns of PREDICTION_COLUMNS, in the order of x.

    `index` is the sample's position in x. The model runs in eval mode (its modes are restored
    afterwards) and is moved in place to `device` when one is given.
    """
    check_inputs(x, y, group, batch_size)
    device = place_model(model, device)
    batch_statistics = []
    with evaluation_mode(model):
        for batch in batch_slices(len(x), batch_size):
            logits = model(x[batch].to(device, non_blocking=True))
            batch_statistics.append(logit_statistics(logits, y[batch].to(device, non_blocking=True)))
    columns = {
        name: torch.cat([stats[name] for stats in batch_statistics]).cpu().numpy() for name in batch_statistics[0]
    }
    frame = pd.DataFrame(
        {
            "index": range(len(x)),
            "label": y.cpu().numpy(),
            "group": group.cpu().numpy(),
            **columns,
        }
    )
    float_columns = ["top1_prob", "top2_prob", "prob_margin", "logit_margin", "loss"]
    frame[float_columns] = frame[float_columns].astype("float64")
    return frame[list(PREDICTION_COLUMNS)]
