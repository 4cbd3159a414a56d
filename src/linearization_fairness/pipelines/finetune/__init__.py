"""finetune: each linearized model finetuned by every finetune variant (plain distillation and the
paper's fairness-aware distillation); and the all-ReLU model finetuned alone, as a control."""

from linearization_fairness.pipelines.finetune.pipeline import create_pipeline, variants_of

__all__ = ["create_pipeline", "variants_of"]
