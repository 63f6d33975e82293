"""The bitstream scope in the scopes dock: the streams of an SC projection's target over a fixed-point run,
their popcount, density against the expected value, effective bits and SCC, and triggers that mark and
freeze."""

from __future__ import annotations

import re

import pytest

from engine.fixedpoint import QFormat
from engine.run.simulation import Simulation, StreamBuffer
from studio.project.project_file import load_network
from tests.views.helpers import ROOT
from views.scopes import ScopePanel

SC_DEMO = ROOT / "resources" / "examples" / "sc_demo.ncsproj"


@pytest.fixture
def sc_chunks():
    """A fixed-point run of the SC demo: the built network and its chunks, as the run toolbar hands them on."""
    _, network = load_network(SC_DEMO, fmt=QFormat.parse("Q16.16"))
    buffer = StreamBuffer(max_chunks=100_000)
    Simulation(network, chunk_steps=100).run(0.1, stream=buffer)
    return network, buffer.take()


def _panel(qtbot) -> ScopePanel:
    panel = ScopePanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 560)
    panel.show()
    qtbot.waitExposed(panel)
    panel.tabs.setCurrentWidget(panel.bitstreams)
    return panel


def test_the_streams_of_a_projection_target_with_popcount_density_and_bits(qtbot, sc_chunks, tmp_path):
    network, chunks = sc_chunks
    panel = _panel(qtbot)
    scope = panel.bitstreams
    scope.band_spin.setValue(0)  # no triggers: watch the whole run
    scope.scc_spin.setValue(0)
    panel.set_network(network)
    assert [scope.projection_box.itemText(k) for k in range(scope.projection_box.count())] == ["EE", "IE"]
    assert re.match(r"^EE: sobol16 \(seed 0x[0-9a-f]{4}\) with lfsr16 select, L = 256; neuron 0: \d+ inputs$",
                    scope.status.text())
    panel.feed(chunks)
    panel.refresh()
    rows = scope.rows()
    assert list(rows) == ["weight", "activity", "output"]
    popcount, density, expected, bits = rows["output"]
    assert re.match(r"^\d+ / 256$", popcount) and int(popcount.split()[0]) / 256 == pytest.approx(float(density),
                                                                                                  abs=1e-3)
    assert 0 <= float(bits) <= 8
    series = scope.monitor.series("output")
    assert series.t_ms.size == scope.monitor.steps > 10
    curve = scope.density_curves["output"]
    x, y = curve.xData, curve.yData
    assert x.tolist() == series.t_ms.tolist() and y.tolist() == series.density.tolist()
    assert scope.trigger_label.text() == "" and not panel.paused
    assert scope.grab().save(str(tmp_path / "bitstreams.png"))
    assert panel.export(tmp_path / "streams.csv").read_text().startswith("t_ms,popcount_weight,density_weight,")


def test_a_density_out_of_band_marks_the_step_and_freezes_the_scopes(qtbot, sc_chunks):
    network, chunks = sc_chunks
    panel = _panel(qtbot)
    scope = panel.bitstreams
    panel.set_network(network)
    scope.band_spin.setValue(0.01)
    with qtbot.waitSignal(scope.triggered) as fired:
        panel.feed(chunks)
    assert re.match(r"^t = [\d.]+ ms: \w+: density outside expected ± 0\.01 \(density error [+-]0\.\d{3}\)$",
                    fired.args[0])
    assert panel.paused and panel.pause_button.text() == "Live" and scope.frozen
    assert scope.trigger_label.text() == f"⚑ stopped by a trigger — {fired.args[0]}"
    hit = scope.monitor.hits[0]
    assert scope.marks.data["x"][0] == hit.t_ms
    panel.set_paused(False)
    assert not scope.frozen


def test_a_correlated_pair_fires_the_scc_trigger(qtbot, sc_chunks):
    network, chunks = sc_chunks
    panel = _panel(qtbot)
    scope = panel.bitstreams
    panel.set_network(network)
    scope.band_spin.setValue(0)
    scope.pair[0].setCurrentText("activity")
    scope.pair[1].setCurrentText("output")  # the output is the activity, masked by the weight: correlated
    scope.scc_spin.setValue(0.3)
    with qtbot.waitSignal(scope.triggered) as fired:
        panel.feed(chunks)
    assert re.match(r"^t = [\d.]+ ms: \|SCC\(activity, output\)\| > 0\.3 \(SCC \+\d\.\d{3}\)$", fired.args[0])
    t, scc = scope.monitor.scc_series("activity", "output")
    panel.refresh()  # frozen: the plots keep the step that fired, marked
    drawn = scope.scc_curve.yData
    assert drawn.tolist() == scc[:drawn.size].tolist() and abs(drawn[-1]) > 0.3
    assert scope.monitor.hits[0].t_ms in scope.scc_curve.xData.tolist()
    assert scope.marks.data["x"][0] == scope.monitor.hits[0].t_ms


def test_a_float_run_says_how_to_see_streams(qtbot):
    _, network = load_network(SC_DEMO)
    panel = _panel(qtbot)
    panel.set_network(network)
    assert panel.bitstreams.projection_box.count() == 0
    assert panel.bitstreams.status.text().startswith("No SC projection in this run: set a projection's arithmetic")


def test_a_fixed_point_run_in_the_window_fills_the_bitstream_scope(qtbot):
    from studio.document.document import Document
    from tests.views.helpers import make_window

    window = make_window(qtbot, Document.open(SC_DEMO))
    toolbar, scope = window.run_toolbar, window.scopes.bitstreams
    toolbar.arithmetic.setCurrentText("Q16.16")
    toolbar.duration.setEditText("100 ms")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished" and not toolbar.timer.isActive(), timeout=30_000)
    window.scopes.tabs.setCurrentWidget(scope)
    window.scopes.refresh()
    assert toolbar.session.simulation.network.fmt.name == "Q16.16"
    assert scope.projection_box.currentText() == "EE" and scope.monitor.steps > 10
    assert list(scope.rows()) == ["weight", "activity", "output"]
