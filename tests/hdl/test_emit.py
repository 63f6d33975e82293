"""Verilog emission without running a simulator: exact constant division, determinism, the build plan."""

from __future__ import annotations

import random
import re

import pytest

from engine.equations.model import ModelSpec
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.run.neuron import prepare
from hdl.cosim import plan_cosim
from hdl.emit import ConstantDivider, emit_neuron


def _trunc_div(n: int, d: int) -> int:
    q = abs(n) // abs(d)
    return -q if (n < 0) != (d < 0) else q


@pytest.mark.parametrize("width", [12, 24, 44, 63])
def test_constant_divider_equals_truncating_division(width):
    rng = random.Random(width)
    top = (1 << width) - 1
    divisors = [1, -1, 2, -2, 3, 7, -10, 250 << 12, (1 << (width // 2)) + 1, top, -top]
    divisors += [rng.randint(1, top) * rng.choice((1, -1)) for _ in range(40)]
    for d in divisors:
        div = ConstantDivider.for_divisor(d, width)
        near = [m * abs(d) + e for m in (1, 2, top // abs(d)) for e in (-1, 0, 1)]
        numerators = [0, 1, -1, top, -top, *near, *(-n for n in near)]
        numerators += [rng.randint(-top, top) for _ in range(200)]
        for n in numerators:
            if abs(n) <= top:
                assert div(n) == _trunc_div(n, d), (n, d)


def test_emission_is_deterministic_and_declares_its_ports():
    ir = prepare(get_model("iaf_psc_exp"), 1e-4)[2]
    fmt = QFormat.parse("Q16.16")
    first, second = emit_neuron(ir, fmt), emit_neuron(ir, fmt)
    assert first.text == second.text
    assert first.inputs == ("I_stim", "w_ex", "w_in")
    assert first.registers == ("V_m", "I_syn_ex", "I_syn_in", "t_ref")
    assert first.refractory_steps == 20
    assert re.search(r"^module nc_iaf_psc_exp \($", first.text, re.M)
    assert re.search(r"^\s+input  wire signed \[31:0\] I_stim,$", first.text, re.M)
    assert re.search(r"^\s+output reg  spike,$", first.text, re.M)


def test_division_by_a_variable_is_emitted_as_a_divider():
    spec = ModelSpec(equations="dv/dt = -v/(tau + abs(v)*ms/mV) : volt\ntau : second",
                     parameters={"tau": "10 ms"}, initial={"v": "1 mV"}, method="euler")
    neuron = emit_neuron(prepare(spec, 1e-4)[2], QFormat.parse("Q8.8"))
    assert neuron.divides
    assert re.search(r"<<< FRAC\) / nc_sx\(", neuron.text)


def test_slot_names_that_are_keywords_get_port_names():
    spec = ModelSpec(equations="dreg/dt = -reg/(10*ms) : volt\ndv/dt = -v/(10*ms) : volt",
                     initial={"reg": "1 mV", "v": "0 mV"}, method="euler")
    neuron = emit_neuron(prepare(spec, 1e-4)[2], QFormat.parse("Q8.8"))
    assert neuron.ports["reg"] == "slot_reg"
    assert neuron.ports["v"] == "v"
    assert re.search(r"output reg  signed \[15:0\] slot_reg,", neuron.text)


def test_cosim_plan_is_files_and_arguments():
    ir = prepare(get_model("izhikevich"), 1e-4)[2]
    neuron = emit_neuron(ir, QFormat.parse("Q8.8"))
    plan = plan_cosim(neuron)
    assert set(plan.files) == {"neuron.v", "testbench.cpp"}
    assert plan.files["neuron.v"] == neuron.text
    assert f'#include "V{neuron.module}.h"' in plan.files["testbench.cpp"]
    assert plan.args[:3] == ("--cc", "--exe", "--build")
    assert plan.args[-2:] == ("neuron.v", "testbench.cpp")
    assert plan == plan_cosim(neuron)
