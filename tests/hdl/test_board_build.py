"""Board builds (hdl/board_build.py, hdl/board_top.py): the plan without tools, real Yosys + nextpnr +
packer runs whose report is checked against the tools' own log, the over-capacity report, cancel."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from engine.fixedpoint import QFormat
from engine.network.build import build_network
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.connect import Rule
from engine.models import get_model
from hdl.board_build import (
    STAGES,
    BuildCancelled,
    BuildFailed,
    board_plan,
    board_tools,
    build_board,
    build_commands,
    design_hash,
)
from hdl.board_top import HilPort, ecp5_pll, ice40_pll
from hdl.boards import find_board
from hdl.design import plan_network
from studio.hardware.hardware_flow import plan_project

HIL_DEMO = Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj"
ICE40_TOOLS = ("yosys", "nextpnr-ice40", "icepack")
ECP5_TOOLS = ("yosys", "nextpnr-ecp5", "ecppack")


def small_plan(size: int = 16, indegree: int = 4, name: str = "small"):
    """iaf_psc_exp neurons, recurrent excitation and a Poisson drive (Q16.16), as the hardware plans them."""
    model = get_model("iaf_psc_exp")
    definition = NetworkDef(
        populations=(PopulationDef("E", model, size),),
        projections=(ProjectionDef("EE", "E", "E", Rule("fixed_indegree", k=indegree), "20 pA", "1 ms"),),
        devices=(DeviceDef("drive", "poisson_generator", "E", {"rate": "9 kHz"}, weight="20 pA", delay="1 ms"),),
        dt="0.1 ms", seed=1)
    return plan_network(build_network(definition, fmt=QFormat.parse("Q16.16")), name)


def log_numbers(log: str, target_mhz: float) -> tuple[dict[str, tuple[int, int]], float]:
    """The utilisation table and the achieved MHz of the clock constrained to ``target_mhz`` (not the DSPs'
    constant pseudo-clock), from nextpnr's log."""
    table = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)", log)}
    line = r"Max frequency for clock\s+'(?!\$PACKER_)[^']+': ([0-9.]+) MHz \((?:PASS|FAIL) at ([0-9.]+) MHz\)"
    lines = re.findall(line, log)
    return table, [float(f) for f, at in lines if abs(float(at) - target_mhz) < 0.01][-1]


def test_pll_settings_give_the_target_clock():
    assert ice40_pll(12e6, 24e6).params == {"DIVR": 0, "DIVF": 63, "DIVQ": 5, "FILTER_RANGE": 1}
    assert ice40_pll(12e6, 24e6).out_hz == 24e6
    assert ecp5_pll(48e6, 24e6).out_hz == 24e6
    with pytest.raises(ValueError, match=r"^no iCE40 PLL setting makes 0\.001 MHz from 12 MHz$"):
        ice40_pll(12e6, 1e3)


def test_the_build_plan_is_amaranths_with_our_reports_and_a_stable_hash():
    plan = small_plan()
    board = find_board("icebreaker")
    build = board_plan(plan, board)
    assert {"build_top.sh", "top.il", "top.pcf", "top.ys"} <= set(build.files)
    script = build.files["build_top.sh"]
    assert '"$YOSYS" -l top.rpt top.ys' in script
    assert "--report report.json --timing-allow-fail --seed 1" in script and '"$ICEPACK"' in script
    assert "synth_ice40 -device u -dsp" in build.files["top.ys"]
    assert "tee -q -o stat.json stat -json" in build.files["top.ys"]
    assert re.search(r"set_io uart_0__tx__io 9\b", build.files["top.pcf"])  # the iCEBreaker's pin, from amaranth-boards
    tools = board_tools(board)
    assert set(tools) == {"YOSYS", "NEXTPNR_ICE40", "ICEPACK"}
    commands = build_commands(build, tools)
    assert [argv[0] for argv in commands] == [tools[v].argv[0] for v in ("YOSYS", "NEXTPNR_ICE40", "ICEPACK")]
    assert commands[1][-6:] == ["--json", "top.json", "--pcf", "top.pcf", "--asc", "top.asc"]
    key = design_hash(build, board, tools)
    assert key == design_hash(board_plan(plan, board), board, tools)
    assert key != design_hash(board_plan(small_plan(indegree=3), board), board, tools)


def test_the_hil_port_has_what_was_asked_for():
    plan, board = plan_project(HIL_DEMO, QFormat.parse("Q8.8")), find_board("icebreaker")
    default, port = board_plan(plan, board), board_plan(plan, board, hil=HilPort(probes=2, params=True, reset=False))
    cleared = re.compile(r"\\clear\b")  # the units' port that writes their initial state back
    assert cleared.search(default.files["top.il"]) and not cleared.search(port.files["top.il"])
    assert "probe_neuron_1" in port.files["top.il"] and "probe_neuron_0" not in default.files["top.il"]
    assert "param_E_I_stim" in port.files["top.il"] and "param_E_" not in default.files["top.il"]
    tools = board_tools(board)
    assert design_hash(default, board, tools) != design_hash(port, board, tools)


@pytest.mark.slow
@pytest.mark.tools(*ECP5_TOOLS)
def test_orangecrab_build_reports_the_tools_numbers_and_is_reused(tmp_path):
    stages, lines = [], []
    # 60 MHz from the board's 48 MHz: through the ECP5's PLL
    report = build_board(small_plan(), "orangecrab", tmp_path, clock_hz=60e6, on_stage=stages.append,
                         on_log=lines.append)
    assert stages == list(STAGES)
    log = (tmp_path / "top.tim").read_text()
    table, fmax = log_numbers(log, 60.0)
    assert (report.luts, report.luts_total) == table["TRELLIS_COMB"]
    assert (report.brams, report.brams_total) == table["DP16KD"]
    assert (report.dsps, report.dsps_total) == table["MULT18X18D"]
    assert report.ffs_total == table["TRELLIS_FF"][1] == 24288
    assert report.fmax_mhz == pytest.approx(fmax, abs=0.01)
    assert report.timing_met and report.target_mhz == 60.0 and report.device == "LFE5U-25F"
    assert report.uart_baud is None  # the OrangeCrab has no UART pins
    assert (tmp_path / "top.bit").stat().st_size > 100_000 and report.bitstream == str(tmp_path / "top.bit")
    assert report.tool_versions["yosys"].startswith("Yosys 0.")
    assert "\n".join(lines) == (tmp_path / "build.log").read_text().rstrip("\n")
    again = build_board(small_plan(), "orangecrab", tmp_path, clock_hz=60e6, on_stage=stages.append)
    assert again.cached and stages == list(STAGES) and again.luts == report.luts


@pytest.mark.slow
@pytest.mark.tools(*ICE40_TOOLS)
def test_a_network_too_big_for_the_up5k_is_reported_by_resource(tmp_path):
    # its synapses go to SPRAM (loaded from flash); its neurons' state and inputs overflow the block RAM
    with pytest.raises(BuildFailed, match=r"^the design does not fit the device: [\d,]+ 4-kbit block RAMs "
                                          r"\(ICESTORM_RAM\) needed, 30 available$"):
        build_board(small_plan(size=1000, indegree=20, name="big"), "icebreaker", tmp_path)
    assert (tmp_path / "build.log").exists()


@pytest.mark.slow
@pytest.mark.tools(*ICE40_TOOLS)
def test_cancel_stops_the_tools(tmp_path):
    cancel = threading.Event()

    def stage(name):
        if name == "synthesis":
            cancel.set()

    with pytest.raises(BuildCancelled, match=r"^the build was cancelled during synthesis$"):
        build_board(small_plan(), "icebreaker", tmp_path, on_stage=stage, cancel=cancel)
    assert not (tmp_path / "top.json").exists()  # Yosys was stopped before it wrote the netlist
    assert not (tmp_path / "board_report.json").exists()


@pytest.mark.tools(*ICE40_TOOLS)
def test_a_build_beyond_its_memory_bound_says_so(tmp_path):
    with pytest.raises(BuildFailed, match=r"^synthesis ran out of memory \(a build may use 0\.195 GiB\); its log is "):
        build_board(small_plan(), "icebreaker", tmp_path, memory_bytes=200 << 20)
