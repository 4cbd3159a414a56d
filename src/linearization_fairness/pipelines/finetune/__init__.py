"""finetune: each linearized model finetuned twice, by plain distillation and by the paper's
fairness-aware (Lagrangian) distillation; and the all-ReLU model finetuned alone, as a control."""

from linearization_fairness.pipelines.finetune.pipeline import create_pipeline

__all__ = ["create_pipeline"]
