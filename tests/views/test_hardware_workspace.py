"""The hardware workspace: the generated core's modules and manifest, co-simulation (and its cancel), refusals."""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtGui import QImage
from PySide6.QtCore import Qt

from studio.document.document import Document
from tests.views.helpers import CUBA, ROOT, make_window
from tests.views.test_cli_window import ncstudio

HIL = ROOT / "resources" / "examples" / "hil_demo.ncsproj"
GENERATE_MS = 120_000  # a bound for a loaded machine, not a speed check
COSIM_MS = 120_000  # the first Verilator build of a design takes a while; then it is cached

needs_verilator = pytest.mark.tools("verilator")


def open_hardware(qtbot, document: Document):
    window = make_window(qtbot, document)
    window.set_workspace("hardware")
    hardware = window.workspace("hardware").panel
    assert hardware is not None and window.tabs.currentWidget() is hardware
    qtbot.waitUntil(lambda: not hardware.busy, timeout=GENERATE_MS)
    return window, hardware


def modules(hardware) -> list[str]:
    names = hardware.modules.list
    return [names.item(k).text() for k in range(names.count())]


def test_the_core_is_generated_when_the_workspace_is_first_shown(qtbot):
    window = make_window(qtbot, Document.open(HIL))
    assert window.workspace("hardware").panel is None
    window.set_workspace("hardware")
    hardware = window.workspace("hardware").panel
    assert not window.scopes_dock.isVisible() and not window.palette_dock.isVisible()
    qtbot.waitUntil(lambda: hardware.modules.list.count() > 0, timeout=GENERATE_MS)
    names = modules(hardware)
    assert names[0] == "hil_demo" and "hil_demo.delivery" in names
    population_e = next(name for name in names if re.match(r"^hil_demo\.pop_E(_|$)", name))  # alone or sharing
    hardware.modules.select(population_e)
    text = hardware.modules.text.toPlainText()
    assert re.match(rf"^module \\{re.escape(population_e)} ", text) and text.rstrip().endswith("endmodule")
    assert hardware.modules.highlighter.document() is hardware.modules.text.document()
    manifest = hardware.manifest.toPlainText()
    for part in ("Q16.16", "200 neurons", "4,000 synapses", "Resource estimate", "4 kbit block RAMs", "Memories",
                 "EE"):
        assert part in manifest
    assert re.search(r"^pop_E\S*\.state$", manifest, re.M)
    assert re.match(r"^\d+ modules, [\d,]+ lines of Verilog, generated in [\d.]+ s$", hardware.message.text())
    assert hardware.cosim.run_button.isEnabled() and not hardware.cosim.cancel_button.isEnabled()
    window.set_workspace("network")
    assert window.scopes_dock.isVisible() and window.palette_dock.isVisible()
    window.set_workspace("playground")
    assert not window.scopes_dock.isVisible()
    window.set_workspace("hardware")
    assert not window.scopes_dock.isVisible() and window.workspace("hardware").panel is hardware


@needs_verilator
def test_a_cosimulation_is_bit_exact_and_overlays_the_core_on_the_engine(qtbot):
    window, hardware = open_hardware(qtbot, Document.open(HIL))
    cosim = hardware.cosim
    cosim.duration.edit.setText("20 ms")
    qtbot.mouseClick(cosim.run_button, Qt.MouseButton.LeftButton)
    assert cosim.running and cosim.cancel_button.isEnabled() and not cosim.run_button.isEnabled()
    qtbot.waitUntil(lambda: cosim.state == "idle", timeout=COSIM_MS)
    verdict = cosim.verdict.text()
    assert "Bit-exact" in verdict and "200 steps (20 ms)" in verdict, verdict
    summary = cosim.report.summary()
    assert summary["bit_exact"] and summary["spikes_rtl"] == summary["spikes_engine"] > 0
    assert cosim.raster.counts == (summary["spikes_engine"], summary["spikes_rtl"])
    assert not cosim.raster.divergence.isVisible()
    assert re.match(r"^done in [\d.]+ s$", cosim.status.text())
    assert any("co-simulation bit-exact (200 steps" in line for line in window.problems.messages()
               + window.problems.log.toPlainText().splitlines())


@needs_verilator
def test_a_cancelled_cosimulation_returns_to_idle(qtbot):
    window, hardware = open_hardware(qtbot, Document.open(HIL))
    cosim = hardware.cosim
    qtbot.mouseClick(cosim.run_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(cosim.cancel_button, Qt.MouseButton.LeftButton)
    assert cosim.status.text().startswith("cancelling")
    qtbot.waitUntil(lambda: cosim.state == "idle", timeout=COSIM_MS)
    assert cosim.status.text() == "cancelled" and cosim.report is None
    assert cosim.run_button.isEnabled() and not cosim.cancel_button.isEnabled()


def test_a_project_the_hardware_cannot_take_shows_why(qtbot, tmp_path):
    project = json.loads(HIL.read_text())
    project["devices"][0] = {"name": "drive_E", "kind": "noise_generator", "target": "E",
                             "params": {"mean": "100 pA", "std": "10 pA"}, "weight": "1", "delay": "1 ms",
                             "position": [-300, 0]}
    path = tmp_path / "noisy.ncsproj"
    path.write_text(json.dumps(project))
    window, hardware = open_hardware(qtbot, Document.open(path))
    message = hardware.message.text()
    assert re.match(r"^noisy\.ncsproj: device `drive_E` \(noise_generator\) has no fixed-point hardware", message)
    assert hardware.modules.list.count() == 0 and "No core: noisy.ncsproj" in hardware.manifest.toPlainText()
    assert not hardware.cosim.run_button.isEnabled() and hardware.cosim.run_button.toolTip() == message
    assert f"hardware: {message}" in window.problems.log.toPlainText()


def test_an_edited_project_is_generated_as_shown_and_a_new_document_resets_the_workspace(qtbot):
    window, hardware = open_hardware(qtbot, Document.open(HIL))
    from studio.document.commands import SetSetting

    window.stack.push(SetSetting(window.document, "seed", 2))
    assert window.is_modified()
    assert hardware.message.text().startswith("The project changed since the core was generated")
    qtbot.mouseClick(hardware.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not hardware.busy, timeout=GENERATE_MS)
    assert hardware.message.text().endswith("(from the unsaved project)")
    assert modules(hardware)[0] == "hil_demo"
    window.set_document(Document.open(CUBA))
    fresh = window.workspace("hardware").panel
    assert fresh is not hardware and window.tabs.currentWidget() is fresh
    qtbot.waitUntil(lambda: not fresh.busy, timeout=GENERATE_MS)
    assert modules(fresh)[0] == "cuba" and fresh.cosim.report is None


def test_the_headless_screenshot_shows_the_hardware_workspace(tmp_path):
    shot = tmp_path / "hardware.png"
    result = ncstudio(HIL, "--workspace", "hardware", "--screenshot", shot, "--quit", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)
