"""The layers of the blueprint hold (only views imports Qt; studio -> hdl -> engine -> ext), and
pyflakes-level checks (unused imports and variables, undefined names) pass."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_unused_names_or_undefined_names():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--select", "F", "--output-format", "concise",
                             "engine", "ext", "hdl", "studio", "views", "benchmarks", "tests"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
