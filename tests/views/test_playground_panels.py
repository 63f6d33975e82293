"""The playground's analysis panels, offscreen: what they plot is what the theory says."""

import re
import subprocess
import sys

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from engine.analysis.stimulus import Constant
from engine.equations.model import ModelSpec
from engine.models import get_model
from studio.playground.playground_state import PlaygroundState, Stimulus
from studio.project.project_doc import LibraryRef
from views.playground.panels import install_panels
from views.playground.bifurcation_panel import BifurcationPanel
from views.playground.fi_curve_panel import FICurvePanel
from views.playground.handoff_panel import HandoffPanel, network_handoff
from views.playground.spike_statistics import SpikeStatisticsPanel
from views.playground.phase_plane_panel import PhasePlanePanel
from views.playground.playground_view import PlaygroundView
from views.playground.precision_panel import PrecisionPanel
from views.playground.sensitivity_panel import RateMapPanel, SensitivityPanel
from views.playground.verilog_panel import VerilogPanel

# A leaky integrator driven far above what Q8.8 holds (its largest value is just under 128).
SATURATING = ModelSpec("dx/dt = (x_inf - x)/tau : 1\nx_inf : 1\ntau : second",
                       parameters={"x_inf": "300", "tau": "10 ms"}, initial={"x": "0"})


def shown(qtbot, panel):
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    return panel


def following(qtbot, panel):
    """``panel`` shown, its sweeps starting by themselves on every change whatever their estimate.

    The estimate is a timed probe run: on a machine busy with other tests it can pass the second
    under which a sweep starts by itself, and the sweep would wait for Run.  Which sweeps wait has
    a test of its own (a long sweep waits for Run).
    """
    panel.sweep.auto_seconds = float("inf")
    return shown(qtbot, panel)


def test_phase_plane_of_fitzhugh_nagumo_shows_the_cubic_and_the_line(qtbot):
    state = PlaygroundState(get_model("fitzhugh_nagumo"))
    panel = shown(qtbot, PhasePlanePanel(state))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=5000)
    current = panel.current.value()
    assert current == 0.5  # the level of the suggested step stimulus
    v, u = panel.x_null_item.getData()
    assert np.ptp(v) > 3.0  # the whole cubic, both knees
    # dv/dt = 0 on u = v - v^3/3 + I (the contour is linear between grid points of spacing ~0.07)
    np.testing.assert_allclose(u, v - v ** 3 / 3 + current, atol=0.02)
    v, u = panel.y_null_item.getData()
    np.testing.assert_allclose(u, (v + 0.7) / 0.8, atol=1e-9)  # du/dt = 0 on u = (v + a)/b
    xs, ys = panel.trajectory_item.getData()
    assert len(xs) == 2000 and np.ptp(xs) > 3.0  # 200 ms of the limit cycle
    assert len(panel.field_item.getData()[0]) > 0

    state.set_parameter("a", "0.9")  # the line moves with the parameter
    qtbot.waitUntil(lambda: np.allclose(panel.y_null_item.getData()[1], (panel.y_null_item.getData()[0] + 0.9) / 0.8),
                    timeout=5000)


def test_fi_curve_of_the_lif_matches_the_analytic_rate(qtbot):
    state = PlaygroundState(get_model("lif"))
    panel = following(qtbot, FICurvePanel(state))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=10000)
    panel.result = None
    panel.lo.setValue(0.0)
    panel.hi.setValue(6000.0)
    panel.count.setValue(31)
    qtbot.waitUntil(lambda: panel.result is not None and len(panel.result.currents) == 31, timeout=10000)
    currents, rates = panel.steady_item.getData()
    np.testing.assert_array_equal(currents, np.linspace(0, 6000, 31))
    # v relaxes to v_rest + R I with tau; from v_reset = v_rest it reaches v_th after tau ln(RI/(RI - 20 mV)).
    R, tau, t_ref, gap = 10e6, 10e-3, 2e-3, 20e-3
    drive = R * currents * 1e-12
    above = drive > gap * 1.2
    analytic = 1.0 / (t_ref + tau * np.log(drive[above] / (drive[above] - gap)))
    np.testing.assert_allclose(rates[above], analytic, rtol=0.03)
    assert np.all(rates[drive <= gap] == 0)
    lo, hi = panel.result.rheobase_bracket  # refined to a thousandth of the range: 6 pA
    assert lo <= 2000.0 <= hi == panel.result.rheobase and hi - lo <= 6.0  # R * I = 20 mV
    assert panel.rheobase_line.isVisible() and panel.rheobase_line.value() == panel.result.rheobase
    assert panel.message.text().startswith(f"Rheobase {hi:.5g} pA: no spikes at {lo:.5g} pA, spikes at {hi:.5g} pA")


def test_fi_curve_says_what_is_true_when_the_range_misses_the_rheobase(qtbot):
    panel = following(qtbot, FICurvePanel(PlaygroundState(get_model("lif"))))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=10000)
    for lo, hi, text in ((3000.0, 4000.0, "The neuron fires at every current tried, from 3000 pA: the rheobase is "
                                          "lower"),
                         (0.0, 1000.0, "No current up to 1000 pA makes the neuron fire")):
        panel.result = None
        panel.lo.setValue(lo)
        panel.hi.setValue(hi)
        qtbot.waitUntil(lambda: panel.result is not None and panel.result.currents[-1] == hi, timeout=10000)
        assert panel.message.text().startswith(text) and "nan" not in panel.message.text()
        assert not panel.rheobase_line.isVisible()


def test_q8_8_overlay_of_a_saturating_model_reports_the_overflow(qtbot):
    state = PlaygroundState(SATURATING, duration=0.2)
    panel = shown(qtbot, PrecisionPanel(state))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=5000)
    report = panel.report
    assert report.fmt.name == "Q8.8"
    assert report.overflows["x"] > 0 and panel.overflow_rows()["x"] == report.overflows["x"]
    assert "Overflow in x" in panel.message.text()
    fixed = panel.fixed_item.getData()[1]
    assert np.max(fixed) < 128 < np.max(panel.float_item.getData()[1])  # float reaches ~300, fixed saturates
    panel.set_format("Q10.6")  # room for 300: no overflow any more
    qtbot.waitUntil(lambda: panel.report.fmt.name == "Q10.6", timeout=5000)
    assert not any(panel.report.overflows.values())
    assert panel.overflow_rows() == {"x": 0}
    assert "No overflow" in panel.message.text()


def test_narrowest_format_is_suggested_on_a_worker(qtbot):
    state = PlaygroundState(get_model("iaf_psc_exp"), stimulus=Stimulus((Constant(500.0),)), duration=0.3)
    panel = shown(qtbot, PrecisionPanel(state))
    panel.tolerance.setValue(1.0)
    qtbot.mouseClick(panel.finder.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.search is not None, timeout=30000)
    fmt = panel.search.fmt
    assert fmt is not None and fmt.name in panel.suggestion.text()
    assert panel.search.trials[-1].ok and not any(t.ok for t in panel.search.trials[:-1])


def test_a_long_sweep_waits_for_run_shows_its_cost_and_can_be_cancelled(qtbot):
    state = PlaygroundState(get_model("hh_psc_alpha"))
    panel = shown(qtbot, BifurcationPanel(state))
    qtbot.waitUntil(lambda: panel.parameter_box.count() > 0, timeout=30000)
    panel.sweep.auto_seconds = 0.0  # any sweep is "long": the measured estimate cannot decide the test
    panel.set_sweep("I_e", 0.0, 1000.0, 400)
    panel.transient.setValue(5000.0)  # long enough to cancel part-way
    panel.duration.setValue(5000.0)
    qtbot.waitUntil(lambda: panel.sweep.estimate is not None and not panel.sweep.cheap, timeout=30000)
    qtbot.waitUntil(lambda: "press Sweep" in panel.sweep.status.text(), timeout=30000)
    # Not started by itself: at most an earlier cheap sweep, cancelled as out of date.
    qtbot.waitUntil(lambda: panel.sweep.job is None or panel.sweep.job.finished, timeout=30000)
    assert panel.sweep.job is None or panel.sweep.job.state == "cancelled"
    assert "press Sweep" in panel.sweep.status.text()
    qtbot.mouseClick(panel.sweep.run_button, Qt.MouseButton.LeftButton)
    job = panel.sweep.job
    qtbot.waitUntil(lambda: job.progress > 0, timeout=30000)
    qtbot.mouseClick(panel.sweep.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state == "cancelled", timeout=30000)
    qtbot.waitUntil(lambda: panel.sweep.status.text() == "cancelled", timeout=2000)
    assert job.progress < 1 and panel.result is None and not panel.sweep.cancel_button.isEnabled()


def test_spike_statistics_sensitivity_and_rate_map(qtbot):
    state = PlaygroundState(get_model("iaf_psc_exp"), stimulus=Stimulus((Constant(500.0),)), duration=0.5)
    state.simulate()
    stats = shown(qtbot, SpikeStatisticsPanel(state))
    qtbot.waitUntil(lambda: stats.isi is not None, timeout=5000)
    assert stats.isi.cv < 0.01 and "CV 0.0" in stats.isi_text.text()  # a constant current fires regularly
    assert stats.isi_item.getData()[1].sum() == len(state.trace.spike_times) - 1
    sens = following(qtbot, SensitivityPanel(state))
    qtbot.waitUntil(lambda: sens.result is not None, timeout=10000)
    k = sens.result.parameters.index("tau_m")
    assert sens.result.sensitivity[k] > 0  # a slower membrane (higher resistance) fires more here
    rates = following(qtbot, RateMapPanel(state))
    qtbot.waitUntil(lambda: rates.boxes[0].count() > 0, timeout=5000)
    rates.set_axes(("I_stim", 0.0, 1000.0, 6), ("tau_m", 5.0, 20.0, 4))
    qtbot.waitUntil(lambda: rates.result is not None and rates.result.rates.shape == (4, 6), timeout=30000)
    grid = rates.result.rates
    assert np.all(grid[:, 0] == 0) and np.all(np.diff(grid[:, -1]) > 0)  # none at 0 pA; more with tau_m


def test_exported_script_reproduces_the_trace(qtbot, tmp_path):
    state = PlaygroundState(get_model("aeif_cond_exp"), duration=0.3)
    run = state.simulate()
    panel = shown(qtbot, HandoffPanel(state))
    path = panel.export_script(tmp_path / "neuron_trace.py")
    assert path is not None and "Wrote" in panel.status.text()
    out = tmp_path / "trace.npz"
    done = subprocess.run([sys.executable, str(path), "--out", str(out)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["spike_times"], run.spike_times)
        for name, values in run.values.items():
            np.testing.assert_array_equal(saved[name], values)


def test_verilog_tab_shows_the_module_with_copy_and_save(qtbot, tmp_path):
    state = PlaygroundState(get_model("iaf_psc_exp"), duration=0.2)
    state.set_parameter("tau_m", "12 ms")
    panel = shown(qtbot, VerilogPanel(state))
    qtbot.waitUntil(lambda: panel.view.preview is not None, timeout=10_000)  # made on a worker
    preview = panel.view.preview
    assert "module nc_iaf_psc_exp" in panel.view.text.toPlainText() and preview.verilog.fmt.name == "Q8.8"
    np.testing.assert_array_equal(panel.view.trace_item.getData()[1], preview.fixed.values["V_m"])
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == preview.verilog.text
    assert panel.save(tmp_path / "nc_iaf_psc_exp.v").read_text() == preview.verilog.text


def test_a_bad_format_is_a_format_error_in_plain_text(qtbot):
    panel = shown(qtbot, VerilogPanel(PlaygroundState(get_model("iaf_psc_exp"), duration=0.1)))
    qtbot.waitUntil(lambda: panel.view.preview is not None, timeout=10_000)
    panel.format_edit.setText("Q8")
    panel.refresh()
    assert panel.view.caption.text() == "No module: the format is not valid."
    assert panel.view.failure.text() == "`Q8` is not a Q format (write e.g. `Q8.8`: integer.fraction bits)"
    assert panel.view.failure.textFormat() == Qt.TextFormat.PlainText and panel.view.failure.isVisible()
    assert not panel.view.text.isVisible() and "lower" not in panel.view.caption.text()
    assert panel.format_edit.toolTip() == panel.view.failure.text() and not panel.copy_button.isEnabled()
    panel.format_edit.setText("Q8.8")
    panel.refresh()
    qtbot.waitUntil(lambda: panel.view.preview is not None, timeout=10_000)
    assert panel.format_edit.toolTip() == "" and panel.view.text.isVisible() and not panel.view.failure.isVisible()


def test_use_in_network(qtbot, empty_window):
    state = PlaygroundState(get_model("iaf_psc_exp"), duration=0.2)
    state.set_parameter("tau_m", "12 ms")
    panel = shown(qtbot, HandoffPanel(state, network_handoff(empty_window)))
    qtbot.mouseClick(panel.network_button, Qt.MouseButton.LeftButton)
    models = empty_window.document.settings["models"]
    assert models == {"iaf_psc_exp_2": LibraryRef("iaf_psc_exp", {"tau_m": "12 ms"})}
    empty_window.stack.undo()
    assert empty_window.document.settings["models"] == {}


def test_install_panels_adds_every_panel_as_a_tab(qtbot):
    state = PlaygroundState(get_model("fitzhugh_nagumo"))
    playground = PlaygroundView(state)
    qtbot.addWidget(playground)
    panels = install_panels(playground)
    titles = [playground.panels.tabText(k) for k in range(playground.panels.count())]
    assert titles == list(panels) == ["Phase plane", "f-I curve", "Bifurcation", "ISI / STA", "Sensitivity",
                                      "Rate map", "Characterise", "Frequency response", "Precision", "Verilog",
                                      "Hand on"]
    playground.resize(1400, 900)
    playground.show()
    phase = panels["Phase plane"]
    qtbot.waitUntil(lambda: phase.result is not None, timeout=5000)
    assert panels["f-I curve"].result is None  # a tab at the back computes only when brought forward
    playground.panels.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panels["f-I curve"].result is not None, timeout=10000)


def test_spike_statistics_of_a_silent_neuron_say_silent(qtbot):
    state = PlaygroundState(get_model("iaf_psc_exp"), stimulus=Stimulus((Constant(0.0),)), duration=0.2)
    state.simulate()
    stats = shown(qtbot, SpikeStatisticsPanel(state))
    qtbot.waitUntil(lambda: stats.isi is not None, timeout=5000)
    assert stats.isi_text.text() == "silent: no spikes in this run"


def panel_of(view, cls):
    """The playground's analysis panel of class ``cls``."""
    return next(view.panels.widget(k) for k in range(view.panels.count()) if isinstance(view.panels.widget(k), cls))


def test_the_playground_opens_on_a_panel_that_shows_the_default_model(qtbot, cuba_window):
    cuba_window.resize(1280, 720)
    cuba_window.set_workspace("playground")
    view = cuba_window.workspace("playground").view
    front = view.panels.currentWidget()
    assert view.state.library_model.name == "lif" and not panel_of(view, PhasePlanePanel).applies()
    assert front.applies() and view.panels.tabText(view.panels.currentIndex()) == "f-I curve"
    qtbot.waitUntil(lambda: front.result is not None, timeout=10_000)
    assert front.message.text().startswith("Rheobase") and "needs" not in front.message.text()
    assert len(front.rate_item.getData()[0]) == 50 and front.plot.height() >= 120


def test_the_precision_panel_is_readable_at_1280_by_720(qtbot, cuba_window):
    cuba_window.resize(1280, 720)
    cuba_window.set_workspace("playground")
    view = cuba_window.workspace("playground").view
    panel = panel_of(view, PrecisionPanel)
    view.panels.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=10_000)
    qtbot.wait(50)
    assert (cuba_window.width(), cuba_window.height()) == (1280, 720)
    for widget in (panel.overlay, panel.error_plot, panel.shift_plot, panel.table):  # all of it inside the panel
        seen = QRect(widget.mapTo(panel, QPoint(0, 0)), widget.size()).intersected(panel.rect())
        assert seen.height() >= 120 and seen.width() >= 250, widget
    table, header = panel.table, panel.table.horizontalHeader()
    for column in range(table.columnCount()):
        assert header.sectionSize(column) >= max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
    assert header.length() <= table.viewport().width()
    assert table.item(0, 3).text().startswith("-70")


def test_characterise_reports_the_pattern_and_the_frequency_response_plots_gain_and_phase(qtbot):
    from views.playground.characterise_panel import CharacterisePanel, FrequencyResponsePanel

    state = PlaygroundState(get_model("izhikevich"), stimulus=Stimulus((Constant(10.0),)), duration=0.5)
    state.set_parameter("c", "-50 mV")
    state.set_parameter("d", "2 mV")  # Izhikevich's chattering cell
    panel = shown(qtbot, CharacterisePanel(state))
    qtbot.wait(400)
    assert panel.result is None and "Characterise" in panel.report.text()  # it runs only when asked
    panel.sweep.run_button.click()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    text = panel.report.text()
    assert panel.result.pattern == "bursting" and "<b>bursting</b>" in text and "ISIs split at a" in text
    assert "rheobase" in text and "pA" in text and "most sensitive" in text
    xs, ys = panel.curve.getData()
    np.testing.assert_array_equal(xs, panel.result.fi_currents)
    assert ys[-1] > ys[0] > 0

    response = shown(qtbot, FrequencyResponsePanel(state))
    response.low.setValue(2.0)
    response.high.setValue(20.0)
    response.count.setValue(3)
    response.amplitude.setValue(2.0)
    response.sweep.run_button.click()
    qtbot.waitUntil(lambda: response.result is not None, timeout=60_000)
    assert response.result.mean == 10.0  # the stimulus level is the drive's mean
    np.testing.assert_allclose(response.result.frequencies, [2.0, np.sqrt(40.0), 20.0])
    np.testing.assert_allclose(response.phase.getData()[1], response.result.phase)
    assert np.all(response.result.mean_rate > 0) and "lags the drive" in response.message.text()


def test_the_sc_error_of_the_input_shows_beside_the_fixed_point_overlay(qtbot):
    state = PlaygroundState(get_model("iaf_psc_exp"), stimulus=Stimulus((Constant(100.0),)), duration=0.2)
    panel = shown(qtbot, PrecisionPanel(state))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=5000)
    assert panel.sc_button.text() == "SC lfsr16, L 256"
    text = panel.sc_label.text()
    assert re.match(r"^SC input \(lfsr16, L = 256, decoded in Q8\.8\): mean \|error\| [\d.e-]+ pA, max [\d.e-]+ pA "
                    r"against float; [\d.e-]+ / [\d.e-]+ pA against Q8\.8; Hoeffding bound \(95 %\) ±[\d.e-]+ pA\.$",
                    text)
    source_menu = [a.text() for a in panel.sc_button.menu().actions() if not a.isSeparator()]
    assert source_menu[:3] == ["lfsr16", "sobol16", "halton"] and "L = 4096" in source_menu
    panel.set_sc("sobol16", 4096)
    assert panel.sc_button.text() == "SC sobol16, L 4096"
    assert panel.sc_label.text().startswith("SC input (sobol16, L = 4096, decoded in Q8.8): mean |error| ")
    assert panel.sc_label.isVisible()
