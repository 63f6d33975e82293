"""The tiered path: VM programs compiled to native code in the background give the VM's bits.

Every run here is done twice, in the VM alone (no compiler: ``NCS_CC`` empty)
and with native code, and every spike and every recorded value must agree
exactly; a switch in the middle of a run must not show either.
"""

from pathlib import Path

import numpy as np
import pytest

from engine.equations.model import ModelSpec
from engine.models import LIBRARY
from engine.network.build import build_network
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef
from engine.program_c import render_c
from engine.run.native_tier import compiler
from engine.run.simulation import Simulation
from studio.project.project_file import load_network

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"

needs_compiler = pytest.mark.skipif(compiler() is None, reason="no C compiler found")

NONLINEAR = ("iaf_cond_exp", "iaf_cond_alpha", "aeif_cond_alpha", "aeif_cond_exp", "izhikevich", "hh_psc_alpha",
             "mat2_psc_exp", "glif_cond")

# Every instruction the float VM knows, in one model: functions, clip, rand, randn, t, pow, select.
EVERY_OP = ModelSpec(
    equations=("dv/dt = (-v + clip(I_stim*100*Mohm, -5*mV, 30*mV) + 2*mV*tanh(u/mV) + mV*sign(u)"
               " + 0.5*mV*rand() + 0.5*mV*randn() + 0.01*mV*floor(v/mV) + mV*sin(t/ms) + 0.1*mV*cos(v/mV)"
               " + 0.01*mV*(abs(v)/mV)**1.5 + 0.01*mV*sqrt(abs(u)/mV) + 0.01*mV*int(u/mV)"
               " + 0.01*mV*ceil(v/mV) + 0.01*mV*log(1 + abs(v)/mV) + 0.01*mV*tan(0.1*u/mV)"
               " + mV*exprel(v/(10*mV)))/(10*ms) : volt (unless refractory)\n"
               "du/dt = (exp(-abs(v)/(10*mV))*mV - u)/(20*ms) : volt\n"
               "I_stim : amp"),
    threshold="v > 15*mV", reset="v = 0*mV\nu = u + 1*mV", refractory="2 ms", current_input="I_stim",
    method="euler",
)


def _network(models, n=20, ms_interval="0.1 ms"):
    pops, devices = [], []
    for k, (name, model) in enumerate(models.items()):
        pops.append(PopulationDef(name, model, n))
        devices += [DeviceDef(f"dc_{name}", "dc_generator", name, {"amplitude": f"{300 + 50 * k} pA"}),
                    DeviceDef(f"sr_{name}", "spike_recorder", name)]
    return NetworkDef(tuple(pops), devices=tuple(devices), seed=3)


def _with_meters(net, built):
    meters = tuple(DeviceDef(f"mm_{p.name}", "multimeter", p.name,
                             {"record_from": list(built.populations[p.name].ir.state_names), "interval": "0.1 ms"})
                   for p in net.populations)
    return NetworkDef(net.populations, net.projections, net.devices + meters, dt=net.dt, seed=net.seed)


def _coba():
    return load_network(EXAMPLES / "coba.ncsproj")[1]


def _run(make_network, ms, monkeypatch, native, switch_after_ms=0.0):
    """Recordings of ``ms`` milliseconds; with ``native``, native code from ``switch_after_ms`` on."""
    if not native:
        monkeypatch.setenv("NCS_CC", "")
    sim = Simulation(make_network())
    sim.run(switch_after_ms * 1e-3)
    if native:
        sim.native.wait()
    sim.run((ms - switch_after_ms) * 1e-3)
    runs_native = {name: sim.network.kernel.runs_native(p.index) for name, p in sim.network.populations.items()}
    monkeypatch.delenv("NCS_CC", raising=False)
    recorders = [name for name in sim.network.devices if not name.startswith("dc_")]
    return {name: sim.recorder(name) for name in recorders}, runs_native, sim


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for device in a:
        for key in a[device]:
            np.testing.assert_array_equal(a[device][key], b[device][key], err_msg=f"{device}.{key}")


@pytest.mark.slow
@needs_compiler
def test_every_library_model_and_every_instruction_native_is_bit_identical(monkeypatch):
    net = _network({**{name: LIBRARY[name] for name in NONLINEAR}, "every_op": EVERY_OP})
    net = _with_meters(net, build_network(net))
    vm, on_vm, _ = _run(lambda: build_network(net), 30.0, monkeypatch, native=False)
    nat, on_native, sim = _run(lambda: build_network(net), 30.0, monkeypatch, native=True)
    assert not any(on_vm.values())
    vm_run = {name for name, p in sim.network.populations.items() if p.state.kernel is None}
    assert {"every_op", "hh_psc_alpha", "izhikevich"} <= vm_run
    # rkf45's integration loop stays in the VM (NEST's GSL models), without counting as a failure.
    adaptive = {name for name, p in sim.network.populations.items() if p.ir.adaptive is not None}
    assert adaptive == {"aeif_cond_alpha", "aeif_cond_exp", "hh_psc_alpha", "iaf_cond_exp", "iaf_cond_alpha",
                        "glif_cond"}
    assert {name for name, on in on_native.items() if on} == vm_run - adaptive
    assert sim.native.failures == []
    assert sum(r["times"].size for name, r in nat.items() if name.startswith("sr_")) > 0
    _assert_same(vm, nat)


@needs_compiler
def test_a_run_switches_to_native_code_between_chunks_without_a_changed_bit(monkeypatch):
    vm, _, _ = _run(_coba, 40.0, monkeypatch, native=False)
    nat, on_native, _ = _run(_coba, 40.0, monkeypatch, native=True, switch_after_ms=20.0)
    assert all(on_native.values())
    _assert_same(vm, nat)


@needs_compiler
def test_a_changed_parameter_keeps_native_code_and_a_changed_model_falls_back_to_the_vm(monkeypatch):
    _, _, sim = _run(_coba, 1.0, monkeypatch, native=True)
    kernel, index = sim.network.kernel, sim.network.populations["E"].index
    sim.set_parameter("E", "Vt", "-51 mV")
    assert kernel.runs_native(index)
    sim.set_parameter("E", "taue", "6 ms")
    sim.run(1e-3)
    sim.native.wait()
    assert kernel.runs_native(index)


def test_without_a_compiler_the_vm_runs_everything(monkeypatch):
    monkeypatch.setenv("NCS_CC", "")
    sim = Simulation(_coba())
    summary = sim.run(0.02)
    assert compiler() is None
    assert not any(sim.network.kernel.runs_native(p.index) for p in sim.network.populations.values())
    assert summary.spikes["E"] + summary.spikes["I"] > 0


def test_a_failing_compiler_leaves_the_population_in_the_vm_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("NCS_CC", "false")
    monkeypatch.setenv("NCS_NATIVE_CACHE", str(tmp_path))
    sim = Simulation(_coba())
    sim.run(0.002)
    sim.native.wait()
    sim.run(0.002)
    assert not any(sim.network.kernel.runs_native(p.index) for p in sim.network.populations.values())
    assert sim.native.failures
    assert all(f.startswith("population `") and "the C compiler `false` failed" in f for f in sim.native.failures)


def test_the_c_rendering_reads_constants_once_and_slots_per_neuron():
    net = _coba()
    source = render_c(net.populations["E"].state.program)
    assert "ncs_population_step" in source
    assert "const double k0 = K[0];" in source
    assert "ncs_expm1_primary(R[" in source and "ncs_exprel(R[" in source
