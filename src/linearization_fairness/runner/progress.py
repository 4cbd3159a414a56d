"""One view of a sweep's progress: nodes done, in flight, failed and left, elapsed time and an ETA.

The ETA weighs what is left by what the same kind of node took so far (a node's kind is its name
without the namespace: `train_base_model`, `finetune`, `evaluate_finetune`), because a sweep's
nodes differ in cost by orders of magnitude and a plain node count runs ahead of the work. It
divides by the parallelism measured so far (node-seconds of work per second of the run), so it
needs no knowledge of the cluster. "In flight" counts the nodes handed to the cluster, which
starts them as its resources free up.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import IO


def kind(node_name: str) -> str:
    return node_name.rsplit(".", 1)[-1]


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def first_line(error: BaseException) -> str:
    """A failed node's error in one line: its own error, not Ray's wrapper around it; for a dataset
    that failed to load or save, the reason (Kedro puts it on the line after "Failed while ...")."""
    cause = getattr(error, "cause", None) or error
    lines = [line for line in str(cause).splitlines() if line.strip()] or [""]
    line = lines[-1] if "Failed while" in lines[0] else lines[0]
    return f"{type(cause).__name__}: {line}".rstrip(": ")


class Progress:
    """On a terminal, finished nodes overwrite one live line and only failures stay. Elsewhere (CI,
    a log file) a finished node gets a line once `every` seconds have passed since the last one,
    and the last node always does: a default run's 281 nodes print about 40 lines, not 281.
    Failures always get their line."""

    def __init__(
        self, nodes: list[str], stream: IO[str] | None = None, now: Callable[[], float] = time.monotonic, every: float = 10.0
    ) -> None:
        self._now = now
        self._stream = stream if stream is not None else sys.stderr
        self._live = self._stream.isatty()
        self._every = every
        self._started = self._shown = now()
        self._total = len(nodes)
        self._left = set(nodes)  # neither done, failed nor skipped
        self._in_flight: set[str] = set()
        self._took: dict[str, list[float]] = defaultdict(list)
        self.done: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []

    def start(self, node: str) -> None:
        self._in_flight.add(node)

    def finish(self, node: str, took: float) -> None:
        """`took`: the node's own run time, measured where it ran."""
        self._settle(node)
        self._took[kind(node)].append(took)
        self.done.append(node)
        if self._live or not self._left or self._now() - self._shown >= self._every:
            self._show(f"{node} ({took:.1f} s)")

    def fail(self, node: str, reason: str) -> None:
        self._settle(node)
        self.failed.append(node)
        self._show(f"{node} FAILED: {reason}", keep=True)

    def skip(self, node: str) -> None:
        """A node that cannot run because a node it depends on failed."""
        self._left.discard(node)
        self.skipped.append(node)

    def eta(self) -> float | None:
        """Seconds left, or None before the first node finishes."""
        if not self.done:
            return None
        finished = [took for times in self._took.values() for took in times]
        overall = sum(finished) / len(finished)
        expected = {name: sum(times) / len(times) for name, times in self._took.items()}
        work_left = sum(expected.get(kind(name), overall) for name in self._left)
        parallelism = max(1.0, sum(finished) / max(self._now() - self._started, 1e-9))
        return work_left / parallelism

    def line(self) -> str:
        eta = self.eta()
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"[{len(self.done)}/{self._total} done, {len(self._in_flight)} in flight, {len(self.failed)} failed{skipped}] "
            f"{clock(self._now() - self._started)} elapsed, ETA {'?' if eta is None else clock(eta)}"
        )

    def close(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()

    def _settle(self, node: str) -> None:
        self._in_flight.discard(node)
        self._left.discard(node)

    def _show(self, event: str, keep: bool = False) -> None:
        text = f"{self.line()}  {event}"
        self._shown = self._now()
        if self._live:
            self._stream.write("\r\x1b[2K" + text + ("\n" if keep else ""))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
