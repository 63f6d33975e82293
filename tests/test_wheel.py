"""`pip install .` (a wheel, not an editable install) runs the examples: resources/ ships as package data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "engine", "ext", "hdl", "studio", "views", "resources")
WHERE = """
import json, studio, engine, ext.network
from studio.project.project_file import EXAMPLES
print(json.dumps({"studio": studio.__file__, "engine": engine.__file__, "ext": ext.network.__file__,
                  "examples": str(EXAMPLES)}))
"""


def _python(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
def test_an_installed_wheel_finds_and_runs_the_examples(tmp_path):
    # Built from a copy, so the build leaves nothing (build/, *.egg-info, *.so) in the source tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    built = _python(["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
                     str(source)], tmp_path, env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("neurocore_studio-*.whl")
    site = tmp_path / "site"
    installed = _python(["-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)], tmp_path, env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    shutil.rmtree(source)  # nothing can come from the copy either
    env["PYTHONPATH"] = str(site)
    where = _python(["-c", WHERE], tmp_path, env)
    assert where.returncode == 0, where.stderr
    for name, path in json.loads(where.stdout).items():
        assert Path(path).is_relative_to(site), f"{name} came from {path}, not the installed wheel"
    assert (site / "resources" / "examples" / "cuba.ncsproj").is_file()
    assert (site / "resources" / "icon.svg").is_file()  # the window icon
    bench = _python(["-m", "studio.cli.main", "bench", "cuba", "--duration", "20ms", "--json"], tmp_path, env)
    assert bench.returncode == 0, bench.stderr
    assert sum(json.loads(bench.stdout)["spikes"].values()) > 0
