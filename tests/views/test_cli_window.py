"""``ncstudio [FILE] [--run T --screenshot PNG --quit]``: the window from the command line, without a display."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from PySide6.QtGui import QImage

from tests.views.helpers import CUBA, ROOT

LIF = ROOT / "resources" / "examples" / "lif.ncsmodel"


def ncstudio(*args, tmp_path) -> subprocess.CompletedProcess:
    """Run the CLI as on a machine without a display (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "config"),
               NCSTUDIO_RECOVERY_DIR=str(tmp_path / "recovery"))
    return subprocess.run([sys.executable, "-m", "views.launch", *map(str, args)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)


def test_a_screenshot_of_a_running_project_is_drawn_offscreen(tmp_path):
    shot = tmp_path / "cuba.png"
    result = ncstudio(CUBA, "--run", "0.3s", "--screenshot", shot, "--quit", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)


def test_a_model_opens_as_a_one_population_project(tmp_path):
    shot = tmp_path / "lif.png"
    result = ncstudio(LIF, "--screenshot", shot, "--quit", "--workspace", "network", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert shot.is_file()


def test_without_a_display_the_window_names_the_headless_equivalent(tmp_path):
    result = ncstudio(CUBA, "--run", "2s", tmp_path=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert re.match(r"^ncstudio: error: no display to open the window on \(DISPLAY and WAYLAND_DISPLAY are unset\); "
                    rf"the same run headless is `ncstudio run {re.escape(str(CUBA))} --duration 2s --out run.npz`, "
                    r"or add `--screenshot FILE.png --quit` to draw the window offscreen$", line)


def test_failures_are_one_line(tmp_path):
    result = ncstudio(CUBA, "--workspace", "scope", "--screenshot", tmp_path / "x.png", "--quit", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "ncstudio: error: no workspace `scope`; have: network, playground, hardware, hil\n"
    result = ncstudio(CUBA, "--screenshot", tmp_path / "missing" / "x.png", "--quit", tmp_path=tmp_path)
    assert result.returncode == 1
    assert re.match(r"^ncstudio: error: cannot write .*x.png: the directory .*missing does not exist\n$", result.stderr)
    result = ncstudio("nosuch.ncsproj", "--screenshot", "x.png", "--quit", tmp_path=tmp_path)
    assert (result.returncode, result.stderr) == (1, "ncstudio: error: nosuch.ncsproj: no such file\n")
