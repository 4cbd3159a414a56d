"""Where a report came from: the code's commit (and whether the tree had uncommitted changes),
when it was written, the libraries and the machine, so that a reader can tell two reports apart
and rerun one."""

from __future__ import annotations

import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import torch

# The libraries whose versions can change a number in the report.
LIBRARIES = ("torch", "numpy", "pandas", "scikit-learn", "fairlearn", "kedro", "pydantic", "matplotlib")


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(source: Path) -> str:
    """The commit of the checkout holding `source`, with "+ uncommitted changes" when tracked or
    new files differ from it; git-ignored files (the run's data/) do not count."""
    commit = _git(source, "rev-parse", "HEAD")
    if commit is None:
        return "unknown (not a git checkout, or git is not installed)"
    changes = _git(source, "status", "--porcelain", "--untracked-files=normal")
    return commit if not changes else f"{commit} + uncommitted changes"


def device_description() -> str:
    if torch.cuda.is_available():
        names = sorted({torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())})
        return f"{torch.cuda.device_count()} CUDA device(s): {', '.join(names)}"
    return f"CPU only: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def provenance(source: Path = Path(__file__).parent) -> dict[str, str]:
    """The report's provenance, label -> value in reading order. The commit is that of the code
    that runs (this package's checkout, with the README's editable install), wherever the run's
    working directory is."""
    versions = {}
    for library in LIBRARIES:
        try:
            versions[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            versions[library] = "not installed"
    return {
        "code": code_version(source),
        "written": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "python": platform.python_version(),
        **versions,
        "platform": platform.platform(),
        "device": device_description(),
    }
