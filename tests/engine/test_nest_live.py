"""Where NEST is installed (the peers environment, `make peers`), regenerate the
reference traces with NEST itself and check they equal the stored ones, so the
stored files the model tests use are what NEST computes today."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "nest"


@pytest.fixture(scope="module")
def peers_python() -> Path:
    """The peers environment's Python where it imports NEST (asked when the test runs, not at collection)."""
    candidates = [os.environ.get("NCS_PEERS_PYTHON"), ROOT / ".venv-peers" / "bin" / "python"]
    for c in candidates:
        if c and Path(c).exists():
            probe = subprocess.run([str(c), "-c", "import nest"], capture_output=True, timeout=120)
            if probe.returncode == 0:
                return Path(c)
    pytest.skip("NEST is not installed (run `make peers`)")


def test_stored_references_are_what_nest_computes(tmp_path, peers_python):
    result = subprocess.run([str(peers_python), str(DATA / "make_nest_refs.py"), str(tmp_path)], capture_output=True,
                            text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert fresh == sorted(p.name for p in DATA.glob("*.npz"))
    for name in fresh:
        new, old = np.load(tmp_path / name), np.load(DATA / name)
        np.testing.assert_allclose(new["V_m"], old["V_m"], rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(new["spike_times"], old["spike_times"], rtol=0, atol=1e-9, err_msg=name)
