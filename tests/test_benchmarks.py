"""bench_engine.py is what people run on a lent GPU; it must not first fail there, so it runs here on tiny settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_bench_engine_runs_both_halves_on_a_standard_resnet():
    # resnet18 is the default arch and a StandardResNetConfig: building its config from the
    # command line is what broke when ModelConfig became a union.
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    args = ["--arch", "resnet18", "--width-multiplier", "0.125", "--image-size", "8", "--batch-size", "8",
            "--steps", "1", "--repeats", "1", "--device", "cpu", "--compare-loops", "on", "--loop-images", "32"]
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "bench_engine.py"), *args],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MaskableReLU frozen" in result.stdout
    assert "speed-up" in result.stdout
