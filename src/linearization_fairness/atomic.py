"""Atomic file writes: a crash never leaves a truncated artifact where a later stage would read it.

A write goes to a temporary file beside its target, named after the target, this machine and
this process (`.<name>.<host>-<pid>.<random>.tmp`), is flushed to disk and renamed into place.
A temporary file whose process is gone was left by a crash and is swept before the next run.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

_HOST = socket.gethostname().replace(".", "_")
# The mode a plain open() would give: mkstemp's 0600 would make outputs unreadable to the group.
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK


def _prefix(path: Path) -> str:
    return f".{path.name}.{_HOST}-{os.getpid()}."


def temporary_beside(path: str | os.PathLike) -> Path:
    """A new empty temporary file in the folder of `path` (created with the project's file mode)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=_prefix(path), suffix=".tmp")
    os.close(descriptor)
    os.chmod(temporary, FILE_MODE)
    return Path(temporary)


def replace_durably(temporary: Path, path: str | os.PathLike) -> None:
    """fsync `temporary`, rename it onto `path` (atomic within one folder on POSIX and Windows)."""
    with open(temporary, "rb") as file:
        os.fsync(file.fileno())
    os.replace(temporary, path)


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(file)` on a temporary file beside `path`, then move it into place."""
    temporary = temporary_beside(path)
    try:
        with open(temporary, "wb") as file:
            write(file)
        replace_durably(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def non_empty_file(path: Path) -> bool:
    """Whether an output counts as written: an empty file is what a crash mid-write leaves."""
    return path.is_file() and path.stat().st_size > 0


def sweep_leftovers(folders: Iterable[Path]) -> list[Path]:
    """Delete the temporary files in `folders` that this machine's dead processes left behind."""
    removed = []
    for folder in {Path(folder) for folder in folders}:
        for candidate in folder.glob(f".*.{_HOST}-*.tmp") if folder.is_dir() else ():
            pid = candidate.name.rsplit(f".{_HOST}-", 1)[1].split(".", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                candidate.unlink(missing_ok=True)
                removed.append(candidate)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
