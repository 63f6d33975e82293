"""glif_cond (GLIF1-5) against NEST 3.10, and the run_regularly statements it relies on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.equations.model import ModelSpec
from engine.errors import ModelError
from engine.models import get_model
from engine.models.glif import glif_cond
from engine.run.neuron import SpikeInput, simulate_neuron

NEST = Path(__file__).resolve().parents[1] / "data" / "nest"
DT = 0.1  # ms
VARIANTS = {1: (False, False, False), 2: (True, False, False), 3: (False, True, False),
            4: (True, True, False), 5: (True, True, True)}
EXC = (10, 12, 50, 50.5, 51, 120, 121, 122, 123, 124, 200)
INH = (60, 61, 150)
# NEST integrates V_m and the conductances with adaptive RKF45 and so does the library (method rkf45 with
# NEST's control, docs/integration.md): every recordable within 1e-6 over the whole trace.
TOLERANCE = {"V_m": 1e-6, "g_1": 1e-6, "g_2": 1e-6, "threshold": 1e-6, "threshold_spike": 1e-9,
             "threshold_voltage": 1e-6, "ASCurrents_sum": 1e-9}


def run_glif(variant: int, case: str):
    flags = dict(zip(("spike_dependent_threshold", "after_spike_currents", "adapting_threshold"),
                     (str(f).lower() for f in VARIANTS[variant])))
    if case == "dcgen":
        return simulate_neuron(get_model("glif_cond"), duration=0.3, dt=DT * 1e-3, overrides=flags, dc="300 pA")
    inputs = (SpikeInput(tuple(t * 1e-3 for t in EXC), "15 nS", port=1),
              SpikeInput(tuple(t * 1e-3 for t in INH), "7.5 nS", port=2))
    return simulate_neuron(get_model("glif_cond"), duration=0.3, dt=DT * 1e-3, overrides=flags,
                           spike_inputs=inputs)


@pytest.mark.parametrize("case", ["dcgen", "spikes"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_glif_cond_matches_nest(variant, case):
    ref = np.load(NEST / f"glif_cond_{variant}__{case}.npz")
    trace = run_glif(variant, case)
    np.testing.assert_allclose(trace.t, ref["t"], atol=1e-9)
    assert len(trace.spike_times) == len(ref["spike_times"])
    np.testing.assert_allclose(trace.spike_times, ref["spike_times"], rtol=0, atol=1e-9)
    for name, tol in TOLERANCE.items():
        assert np.max(np.abs(trace.values[name] - ref[name])) < tol, name


def test_glif_cond_variants_differ_where_nest_says():
    glif1, glif2, glif3 = (run_glif(k, "dcgen") for k in (1, 2, 3))
    first = int(round(glif1.spike_times[0] / DT)) - 1
    # GLIF1 resets to V_reset; GLIF2 to E_L + 0.2 (V_before - E_L) + 18.51 mV.
    assert glif1.values["V_m"][first] == pytest.approx(-78.85)
    v_before = glif2.values["V_m"][first - 1]
    assert glif2.values["V_m"][first] == pytest.approx(-78.85 + 0.2 * (v_before + 78.85) + 18.51)
    assert glif2.values["threshold_spike"][first] == pytest.approx(0.37)
    # t_ref = 3.75 ms holds V_m for 38 steps after the spike step; the after-spike currents start then.
    held = glif3.values["V_m"][first:first + 39]
    assert np.all(held == held[0]) and glif3.values["V_m"][first + 39] != held[0]
    assert glif3.values["ASCurrents_sum"][first + 38] == 0.0
    assert glif3.values["ASCurrents_sum"][first + 39] < -200.0


def test_glif_cond_documents_every_parameter():
    model = get_model("glif_cond")
    assert [p.name for p in model.params] == list(model.spec.parameters)
    assert model.nest_name == "glif_cond" and model.receptors == ("port_1", "port_2")


def test_run_regularly_runs_before_integration_and_records_its_variables():
    spec = ModelSpec(equations="dv/dt = k/ms : 1\nk : 1", run_regularly="k = k + 1", method="euler")
    trace = simulate_neuron(spec, duration=5e-4, dt=1e-4)
    np.testing.assert_allclose(trace.values["k"], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(trace.values["v"], np.cumsum([1, 2, 3, 4, 5]) * 0.1)


def test_run_regularly_cannot_assign_a_constant():
    spec = ModelSpec(equations="dv/dt = -v/tau : 1\ntau : second (constant)", run_regularly="tau = 2*ms",
                     parameters={"tau": "10 ms"})
    with pytest.raises(ModelError, match=r"cannot assign to `tau`") as info:
        simulate_neuron(spec, duration=1e-3)
    assert info.value.problems[0].field == "run_regularly"


GLIF5 = {"spike_dependent_threshold": "true", "after_spike_currents": "true", "adapting_threshold": "true"}


def test_glif_cond_takes_any_number_of_ports_and_after_spike_currents():
    wide = glif_cond(tau_syn=("0.2 ms", "2.0 ms", "5 ms"), E_rev=("0 mV", "-85 mV", "-20 mV"),
                     asc_init=("0 pA", "0 pA", "0 pA"), asc_decay=("0.003 1/ms", "0.1 1/ms", "0.05 1/ms"),
                     asc_amps=("-9.18 pA", "-198.94 pA", "0 pA"), asc_r=("1.0", "1.0", "1.0"))
    assert wide.receptors == ("port_1", "port_2", "port_3")
    assert {"tau_syn_3", "E_rev_3", "asc_amps_3", "asc_r_3"} <= set(wide.spec.parameters)
    assert [p.name for p in wide.params] == list(wide.spec.parameters)
    # A silent third port and a third after-spike current of amplitude 0 leave GLIF5 as NEST computes it.
    ref = np.load(NEST / "glif_cond_5__dcgen.npz")
    trace = simulate_neuron(wide, duration=0.3, dt=DT * 1e-3, overrides=GLIF5, dc="300 pA")
    np.testing.assert_allclose(trace.spike_times, ref["spike_times"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.values["V_m"], ref["V_m"], rtol=0, atol=1e-6)
    # Input on port 3 opens g_3, which pulls V_m towards E_rev_3.
    kicked = simulate_neuron(wide, duration=0.02, overrides=GLIF5, spike_inputs=(SpikeInput((5e-3,), "5 nS", 3),))
    assert kicked.values["g_3"].max() == pytest.approx(5.0, rel=1e-3)
    assert kicked.values["V_m"].max() > -78.85 + 1.0


def test_glif_cond_with_one_port_and_no_after_spike_currents():
    lif = glif_cond(tau_syn=("1 ms",), E_rev=("0 mV",), asc_init=(), asc_decay=(), asc_amps=(), asc_r=())
    assert lif.receptors == ("port_1",)
    trace = simulate_neuron(lif, duration=0.1, overrides={"I_e": "300 pA"})
    assert len(trace.spike_times) > 3 and not np.any(trace.values["ASCurrents_sum"])


def test_glif_cond_i_e_acts_from_the_first_step_as_a_constant_current():
    with_i_e = simulate_neuron(get_model("glif_cond"), duration=0.1, overrides={"I_e": "300 pA", **GLIF5})
    injected = simulate_neuron(get_model("glif_cond"), duration=0.1, overrides=GLIF5, current=np.full(1000, 300.0))
    assert len(with_i_e.spike_times) == 3
    np.testing.assert_array_equal(with_i_e.values["V_m"], injected.values["V_m"])


@pytest.mark.parametrize("lists, message", [
    ({"tau_syn": ("1 ms",)}, r"one E_rev per tau_syn"),
    ({"asc_r": ("1.0",)}, r"as many asc_init, asc_decay, asc_amps and asc_r values"),
])
def test_glif_cond_refuses_lists_of_different_lengths(lists, message):
    with pytest.raises(ModelError, match=message):
        glif_cond(**lists)
