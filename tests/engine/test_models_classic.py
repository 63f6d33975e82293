"""The classic library models against independent solve_ivp references (tests/data/models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.equations.units import UNIT_SYSTEMS, quantity_in
from engine.models import classic, get_model
from engine.run.neuron import simulate_neuron

REFS = Path(__file__).resolve().parents[1] / "data" / "models"
NAMES = [m.name for m in classic.MODELS]
# Every variable (mV or dimensionless) within this of the rtol-1e-10 reference at every sample;
# measured worst case 5e-6 (hindmarsh_rose y, RK4 at 0.01 ms).
TOLERANCE = 1e-4


@pytest.mark.parametrize("name", NAMES)
def test_matches_solve_ivp_reference(name):
    ref = np.load(REFS / f"{name}.npz")
    meta = json.loads(str(ref["meta"]))
    dt = meta["dt_ms"]
    trace = simulate_neuron(get_model(name), duration=meta["duration_ms"] * 1e-3, dt=dt * 1e-3,
                            overrides=meta["overrides"])
    # The engine stamps a spike at the end of the step in which the cut-off was crossed.
    assert len(trace.spike_times) == len(ref["spike_times"]) >= 4
    lag = trace.spike_times - ref["spike_times"]
    assert np.all(lag > -1e-9) and np.all(lag <= dt + 1e-9)
    rows = np.rint(ref["t"] / dt).astype(int) - 1
    np.testing.assert_allclose(trace.t[rows], ref["t"], atol=1e-9)
    for var in trace.values:
        assert np.max(np.abs(trace.values[var][rows] - ref[var])) < TOLERANCE, var


@pytest.mark.parametrize("model", classic.MODELS, ids=NAMES)
def test_metadata_documents_every_parameter_within_its_range(model):
    system = UNIT_SYSTEMS[model.spec.unit_system]
    documented = {p.name for p in model.params}
    assert documented == set(model.spec.parameters)
    assert model.spec.current_input not in documented
    assert model.citation and model.description
    for p in model.params:
        value, dim = quantity_in(p.default, system)
        low, low_dim = quantity_in(p.low, system)
        high, high_dim = quantity_in(p.high, system)
        assert dim is low_dim is high_dim, p.name
        assert low <= value <= high, p.name
