from kedro.pipeline import Pipeline

from linearization_fairness.finetuning import VARIANTS
from linearization_fairness.pipelines.common import bound_node
from linearization_fairness.pipelines.finetune.nodes import finetune
from linearization_fairness.sweep import CONTROL, Cell


def variants_of(cell: Cell) -> list[str]:
    """The finetune variants a cell runs, in the registry's order: the experiment's after
    linearization, the control's on the base model."""
    chosen = cell.config.finetune_variants
    return [name for name, variant in VARIANTS.items() if name in chosen and (variant.on_control or cell.method != CONTROL)]


def create_pipeline(cell: Cell) -> Pipeline:
    """The cell's student (its linearized model; the base model for the control) finetuned by
    each of its variants into `<variant>_model`."""
    student = "base_model" if cell.method == CONTROL else "linearized_model"
    nodes = []
    for name in variants_of(cell):
        outputs = [f"{name}_model", f"{name}_history"]
        inputs = ["splits", "data_info", student, "base_model"]
        depends_on = {"variant": name, "settings": getattr(cell.config, name), "seed": cell.seed}
        nodes.append(bound_node(finetune, inputs, outputs, name, "finetune", depends_on, cell=cell, variant=name))
    return Pipeline(nodes)
