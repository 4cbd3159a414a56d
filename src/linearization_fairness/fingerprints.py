"""What made each artifact: a fingerprint recorded beside every output and checkpoint, so that
nothing made under other settings or from other inputs is taken as done.

A node's fingerprint hashes what its result depends on: the function, the resolved settings it
was bound to (its `depends_on`: the data, model, training or method settings of its stage,
without the execution-only ones such as the device), and the fingerprints of its inputs. Each
saved output records `{node, fingerprint, size, mtime_ns}` in `.<file>.made.json` beside it; its
own fingerprint also hashes the file's bytes, so that a rerun that changes an output (a
non-deterministic GPU rerun) makes everything downstream stale, while an identical rerun does not.

An output is stale when it has no record, when the file changed after its record was written,
or when its node's fingerprint, computed now from the current settings and inputs, differs from
the recorded one; staleness flows downstream through the input fingerprints. Code changes and
the raw data files are not fingerprinted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from linearization_fairness.atomic import write_atomically
from linearization_fairness.training.config import EXECUTION_ONLY_FIELDS, TrainConfig


def semantic(value: Any) -> Any:
    """`value` (a config, or containers of configs) as plain JSON values, without the settings that
    change how a training runs but not what it computes."""
    if isinstance(value, TrainConfig):
        return value.model_dump(mode="json", exclude=EXECUTION_ONLY_FIELDS)
    if isinstance(value, BaseModel):
        return {name: semantic(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(key): semantic(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [semantic(item) for item in value]
    return value


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:32]


def record_path(path: Path) -> Path:
    return path.parent / f".{path.name}.made.json"


def read_record(path: Path) -> dict[str, Any] | None:
    """The record of `path` if it still describes the file on disk, else None."""
    try:
        record = json.loads(record_path(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("size") != stat.st_size or record.get("mtime_ns") != stat.st_mtime_ns:
        return None
    return record


def write_record(path: Path, node_fingerprint: str) -> dict[str, Any]:
    stat = path.stat()
    record = {
        "node": node_fingerprint,
        "fingerprint": digest([node_fingerprint, file_digest(path)]),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    write_atomically(record_path(path), lambda file: file.write(json.dumps(record).encode()))
    return record


def node_identity(node: Any) -> dict[str, Any]:
    """The function a node runs and the settings bound into it (see pipelines.common.bound_node)."""
    function = getattr(node.func, "func", node.func)
    return {"function": f"{function.__module__}.{function.__qualname__}", "settings": getattr(node.func, "depends_on", {})}


def filepath_of(catalog: Any, name: str) -> Path | None:
    filepath = getattr(catalog.get(name), "_filepath", None)
    return None if filepath is None else Path(str(filepath))


class Fingerprints:
    """The current fingerprints of a pipeline's datasets and which of its nodes are stale."""

    def __init__(self, pipeline: Any, catalog: Any) -> None:
        self._catalog = catalog
        self._producer = {output: node for node in pipeline.nodes for output in node.outputs}
        self._current: dict[str, str | None] = {}
        self.stale: dict[str, str] = {}  # node name -> why
        for node in pipeline.nodes:  # topologically sorted
            reason = self._why_stale(node)
            if reason is not None:
                self.stale[node.name] = reason

    def expected(self, node: Any) -> str | None:
        """The node's fingerprint now, or None when an input's is unknown (stale, or unrecorded)."""
        inputs = {name: self.current(name) for name in node.inputs}
        if any(value is None for value in inputs.values()):
            return None
        return digest([node_identity(node), inputs])

    def current(self, name: str) -> str | None:
        if name not in self._current:
            producer = self._producer.get(name)
            path = filepath_of(self._catalog, name)
            record = read_record(path) if path is not None else None
            fresh = producer is None or producer.name not in self.stale
            self._current[name] = record["fingerprint"] if record is not None and fresh else None
        return self._current[name]

    def _why_stale(self, node: Any) -> str | None:
        records = []
        for output in node.outputs:
            path = filepath_of(self._catalog, output)
            if path is None:
                continue  # kept in memory: nothing to reuse
            if not path.exists():
                return "missing"
            record = read_record(path)
            if record is None:
                return f"{output} has no record of what made it, or changed since"
            records.append(record)
        expected = self.expected(node)
        if expected is None:
            return "an input is stale"
        if any(record["node"] != expected for record in records):
            return "made with other settings or inputs"
        return None
