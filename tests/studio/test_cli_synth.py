"""``ncstudio synth``: a real board build from the command line, its report checked against nextpnr's log."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.hdl.test_board_build import log_numbers
from tests.studio.test_cli import COMMAND, assert_one_line_error

REQUIRED = {"board", "device", "luts", "luts_total", "ffs", "brams", "brams_total", "sprams", "dsps", "dsps_total",
            "fmax_mhz", "target_mhz", "timing_met", "cycles_per_step", "realtime_factor", "bitstream",
            "tool_versions", "log"}


def synth(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "synth", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def small_project(folder, drive: dict) -> str:
    """16 iaf_psc_exp neurons with recurrent excitation and one drive."""
    project = folder / "small.ncsproj"
    project.write_text(json.dumps({
        "format_version": 1, "dt": "0.1 ms", "seed": 1,
        "populations": [{"name": "E", "model": "iaf_psc_exp", "size": 16}],
        "projections": [{"name": "EE", "source": "E", "target": "E", "rule": {"name": "fixed_indegree", "k": 4},
                         "weight": "20 pA", "delay": "1 ms"}],
        "devices": [{"name": "drive", "target": "E", **drive}]}))
    return str(project)


POISSON = {"kind": "poisson_generator", "params": {"rate": "9 kHz"}, "weight": "20 pA", "delay": "1 ms"}
DC = {"kind": "dc_generator", "params": {"amplitude": "400 pA"}}


def test_an_unknown_board_is_one_line_naming_the_known_ones(tmp_path):
    result = synth(small_project(tmp_path, POISSON), "--board", "icebraker")
    assert_one_line_error(result, re.escape("unknown board `icebraker` (known: icebreaker, icesugar, ice40-hx8k, "
                                            "ulx3s, orangecrab)") + "$")
    assert result.returncode == 1


@pytest.mark.slow
@pytest.mark.tools("yosys", "nextpnr-ice40", "icepack", "verilator")
def test_synth_for_the_icebreaker_reports_the_tools_numbers(tmp_path):
    build = tmp_path / "build"
    result = synth(small_project(tmp_path, POISSON), "--board", "icebreaker", "--clock", "12MHz", "-o", build,
                   "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert REQUIRED <= set(report)
    table, fmax = log_numbers((build / "top.tim").read_text(), 12.0)
    assert (report["luts"], report["luts_total"]) == table["ICESTORM_LC"]
    assert (report["brams"], report["brams_total"]) == table["ICESTORM_RAM"]
    assert (report["sprams"], report["dsps"], report["dsps_total"]) == (table["ICESTORM_SPRAM"][0],
                                                                        *table["ICESTORM_DSP"])
    assert report["fmax_mhz"] == pytest.approx(fmax, abs=0.01)
    assert report["target_mhz"] == 12.0 and report["timing_met"] and fmax >= 12.0
    assert report["device"] == "iCE40UP5K" and report["bitstream"] == str(build / "top.bin")
    assert (build / "top.bin").stat().st_size > 100_000
    assert report["realtime_factor"] == pytest.approx(12e6 / report["cycles_per_step"] * 1e-4)
    assert report["realtime_factor"] > 1
    assert set(report["tool_versions"]) == {"yosys", "nextpnr-ice40", "icepack"}
    assert report["log"] == str(build / "build.log") and report["uart_baud"] == 3_000_000


@pytest.mark.slow
@pytest.mark.tools("yosys", "nextpnr-ice40", "icepack", "verilator")
def test_failed_timing_is_one_line_with_the_achieved_clock_and_the_worst_path(tmp_path):
    result = synth(small_project(tmp_path, POISSON), "--board", "icebreaker", "--clock", "48MHz",
                   "-o", tmp_path / "build", "--json")
    assert_one_line_error(result, r"timing not met on icebreaker: the design reaches (\d+\.\d+) MHz, the target is "
                                  r"48 MHz; worst path \S+ -> \S+ \(\d+\.\d ns\)$")
    report = json.loads(result.stdout)  # the report of what was built, for a person to read
    assert report["timing_met"] is False and report["target_mhz"] == 48.0
    assert f"the design reaches {report['fmax_mhz']:g} MHz" in result.stderr


@pytest.mark.slow
@pytest.mark.tools("yosys", "nextpnr-ice40", "icepack")
def test_over_capacity_is_one_line_naming_the_resource(tmp_path):
    # The dc drive's datapath needs more multipliers than the UP5K's eight DSP blocks.
    result = synth(small_project(tmp_path, DC), "--board", "icebreaker", "-o", tmp_path / "build")
    assert_one_line_error(result, r"the design does not fit the device: \d+ DSP multipliers \(ICESTORM_DSP\) "
                                  r"needed, 8 available$")
    assert result.returncode == 1 and result.stdout == ""
