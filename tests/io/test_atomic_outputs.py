"""Every output is written atomically, with normal permissions; a crash leaves the old file or
nothing, never a truncated one; an empty file never counts as done; leftovers are swept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from linearization_fairness.atomic import FILE_MODE, sweep_leftovers, temporary_beside
from linearization_fairness.io import AtomicDataset, FigureDataset, ModelArtifactDataset, NpzDataset


def _csv(path: Path) -> AtomicDataset:
    return AtomicDataset(str(path), {"type": "pandas.CSVDataset", "save_args": {"index": False}})


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    _csv(path).save(pd.DataFrame({"epoch": [1, 2]}))

    class Exploding(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            handle = args[0] if args else kwargs["path_or_buf"]
            handle.write("epoch\n1\n")  # half a file, then the disk is full
            raise OSError("No space left on device")

    with pytest.raises(Exception, match="No space left"):
        _csv(path).save(Exploding({"epoch": [3]}))
    assert _csv(path).load()["epoch"].tolist() == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]


def test_outputs_get_the_mode_a_plain_open_would_give(tmp_path: Path) -> None:
    _csv(tmp_path / "table.csv").save(pd.DataFrame({"a": [1]}))
    NpzDataset(str(tmp_path / "splits.npz")).save({"x": pd.Series([1.0]).to_numpy()})
    for name in ("table.csv", "splits.npz"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == FILE_MODE
    assert FILE_MODE == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@pytest.mark.parametrize(
    "dataset",
    [
        lambda path: _csv(path / "a.csv"),
        lambda path: NpzDataset(str(path / "a.npz")),
        lambda path: ModelArtifactDataset(str(path / "a.pt")),
        lambda path: FigureDataset(str(path / "a.png")),
    ],
)
def test_an_empty_file_is_not_a_finished_output(tmp_path: Path, dataset) -> None:
    output = dataset(tmp_path)
    Path(output._filepath).touch()
    assert not output.exists()


def test_leftovers_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    mine = temporary_beside(tmp_path / "report.html")  # this (live) process
    dead = tmp_path / mine.name.replace(f"-{os.getpid()}.", "-99999999.")  # no such process
    dead.write_bytes(b"half")
    assert sweep_leftovers([tmp_path]) == [dead]
    assert mine.exists() and not dead.exists()
