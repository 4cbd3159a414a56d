"""kedro-mlflow's import: MLflow's warning about its model is dropped, any other warning is passed on."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from linearization_fairness.library_warnings import MLFLOW_PREDICT_HINTS, import_kedro_mlflow


def test_importing_kedro_mlflow_drops_only_mlflows_warning_about_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As MLflow emits it: coloured, inside its own "once" filter, which outranks the caller's filters.
    (tmp_path / "warns_on_import.py").write_text(
        "import warnings\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('once', category=UserWarning)\n"
        f"    warnings.warn('\\x1b[33m{MLFLOW_PREDICT_HINTS} to enable data validation\\x1b[0m', UserWarning)\n"
        "warnings.warn('a plugin warning worth reading', UserWarning)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "warns_on_import", raising=False)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        import_kedro_mlflow("warns_on_import")
    assert [str(warning.message) for warning in shown] == ["a plugin warning worth reading"]
