import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from linearization_fairness.reporting.provenance import code_version, provenance


def git(directory: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=directory, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("data/\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    return tmp_path


def test_a_clean_checkout_is_its_commit_and_ignored_outputs_do_not_make_it_dirty(checkout: Path) -> None:
    (checkout / "data").mkdir()
    (checkout / "data" / "report.html").write_text("a run's output")
    assert code_version(checkout) == git(checkout, "rev-parse", "HEAD")


@pytest.mark.parametrize("change", ["edit", "new file"])
def test_an_edited_or_new_file_is_reported_as_uncommitted(checkout: Path, change: str) -> None:
    (checkout / ("code.py" if change == "edit" else "more.py")).write_text("x = 2\n")
    assert code_version(checkout) == git(checkout, "rev-parse", "HEAD") + " + uncommitted changes"


def test_outside_a_checkout_the_code_version_says_it_is_unknown(tmp_path: Path) -> None:
    assert code_version(tmp_path).startswith("unknown")


def test_provenance_names_the_libraries_that_ran_and_the_device() -> None:
    recorded = provenance()
    assert recorded["torch"] == metadata.version("torch")
    assert recorded["kedro"] == metadata.version("kedro")
    assert "CPU only" in recorded["device"] or "CUDA device" in recorded["device"]
    assert recorded["written"].endswith("UTC")
