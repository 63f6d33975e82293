"""Collecting the tests runs nothing: checks for tools and peers wait until a test that needs them runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# CPython's platform module runs `uname -p` the first time anything asks for the processor (h5py's import
# does, under nir and nixio); it is asked before listening, so what is heard is ours.
AUDIT = """
import platform
import sys
import pytest
platform.processor()
spawned = []
sys.addaudithook(lambda event, args: event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.system")
                 and spawned.append(f"{event}: {args!r:.200}"))
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"])
print("SPAWNED", spawned)
sys.exit(code)
"""


@pytest.mark.slow
def test_collecting_the_suite_spawns_no_process():
    # Point the peers and every tool override at a real executable, so a check made at collection would run it.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "NCS_PEERS_PYTHON": sys.executable,
           "NCSTUDIO_VERILATOR": sys.executable, "NCSTUDIO_YOSYS": sys.executable,
           "NCSTUDIO_NEXTPNR_ICE40": sys.executable}
    result = subprocess.run([sys.executable, "-c", AUDIT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.splitlines()[-1] == "SPAWNED []"
