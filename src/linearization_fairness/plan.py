"""What a sweep will cost before it runs: its cells, the epochs of each stage, and device-hours.

`kedro plan` (cli.py) prints this for an environment's resolved config and writes it to
`<outputs>/08_reporting/plan.csv`; nothing here needs a Kedro session.

Counts come from the sweep (sweep.py) and the resolved config alone: one base training per seed;
one SNL search per seed for all its budgets, at most `train.epochs` (it stops at the smallest
budget, so that is an upper bound); every finetune variant per linearized cell, and the control's;
DeepReDuce's criticality trainings (one per stage and seed) when enabled; one evaluation per model.

Times come from the device the plan runs on: a couple of steps of each architecture through the
training engine (base training's cross-entropy) on random data of the experiment's input shape at
each stage's batch size, and one batch of each evaluation measurement. Each timing is cached in
`plan_timings.json` beside the CSV, keyed by what it timed, architecture, input shape, batch size,
device and torch version, so a second plan times nothing. How the hours are estimated:

- an epoch is (training samples // batch size) steps plus a forward pass over the validation split;
- a distilling step (the SNL search, every finetune) is a training step plus the teacher's forward
  pass of the batch, timed after the steps; SNL's trainable masks add at most ~10% more
  (benchmarks/bench_engine.py), not counted; predictions and validation passes are priced per
  image by that forward pass at base training's batch size;
- the diagnostics are timed at their configured batch sizes on a GPU; on the CPU, for time,
  `cpu_eval_images` images stand for a batch, scaled per image, which over-estimates (small
  batches use a CPU less well);
- a Hessian power iteration costs `evaluate.hessian_iters` products (an upper bound: it stops once
  converged) unless `hessian_products` gives a typical count, e.g. a finished run's hessian_iters;
- split sizes are the prepared splits' when data_prep has run, otherwise the datasets' published
  sizes put through data_prep's own split arithmetic;
- timings use 10 classes (the class count only sizes the classifier head and the group terms) and
  no torch.compile, so a compiled run's gain is not counted; data preparation and the report run
  on the CPU and are left out.

On N GPUs the sweep's trainings and evaluations form a dependency graph (a base model before its
cells' finetunes and before the seed's SNL search, the search before its finetunes, every model
before its evaluation), list-scheduled longest path first on N x floor(1 / ray.gpus_per_training_task)
slots, so packing never runs more at once than the graph allows. Packing's throughput gain has not
been measured, so none is assumed: k tasks sharing a GPU each take k times as long as one alone.
"""

from __future__ import annotations

import heapq
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from linearization_fairness.atomic import write_atomically
from linearization_fairness.data.preparation import EMBEDDED_DATASETS, drawn_splits, split_positions
from linearization_fairness.data.source import SourceData
from linearization_fairness.finetuning import VARIANTS
from linearization_fairness.linearization import site_stages
from linearization_fairness.metrics import group_hessian_top_eigenvalue, group_mean_loss_grad_norm, per_sample_grad_norms
from linearization_fairness.metrics.sampling import kept_count
from linearization_fairness.models import build_model
from linearization_fairness.pipelines.finetune.pipeline import variants_of
from linearization_fairness.sweep import BASE, Cell, Experiment, cells_of
from linearization_fairness.training import CrossEntropy, TrainConfig, evaluate_logits, train

PLAN_FILE = Path("08_reporting") / "plan.csv"
TIMINGS_FILE = Path("08_reporting") / "plan_timings.json"
TIMING_CLASSES = 10
# Stages whose every step also runs the all-ReLU teacher's forward pass.
DISTILLING_STAGES = ("snl_search", *VARIANTS)
# Throughput of tasks packed on one GPU relative to one task alone: never measured, so 1.0 (no gain).
PACKING_GAIN = 1.0
# Published per-class sizes (training pool, official test split), digits 0-9 in order.
PUBLISHED_CLASS_SIZES = {
    "cifar10": ([5000] * 10, [1000] * 10),
    "svhn": (
        [4948, 13861, 10585, 8497, 7458, 6882, 5727, 5595, 5045, 4659],
        [1744, 5099, 4149, 2882, 2523, 2384, 1977, 2019, 1660, 1595],
    ),
}
# Files in UTKFace's cropped archive; its class shares are not published, so they count as equal.
UTKFACE_IMAGES = 23_708


@dataclass(frozen=True)
class Training:
    """One kind of training in an experiment: how often it runs and for how many epochs."""

    stage: str  # "base_train", "criticality", "snl_search" or a finetune variant's name
    runs: int
    epochs: int  # per run; the SNL search's cap
    config: TrainConfig


def cells_per_method(experiment: Experiment) -> dict[str, int]:
    return dict(Counter(cell.method for cell in cells_of(experiment)))


def _variants(cell: Cell) -> list[str]:
    return [BASE] if cell.method == BASE else variants_of(cell)


def trainings(experiment: Experiment) -> list[Training]:
    """Every training the experiment's sweep runs, by stage, in the order the stages run."""
    config, cells = experiment.config, cells_of(experiment)
    seeds = len(config.seeds)
    kinds = [Training("base_train", seeds, config.base_train.epochs, config.base_train)]
    deepreduce = config.linearize.deepreduce
    if deepreduce is not None and deepreduce.criticality.enabled:
        with torch.device("meta"):
            model = build_model(config.model, config.data.input_shape, config.data.num_classes)
        stages = len(set(site_stages(model).values()))
        criticality = deepreduce.criticality.train
        kinds.append(Training("criticality", seeds * stages, criticality.epochs, criticality))
    if config.linearize.snl is not None:
        kinds.append(Training("snl_search", seeds, config.linearize.snl.train.epochs, config.linearize.snl.train))
    for name in VARIANTS:
        runs = sum(name in _variants(cell) for cell in cells)
        if runs:
            variant_train = getattr(config, name).train
            kinds.append(Training(name, runs, variant_train.epochs, variant_train))
    return kinds


def evaluated_models(experiment: Experiment) -> int:
    return sum(len(_variants(cell)) for cell in cells_of(experiment))


@dataclass(frozen=True)
class SplitSizes:
    train: int
    val: int
    test_per_group: tuple[int, ...]
    source: str  # "prepared" (data_prep's splits on disk) or "published" (the datasets' sizes)


def split_sizes(experiment: Experiment, outputs: Path) -> SplitSizes:
    """The experiment's split sizes: from its prepared splits if data_prep has written them."""
    prepared = Path(outputs) / "05_model_input" / experiment.name / "splits.npz"
    if prepared.is_file():
        with np.load(prepared, allow_pickle=False) as splits:
            test = np.bincount(splits["test_group"])
            return SplitSizes(len(splits["train_y"]), len(splits["val_y"]), tuple(int(n) for n in test if n), "prepared")
    data = experiment.config.data
    if data.dataset in EMBEDDED_DATASETS:  # data_prep's own draw, thinning of a rare style included
        source, positions = drawn_splits(data, Path("unused"))
        groups = source.y if source.group is None else source.group
        test = np.bincount(groups[positions["test"]])
        return SplitSizes(len(positions["train"]), len(positions["val"]), tuple(int(n) for n in test if n), "published")
    pool, official_test = _published_class_sizes(experiment)
    labels = np.repeat(np.arange(len(pool)), pool)
    if official_test is not None:
        labels = np.concatenate([labels, np.repeat(np.arange(len(official_test)), official_test)])
    source = SourceData(
        x=np.empty((len(labels), 0), np.uint8), y=labels, max_value=1.0, class_names=[], group_names=[],
        official_test=None if official_test is None else np.arange(len(labels)) >= sum(pool),
    )  # fmt: skip
    # data_prep's own split arithmetic on labels alone; the counts do not depend on the draw.
    positions = split_positions(source, data, np.random.default_rng(data.seed))
    test = np.bincount(labels[positions["test"]])
    return SplitSizes(len(positions["train"]), len(positions["val"]), tuple(int(n) for n in test if n), "published")


def _published_class_sizes(experiment: Experiment) -> tuple[list[int], list[int] | None]:
    data = experiment.config.data
    if data.dataset in PUBLISHED_CLASS_SIZES:
        return PUBLISHED_CLASS_SIZES[data.dataset]
    share, remainder = divmod(UTKFACE_IMAGES, data.num_classes)
    return [share + (index < remainder) for index in range(data.num_classes)], None


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def _random_split(count: int, shape: tuple[int, ...], generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    group = torch.arange(count) % TIMING_CLASSES
    return torch.randn(count, *shape, generator=generator), group, group.clone()


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Timer:
    """Measures on one device, each distinct measurement once, cached in a JSON file."""

    def __init__(self, cache: Path, device: torch.device, steps: int = 2, cpu_eval_images: int = 8) -> None:
        if steps < 2:
            raise ValueError(f"steps={steps}: time at least 2 steps, the first warms up")
        self.cache, self.device, self.steps, self.cpu_eval_images = Path(cache), device, steps, cpu_eval_images
        self.timings: dict[str, dict[str, float]] = json.loads(self.cache.read_text()) if self.cache.is_file() else {}
        self.measured = 0
        self.reused = 0

    def _key(self, experiment: Experiment, timed: str, batch_sizes: object) -> str:
        return json.dumps({
            "timed": timed, "model": experiment.config.model.model_dump(mode="json"),
            "input_shape": list(experiment.config.data.input_shape), "batch_size": batch_sizes,
            "device": device_label(self.device), "torch": torch.__version__,
        }, sort_keys=True)  # fmt: skip

    def _cached(self, key: str, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
        if key in self.timings:
            self.reused += 1
            return self.timings[key]
        self.timings[key] = measure()
        self.measured += 1
        text = json.dumps(self.timings, indent=1, sort_keys=True).encode()
        write_atomically(self.cache, lambda handle: handle.write(text))
        return self.timings[key]

    def training_step(self, experiment: Experiment, batch_size: int) -> dict[str, float]:
        """Seconds of a base-training step at `batch_size` ("step": the fastest of `steps` one-step
        epochs but the first, which warms up (allocations, cuDNN's algorithm search); the fastest,
        because a shared machine only ever adds time) and of a forward pass of that batch."""
        key = self._key(experiment, "training step", batch_size)
        return self._cached(key, lambda: self._time_training(experiment, batch_size))

    def _time_training(self, experiment: Experiment, batch_size: int) -> dict[str, float]:
        timing = experiment.config.base_train.model_copy(update={
            "batch_size": batch_size, "epochs": self.steps, "schedule": "constant", "milestones": [],
            "device": self.device.type,
            "compile": False, "progress": False, "checkpoint_every": self.steps,
        })  # fmt: skip
        shape = experiment.config.data.input_shape
        generator = torch.Generator().manual_seed(0)
        train_split, val_split = _random_split(timing.batch_size, shape, generator), _random_split(1, shape, generator)
        torch.manual_seed(0)
        model = build_model(experiment.config.model, shape, TIMING_CLASSES)
        history = train(model, train_split, val_split, timing, CrossEntropy(), select_on=None).history
        x = train_split[0].to(self.device)
        _synchronize(self.device)
        started = time.perf_counter()
        evaluate_logits(model, x, batch_size)
        _synchronize(self.device)
        return {"step": float(history["seconds"].iloc[1:].min()), "forward": time.perf_counter() - started}

    def evaluation(self, experiment: Experiment) -> dict[str, float]:
        """Seconds per image of each diagnostic (predictions are priced by the training timing's
        forward pass)."""
        batches = self._eval_batches(experiment)
        return self._cached(self._key(experiment, "evaluation", batches), lambda: self._time_evaluation(experiment, batches))

    def _eval_batches(self, experiment: Experiment) -> dict[str, int]:
        evaluate = experiment.config.evaluate
        configured = {
            "grad_norm": evaluate.grad_norm_batch_size, "per_sample": evaluate.per_sample_batch_size,
            "hessian": evaluate.hessian_batch_size,
        }  # fmt: skip
        if self.device.type == "cuda":
            return configured
        return {name: min(size, self.cpu_eval_images) for name, size in configured.items()}

    def _time_evaluation(self, experiment: Experiment, batches: dict[str, int]) -> dict[str, float]:
        shape, device = experiment.config.data.input_shape, self.device
        x, y, group = _random_split(max(batches.values()), shape, torch.Generator().manual_seed(0))
        torch.manual_seed(0)
        model = build_model(experiment.config.model, shape, TIMING_CLASSES).to(device).eval()

        def seconds(measure: Callable[[int], object], count: int) -> float:
            _synchronize(device)
            started = time.perf_counter()
            measure(count)
            _synchronize(device)
            return time.perf_counter() - started

        def hessian(iters: int) -> Callable[[int], object]:
            # A residual test no power iteration meets, so each runs exactly `iters` products.
            return lambda n: group_hessian_top_eigenvalue(model, x[:n], y[:n], group[:n], n, iters, 1e-30, 0, device)

        measurements = {
            "grad_norm": lambda n: group_mean_loss_grad_norm(model, x[:n], y[:n], group[:n], n, device),
            "per_sample": lambda n: per_sample_grad_norms(model, x[:n], y[:n], n, device),
        }
        # The first call of each pays one-off set-up (torch.func's transforms, allocations): warm
        # each up on one image first.
        for measure in (*measurements.values(), hessian(1)):
            measure(1)
        per_image = {name: seconds(measure, batches[name]) / batches[name] for name, measure in measurements.items()}
        images = batches["hessian"]
        one, two = seconds(hessian(1), images), seconds(hessian(2), images)
        # When the machine's noise hides the second product, price it as half a one-product run.
        product = two - one if two > one else one / 2
        return per_image | {"hessian_graph": max(one - product, 0.0) / images, "hessian_product": product / images}


@dataclass(frozen=True)
class Estimate:
    """One stage of one experiment: its runs and what one run costs."""

    experiment: str
    arch: str
    stage: str
    runs: int
    epochs_per_run: int | None  # None for the evaluation
    batch_size: int | None
    steps_per_epoch: int | None
    seconds_per_step: float | None
    seconds_per_run: float

    @property
    def epochs(self) -> int | None:
        return None if self.epochs_per_run is None else self.runs * self.epochs_per_run

    @property
    def device_hours(self) -> float:
        return self.runs * self.seconds_per_run / 3600


def estimate(experiment: Experiment, sizes: SplitSizes, timer: Timer, hessian_products: int | None = None) -> list[Estimate]:
    """The experiment's stages, each priced by the timer's measurements on its device."""
    config = experiment.config
    arch = config.model.arch
    per_image = timer.evaluation(experiment)
    base = timer.training_step(experiment, config.base_train.batch_size)
    forward_per_image = base["forward"] / config.base_train.batch_size
    rows = []
    for training in trainings(experiment):
        batch = min(training.config.batch_size, sizes.train)
        steps = sizes.train // batch
        timed = timer.training_step(experiment, training.config.batch_size)
        step = timed["step"] + (timed["forward"] if training.stage in DISTILLING_STAGES else 0.0)
        epoch = steps * step + sizes.val * forward_per_image
        rows.append(Estimate(experiment.name, arch, training.stage, training.runs, training.epochs,
                             training.config.batch_size, steps, step, training.epochs * epoch))  # fmt: skip
    evaluate = config.evaluate
    products = evaluate.hessian_iters if hessian_products is None else min(hessian_products, evaluate.hessian_iters)
    diagnosed = sum(kept_count(evaluate.diagnostics_per_group, count) for count in sizes.test_per_group)
    per_diagnosed = (
        per_image["grad_norm"] + per_image["per_sample"] + per_image["hessian_graph"]
        + products * per_image["hessian_product"]
    )  # fmt: skip
    per_model = sum(sizes.test_per_group) * forward_per_image + diagnosed * per_diagnosed
    rows.append(Estimate(experiment.name, arch, "evaluate", evaluated_models(experiment), None, None, None, None, per_model))
    return rows


def sweep_tasks(experiment: Experiment, estimates: list[Estimate]) -> list[tuple[float, list[int]]]:
    """(seconds, indices of the tasks it waits for) of every training and evaluation, parents first."""
    seconds = {row.stage: row.seconds_per_run for row in estimates}
    runs = {row.stage: row.runs for row in estimates}
    tasks: list[tuple[float, list[int]]] = []

    def add(duration: float, after: list[int]) -> int:
        tasks.append((duration, after))
        return len(tasks) - 1

    cells = cells_of(experiment)
    for seed in experiment.config.seeds:
        base = add(seconds["base_train"], [])
        add(seconds["evaluate"], [base])
        if "criticality" in seconds:
            add(seconds["criticality"] * runs["criticality"] / runs["base_train"], [base])  # one node per seed
        search = add(seconds["snl_search"], [base]) if "snl_search" in seconds else None
        for cell in cells:
            if cell.seed != seed or cell.method == BASE:
                continue
            parent = search if cell.method == "snl" else base
            for variant in variants_of(cell):
                add(seconds["evaluate"], [add(seconds[variant], [parent])])
    return tasks


def makespan(tasks: list[tuple[float, list[int]]], slots: int, slowdown: float = 1.0) -> float:
    """Seconds to run the tasks on `slots` workers, each task taking `slowdown` times its own
    seconds; a ready task with the longest path still ahead of it starts first."""
    if not tasks:
        return 0.0
    children: list[list[int]] = [[] for _ in tasks]
    waiting = [len(after) for _, after in tasks]
    for index, (_, after) in enumerate(tasks):
        for parent in after:
            children[parent].append(index)
    ahead = [0.0] * len(tasks)
    for index in reversed(range(len(tasks))):  # parents come before their children
        ahead[index] = tasks[index][0] + max((ahead[child] for child in children[index]), default=0.0)
    ready = [(-ahead[index], index) for index in range(len(tasks)) if not waiting[index]]
    heapq.heapify(ready)
    running: list[tuple[float, int]] = []
    now, free = 0.0, slots
    while ready or running:
        while ready and free:
            _, index = heapq.heappop(ready)
            heapq.heappush(running, (now + tasks[index][0] * slowdown, index))
            free -= 1
        now, finished = heapq.heappop(running)
        free += 1
        for child in children[finished]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, (-ahead[child], child))
    return now


@dataclass(frozen=True)
class Plan:
    estimates: list[Estimate]
    cells: dict[str, dict[str, int]]  # experiment -> method -> cells
    sizes: dict[str, SplitSizes]
    tasks: list[tuple[float, list[int]]]
    device: str

    @property
    def device_hours(self) -> float:
        return sum(row.device_hours for row in self.estimates)

    def wall_hours(self, gpus: int, gpus_per_task: float) -> float:
        """Hours on `gpus` GPUs at `gpus_per_task` of a GPU per task (see the module docstring)."""
        per_gpu = math.floor(1 / gpus_per_task + 1e-9)
        return makespan(self.tasks, gpus * per_gpu, per_gpu / PACKING_GAIN) / 3600

    def critical_path_hours(self) -> float:
        return makespan(self.tasks, len(self.tasks)) / 3600

    def table(self, gpus: int, gpus_per_task: float) -> pd.DataFrame:
        """The CSV's rows: the cells per method, the stages' estimates, then the sweep's totals."""
        rows = [
            {"experiment": name, "stage": f"cells: {method}", "runs": count}
            for name, methods in self.cells.items()
            for method, count in methods.items()
        ]
        for row in self.estimates:
            rows.append({
                "experiment": row.experiment, "arch": row.arch, "stage": row.stage, "runs": row.runs,
                "epochs_per_run": row.epochs_per_run, "epochs": row.epochs, "batch_size": row.batch_size,
                "steps_per_epoch": row.steps_per_epoch, "seconds_per_step": row.seconds_per_step,
                "seconds_per_run": row.seconds_per_run, "device_hours": row.device_hours,
            })  # fmt: skip
        rows.append({"experiment": "all", "stage": "sequential", "device_hours": self.device_hours})
        rows.append({"experiment": "all", "stage": f"wall on {gpus} GPU(s) at {gpus_per_task:g} GPU per task",
                     "device_hours": self.wall_hours(gpus, gpus_per_task)})  # fmt: skip
        columns = ["experiment", "arch", "stage", "runs", "epochs_per_run", "epochs", "batch_size", "steps_per_epoch",
                   "seconds_per_step", "seconds_per_run", "device_hours"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns).assign(device=self.device)
        counts = ("runs", "epochs_per_run", "epochs", "batch_size", "steps_per_epoch")
        return frame.astype(dict.fromkeys(counts, "Int64"))


def make_plan(experiments: list[Experiment], outputs: Path, timer: Timer, hessian_products: int | None = None) -> Plan:
    estimates, cells, sizes, tasks = [], {}, {}, []
    for experiment in experiments:
        sizes[experiment.name] = split_sizes(experiment, outputs)
        rows = estimate(experiment, sizes[experiment.name], timer, hessian_products)
        estimates += rows
        cells[experiment.name] = cells_per_method(experiment)
        offset = len(tasks)
        tasks += [(seconds, [offset + parent for parent in after]) for seconds, after in sweep_tasks(experiment, rows)]
    return Plan(estimates, cells, sizes, tasks, device_label(timer.device))


def write_csv(table: pd.DataFrame, path: Path) -> None:
    text = table.to_csv(index=False).encode()
    write_atomically(path, lambda handle: handle.write(text))


def _readable(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _count(value: float) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def summary(plan: Plan, gpus: int, gpus_per_task: float, hessian_products: int | None) -> str:
    """The plan for people: cells, stages, totals, and what the estimate assumes."""
    estimates = pd.DataFrame([
        {"experiment": row.experiment, "stage": row.stage, "runs": row.runs, "epochs/run": row.epochs_per_run,
         "epochs": row.epochs, "batch": row.batch_size, "s/step": row.seconds_per_step, "h/run": row.seconds_per_run / 3600,
         "device-h": row.device_hours}
        for row in plan.estimates
    ])  # fmt: skip
    counts = ("runs", "epochs/run", "epochs", "batch")
    cells = pd.DataFrame(plan.cells).T.fillna(0).astype(int)
    cells["models evaluated"] = estimates.loc[estimates["stage"] == "evaluate"].set_index("experiment")["runs"]
    evaluation = estimates.loc[estimates["stage"] == "evaluate", "device-h"].sum()
    total = plan.device_hours
    per_gpu = math.floor(1 / gpus_per_task + 1e-9)
    published = [name for name, sizes in plan.sizes.items() if sizes.source == "published"]
    products = hessian_products or "each evaluate.hessian_iters (an upper bound: iterations stop once converged)"
    lines = [
        f"Timed on {plan.device}, torch {torch.__version__}.",
        "",
        "Cells per experiment and method:",
        cells.to_string(),
        "",
        "Epochs and device-hours per stage (snl_search: one search per seed, its epochs a cap):",
        estimates.to_string(index=False, na_rep="", float_format=_readable, formatters=dict.fromkeys(counts, _count)),
        "",
        f"Total: {total:,.1f} device-hours, of which training {total - evaluation:,.1f} and evaluation "
        f"{evaluation:,.1f} ({evaluation / total:.0%}); Hessian products per power iteration: {products}.",
        f"Sequentially on one device: {total:,.1f} h. On {gpus} GPU(s) at ray.gpus_per_training_task={gpus_per_task:g} "
        f"({per_gpu} task(s) per GPU): {plan.wall_hours(gpus, gpus_per_task):,.1f} h wall; the longest dependency chain "
        f"alone takes {plan.critical_path_hours():,.1f} h.",
        "Packing's throughput gain is unmeasured on this device, so none is assumed: tasks sharing a GPU each "
        "run that many times slower.",
    ]
    if published:
        lines.append(
            f"Split sizes from the datasets' published sizes (run data_prep for the exact ones): {', '.join(published)}."
        )
    return "\n".join(lines)
