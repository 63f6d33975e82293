"""Method rkf45: NEST's adaptive Runge-Kutta-Fehlberg 4(5) in the float VM (docs/integration.md)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.equations.ir import ADAPTIVE_STEP, build_ir
from engine.equations.model import ModelSpec, check_model
from engine.errors import ModelError, SimulationError
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.network.build import build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.population_vm import PopulationVM
from engine.program import compile_program
from engine.reference import ReferencePopulation
from engine.run.neuron import simulate_neuron
from engine.run.simulation import Simulation
from tests.engine.network.test_threads import _everything

DT = 0.1  # ms


def test_exponential_decay_is_integrated_to_the_tolerance():
    spec = ModelSpec(equations="dv/dt = -v/(10*ms) : 1", method="rkf45", initial={"v": 1.0})
    trace = simulate_neuron(spec, duration=0.1)
    t = np.arange(1, 1001) * DT
    np.testing.assert_allclose(trace.values["v"], np.exp(-t / 10.0), rtol=0, atol=1e-7)


def test_an_oscillator_keeps_its_phase_over_many_periods():
    spec = ModelSpec(equations="dx/dt = y/ms : 1\ndy/dt = -x/ms : 1", method="rkf45", initial={"x": 1.0})
    trace = simulate_neuron(spec, duration=0.1)  # 100 ms: 16 periods
    t = np.arange(1, 1001) * DT
    np.testing.assert_allclose(trace.values["x"], np.cos(t), rtol=0, atol=1e-5)
    np.testing.assert_allclose(trace.values["y"], -np.sin(t), rtol=0, atol=1e-5)


def test_the_step_size_grows_where_the_solution_is_smooth():
    spec = ModelSpec(equations="dv/dt = -v/(10*ms) : 1", method="rkf45", initial={"v": 1.0})
    ir = build_ir(check_model(spec), 1e-4)
    pop = PopulationVM(ir, 1)
    assert pop.get(ADAPTIVE_STEP)[0] == pytest.approx(0.01)  # NEST's first step: min(0.01 ms, dt)
    pop.run(10)
    assert pop.get(ADAPTIVE_STEP)[0] > DT


def test_the_threshold_is_tested_after_each_accepted_step_and_the_step_goes_on_from_the_reset():
    # v grows by 1 per ms; the error estimate is 0, so the step grows fivefold from 0.01 ms: the steps
    # end at 0.01, 0.06, 0.1 (cut at the end of the first time step), 0.2, 0.3, ...  v reaches 0.24 at
    # the end of the step ending at 0.3 ms, and the rest of that time step is empty.
    spec = ModelSpec(equations="dv/dt = 1/ms : 1", threshold="v >= 0.24", reset="v = 0", method="rkf45",
                     substep_reset=True)
    trace = simulate_neuron(spec, duration=6e-4)
    np.testing.assert_allclose(trace.spike_times, [0.3, 0.6])
    np.testing.assert_allclose(trace.values["v"], [0.1, 0.2, 0.0, 0.1, 0.2, 0.0], atol=1e-12)


def test_without_substep_reset_the_threshold_is_tested_once_at_the_end_of_the_step():
    # The first time step's own steps end at 0.01, 0.06 and 0.1 ms: v crosses 0.05 at 0.06 ms.
    spec = ModelSpec(equations="dv/dt = 1/ms : 1", threshold="v >= 0.05", reset="v = 0", method="rkf45")
    inside = simulate_neuron(replace(spec, substep_reset=True), duration=1e-4)
    once = simulate_neuron(spec, duration=1e-4)
    np.testing.assert_allclose(inside.spike_times, [0.1])
    np.testing.assert_allclose(once.spike_times, [0.1])
    assert inside.values["v"][0] == pytest.approx(0.04, abs=1e-12)  # reset at 0.06 ms, then 0.04 ms more
    assert once.values["v"][0] == 0.0


def test_a_spike_within_the_step_makes_the_rest_of_it_refractory():
    trace = simulate_neuron(get_model("aeif_cond_exp").with_parameters(t_ref="2 ms"), duration=0.05,
                            overrides={"I_e": "800 pA"})
    first = int(round(trace.spike_times[0] / DT)) - 1
    v = trace.values["V_m"]
    # Reset to V_reset within the spike step and held there for t_ref = 20 more steps.
    np.testing.assert_array_equal(v[first:first + 21], -60.0)
    assert v[first + 21] > -60.0


def test_neurons_integrated_together_get_what_each_gets_alone():
    # 130 neurons (two blocks of the VM) with their own currents take steps of their own sizes.
    model = get_model("aeif_cond_alpha")
    ir = build_ir(check_model(model.spec), 1e-4, per_neuron=frozenset({"I_e"}))
    currents = np.linspace(0.0, 1000.0, 130)
    together = PopulationVM(ir, 130)
    together.set("I_e", currents)
    got = together.run(2000, record=("V_m", "w")).record
    assert len(set(together.get(ADAPTIVE_STEP))) > 1
    for j in (0, 64, 127, 128, 129):
        alone = PopulationVM(ir, 1)
        alone.set("I_e", currents[j])
        np.testing.assert_array_equal(alone.run(2000, record=("V_m", "w")).record[:, :, 0], got[:, :, j])


def test_fixed_point_runs_the_fixed_step_form():
    # rkf45 has no fixed-point meaning: fixed point integrates with rk4 in the model's substeps.
    spec = get_model("aeif_cond_exp").spec
    fmt = QFormat.parse("Q16.16")
    adaptive = build_ir(check_model(spec), 1e-4)
    fixed = build_ir(check_model(replace(spec, method="rk4")), 1e-4)
    assert adaptive.fixed_step.method == "rk4" and adaptive.slot_names[:len(fixed.slots)] == fixed.slot_names
    np.testing.assert_array_equal(compile_program(adaptive, fmt).code, compile_program(fixed, fmt).code)
    trace = simulate_neuron(get_model("aeif_cond_exp"), duration=0.05, overrides={"I_e": "800 pA"}, fixed=fmt)
    exact = simulate_neuron(get_model("aeif_cond_exp"), duration=0.05, overrides={"I_e": "800 pA"})
    assert len(trace.spike_times) == len(exact.spike_times) == 2
    np.testing.assert_allclose(trace.spike_times, exact.spike_times, atol=1.0)  # Q16.16's own error


@pytest.mark.parametrize("equations, message", [
    ("dv/dt = -v/(10*ms) + xi/sqrt(ms) : 1", r"rkf45 integrates deterministic equations"),
    ("dv/dt = (rand() - v)/(10*ms) : 1", r"`rand\(\)` or `randn\(\)` in them needs a fixed-step method"),
    ("v : 1", r"rkf45 integrates differential equations, and the model has none"),
])
def test_rkf45_refuses_random_equations(equations, message):
    with pytest.raises(ModelError, match=message):
        build_ir(check_model(ModelSpec(equations=equations, method="rkf45")), 1e-4)


def test_the_ir_listing_shows_the_adaptive_integration():
    listing = build_ir(check_model(get_model("aeif_cond_exp").spec), 1e-4).dump()
    assert "rkf45 (eps_abs 1e-06, eps_rel 1e-06, a_y 0.0, a_dydt 1.0):" in listing
    assert "dw/dt = " in listing and "after each step, if " in listing


@pytest.mark.parametrize("method, message", [
    ("rkf45(tol=1e-3)", r"method: rkf45 has no option `tol` \(options: control, eps_abs, eps_rel, first_step\)"),
    ("rkf45(control=z)", r"method: rkf45 control is `y` or `yp`, not `z`"),
    ("rkf45(eps_abs=-1)", r"method: rkf45 eps_abs must be a finite number of at least 0, not `-1`"),
    ("rkf45(eps_abs=0, eps_rel=0)", r"method: rkf45 needs eps_abs or eps_rel above 0"),
    ("rkf45(first_step=5 mV)", r"method: rkf45 first_step: .*"),
    ("rkf45(control=y, control=yp)", r"method: rkf45 option `control` is given twice"),
    ("rkf45(eps_abs)", r"method: rkf45 option `eps_abs` is not `name=value`"),
])
def test_bad_rkf45_options_are_named(method, message):
    with pytest.raises(ModelError, match=message):
        check_model(ModelSpec(equations="dv/dt = -v/(10*ms) : 1", method=method))


def test_rkf45_options_set_the_control_and_the_first_step():
    spec = ModelSpec(equations="dv/dt = -v/(10*ms) : 1", initial={"v": 1.0},
                     method="rkf45(control=y, eps_abs=1e-3, eps_rel=0, first_step=dt)")
    ir = build_ir(check_model(spec), 1e-4)
    ode = ir.adaptive
    assert (ode.eps_abs, ode.eps_rel, ode.a_y, ode.a_dydt) == (1e-3, 0.0, 1.0, 0.0)
    assert PopulationVM(ir, 1).get(ADAPTIVE_STEP)[0] == pytest.approx(DT)
    loose = simulate_neuron(spec, duration=0.05).values["v"]
    tight = simulate_neuron(replace(spec, method="rkf45"), duration=0.05).values["v"]
    exact = np.exp(-np.arange(1, 501) * DT / 10.0)
    assert np.max(np.abs(tight - exact)) < np.max(np.abs(loose - exact)) < 1e-3


def test_a_network_of_rkf45_neurons_gives_the_same_bits_on_any_number_of_threads():
    def network():
        aeif, hh = get_model("aeif_cond_alpha"), get_model("hh_psc_alpha")
        return build_network(NetworkDef(
            populations=(PopulationDef("a", aeif, 203), PopulationDef("h", hh, 61)),
            projections=(ProjectionDef("aa", "a", "a", Rule("fixed_indegree", k=10), "2 nS", "1 ms"),
                         ProjectionDef("ah", "a", "h", Rule("fixed_indegree", k=5), "50 pA", "1.5 ms")),
            devices=(DeviceDef("pa", "poisson_generator", "a", {"rate": "8 kHz"}, weight="4 nS", delay="0.1 ms"),
                     DeviceDef("ph", "poisson_generator", "h", {"rate": "4 kHz"}, weight="100 pA",
                               delay="0.1 ms")),
            seed=4))

    runs = []
    for threads in (1, 2):
        sim = Simulation(network(), chunk_steps=137, threads=threads)
        sim.run(0.05)
        runs.append(_everything(sim))
    assert all(runs[0][f"spikes {p}"].size for p in ("a", "h"))
    for key in runs[0]:
        assert runs[1][key].tobytes() == runs[0][key].tobytes(), key


def test_a_network_runs_rkf45_neurons_as_the_single_neuron_runs_do():
    # The network kernel's time step is in seconds, the model's in ms: the integration covers the model's step.
    model = get_model("aeif_cond_exp")
    net = build_network(NetworkDef(populations=(PopulationDef("a", model, 3, parameters={"I_e": "800 pA"}),),
                                   seed=1))
    sim = Simulation(net, chunk_steps=137)
    sim.run(0.05)
    alone = simulate_neuron(model, duration=0.05, overrides={"I_e": "800 pA"})
    times, senders = sim.spikes("a")
    assert len(alone.spike_times) > 1
    np.testing.assert_allclose(times[senders == 2], alone.spike_times, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(net.populations["a"].state.get("V_m"), alone.values["V_m"][-1])


# NEST itself (the peers environment) on the train of issue 14: 28 spikes in 200 ms under I_e = 2000 pA.
_NEST_TRAIN = """
import json, sys
import nest
nest.ResetKernel()
nest.resolution = 0.1
neuron = nest.Create(sys.argv[1], params={"I_e": 2000.0})
meter = nest.Create("multimeter", params={"record_from": ["V_m", "w"], "interval": 0.1})
spikes = nest.Create("spike_recorder")
nest.Connect(meter, neuron)
nest.Connect(neuron, spikes)
nest.Simulate(202.0)
events = meter.events
print(json.dumps({"t": list(events["times"]), "V_m": list(events["V_m"]), "w": list(events["w"]),
                  "spikes": list(spikes.events["times"])}))
"""


def _peers_python() -> str | None:
    python = os.environ.get("NCS_PEERS_PYTHON") or str(Path(__file__).resolve().parents[2] / ".venv-peers/bin/python")
    if Path(python).exists() and subprocess.run([python, "-c", "import nest"], capture_output=True,
                                                timeout=120).returncode == 0:
        return python
    return None


@pytest.mark.parametrize("model", ["aeif_cond_alpha", "aeif_cond_exp"])
def test_a_long_train_matches_nest_run_here(model):
    python = _peers_python()
    if python is None:
        pytest.skip("NEST is not installed (run `make peers`)")
    done = subprocess.run([python, "-c", _NEST_TRAIN, model], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    nest = json.loads(done.stdout.strip().splitlines()[-1])
    t = np.array(nest["t"])
    keep = t <= 200.0 + 1e-9
    nest_spikes = np.array([s for s in nest["spikes"] if s <= 200.0 + 1e-9])
    trace = simulate_neuron(get_model(model), duration=0.2, overrides={"I_e": "2000 pA"})
    np.testing.assert_allclose(trace.t, t[keep], atol=1e-9)
    assert len(nest_spikes) == 28
    np.testing.assert_allclose(trace.spike_times, nest_spikes, rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.values["V_m"], np.array(nest["V_m"])[keep], rtol=0, atol=1e-6)
    np.testing.assert_allclose(trace.values["w"], np.array(nest["w"])[keep], rtol=0, atol=1e-6)


def test_the_reference_follows_fixed_point_and_refuses_rkf45_in_float():
    ir = build_ir(check_model(get_model("aeif_cond_exp").spec), 1e-4)
    fmt = QFormat.parse("Q16.16")
    assert ReferencePopulation(ir, 2, fmt).ir is ir.fixed_step
    with pytest.raises(ModelError, match=r"the reference has no adaptive integrator \(method rkf45\)"):
        ReferencePopulation(ir, 2)


def test_a_blow_up_ends_the_step_instead_of_shrinking_it_forever():
    # v = 1/(1 - t/ms) reaches infinity at 1 ms: the run ends and says where.
    spec = ModelSpec(equations="dv/dt = v**2/ms : 1", method="rkf45", initial={"v": 1.0})
    with pytest.raises(SimulationError, match=r"v became nan at t = 1 ms"):
        simulate_neuron(spec, duration=2e-3)
    pop = PopulationVM(build_ir(check_model(spec), 1e-4), 1)
    v = pop.run(20, record=("v",)).record[:, 0, 0]  # a lone population runs on through it
    np.testing.assert_allclose(v[:8], 1.0 / (1.0 - np.arange(1, 9) * DT), rtol=1e-5)
    assert not np.isfinite(v[-1])


def test_a_stiff_system_is_not_integrated_for_ever():
    # hh driven at -10 nA falls far below its range, where its rates make the equations so stiff that the
    # step would shrink to 1e-7 ms: after its attempts a neuron takes the rest of the step at once.
    ir = build_ir(check_model(get_model("hh_psc_alpha").spec), 1e-4, per_neuron=frozenset({"I_e"}))
    pop = PopulationVM(ir, 2)
    pop.set("I_e", [-10000.0, 0.0])
    v = pop.run(100, record=("V_m",)).record[:, 0]
    assert v[10, 0] < -140.0 and not np.isfinite(v[-1, 0])
    assert np.all(np.abs(v[:, 1] + 65.0) < 1.0)  # the other neuron of the block is not disturbed
