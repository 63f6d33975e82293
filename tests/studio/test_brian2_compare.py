"""Brian2 scripts imported and run here give Brian2's own traces (Brian2 runs in the peers environment)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine.analysis.traces import trace
from studio.interop.brian2_import import import_brian2

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "studio" / "data" / "brian2"
DT = 1e-4
# The library models' tolerance against their references (tests/engine/test_models_classic.py), in mV.
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def peers_python() -> Path:
    """The peers environment's Python where it imports Brian2 (asked when the test runs, not at collection)."""
    for c in (os.environ.get("NCS_PEERS_PYTHON"), ROOT / ".venv-peers" / "bin" / "python"):
        if c and Path(c).exists():
            if subprocess.run([str(c), "-c", "import brian2"], capture_output=True, timeout=120).returncode == 0:
                return Path(c)
    pytest.skip("Brian2 is not installed (run `make peers`)")


@pytest.mark.slow
@pytest.mark.parametrize("script, duration", [("lif_namespace.py", 0.2), ("cobahh.py", 0.1), ("functions.py", 0.2)])
def test_an_imported_script_traces_what_brian2_computes(tmp_path, peers_python, script, duration):
    out = tmp_path / "brian2.npz"
    run = subprocess.run([str(peers_python), str(SCRIPTS / "run_in_brian2.py"), str(SCRIPTS / script), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    ref = np.load(out)
    result = trace(import_brian2((SCRIPTS / script).read_text()).spec, duration=duration, dt=DT)
    # Brian2 records v at the start of each step, this engine after it: sample k here is Brian2's k + 1.
    np.testing.assert_allclose(result.t[:-1] * 1e-3, ref["t"][1:], atol=1e-12)
    assert np.max(np.abs(result.values["v"][:-1] - ref["v"][1:] * 1e3)) < TOLERANCE
    # Brian2 stamps a spike at the start of its step, this engine at the end.
    assert len(result.spike_times) == len(ref["spike_times"]) >= 5
    np.testing.assert_allclose(result.spike_times * 1e-3, ref["spike_times"] + DT, rtol=0, atol=1e-9)
