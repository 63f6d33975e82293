"""The live scopes, offscreen: what is fed is what is drawn, windows scroll, freezing holds, exports write."""

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from engine.run.simulation import Chunk
from views.scopes import ScopePanel
from views.scopes.export import ExportError
from views.scopes.history import RecorderInfo

E_T = np.array([3.0, 12.5, 40.0, 77.7])
E_N = np.array([0, 5, 2, 5], np.int32)
I_T = np.array([20.0, 60.0])
I_N = np.array([1, 3], np.int32)


def chunk(t0, t1, spikes=None, traces=None):
    return Chunk(t0, t1, spikes or {}, traces or {})


@pytest.fixture
def scopes(qtbot):
    widget = ScopePanel()
    widget.timer.stop()
    qtbot.addWidget(widget)
    widget.configure({"E": 6, "I": 4}, {"vm": RecorderInfo(("v", "w"), (10, 11))})
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixels(raster):
    """(raster row, time, lookup index) of every painted pixel, in view coordinates."""
    image = raster.image.image
    rect = raster.image.mapRectToParent(raster.image.boundingRect())
    rows, cols = np.nonzero(image)
    row_h, col_w = rect.height() / image.shape[0], rect.width() / image.shape[1]
    return [(int(rect.top() + r * row_h), rect.left() + c * col_w, int(image[r, c])) for r, c in zip(rows, cols)]


def test_the_raster_draws_exactly_the_spikes_fed(scopes):
    scopes.set_window(100)
    scopes.feed([chunk(0, 50, {"E": (E_T[:2], E_N[:2]), "I": (I_T[:1], I_N[:1])}),
                 chunk(50, 100, {"E": (E_T[2:], E_N[2:]), "I": (I_T[1:], I_N[1:])})])
    scopes.refresh()
    raster = scopes.raster
    shown = raster.spikes_shown()
    np.testing.assert_array_equal(shown["E"][0], E_T)
    np.testing.assert_array_equal(shown["E"][1], E_N)
    np.testing.assert_array_equal(shown["I"][0], I_T)
    # one pixel per spike: E rows 0-5 with colour 1, I rows 6-9 with colour 2, at the spike's time
    drawn = sorted(pixels(raster))
    expected = sorted([(int(n), t, 1) for t, n in zip(E_T, E_N)] + [(6 + int(n), t, 2) for t, n in zip(I_T, I_N)])
    assert [(r, v) for r, _, v in drawn] == [(r, v) for r, _, v in expected]
    pixel_ms = 100 / raster.image.image.shape[1]
    for (_, t_drawn, _), (_, t, _) in zip(drawn, expected):
        assert t - pixel_ms <= t_drawn <= t


def test_the_window_scrolls_with_the_newest_data(scopes):
    scopes.set_window(50)
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N)})])
    scopes.refresh()
    assert scopes.raster.time_range() == pytest.approx((50, 100))
    np.testing.assert_array_equal(scopes.raster.spikes_shown()["E"][0], [77.7])
    scopes.feed([chunk(100, 160, {"E": (np.array([130.0]), np.array([1], np.int32))})])
    scopes.refresh()
    assert scopes.raster.time_range() == pytest.approx((110, 160))
    np.testing.assert_array_equal(scopes.raster.spikes_shown()["E"][0], [130.0])


def test_pause_freezes_the_view_and_allows_scrolling_back(scopes):
    scopes.set_window(50)
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N)})])
    scopes.refresh()
    scopes.set_paused(True)
    before = scopes.raster.image.image.copy()
    scopes.feed([chunk(100, 200, {"E": (np.array([150.0]), np.array([4], np.int32))})])
    scopes.refresh()
    assert scopes.raster.time_range() == pytest.approx((50, 100))
    np.testing.assert_array_equal(scopes.raster.image.image, before)
    assert scopes.data.received == 5
    scopes.raster.view.setXRange(0, 50, padding=0)
    scopes.refresh()
    np.testing.assert_array_equal(scopes.raster.spikes_shown()["E"][0], [3.0, 12.5, 40.0])
    scopes.set_paused(False)
    scopes.refresh()
    assert scopes.raster.time_range() == pytest.approx((150, 200))
    np.testing.assert_array_equal(scopes.raster.spikes_shown()["E"][0], [150.0])


def drag(widget, start, stop, steps=10):
    """A left-button drag (QTest's mouseMove carries no buttons in Qt 6, so the events are made here)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        point = QPointF(pos)
        QApplication.sendEvent(widget, QMouseEvent(kind, point, QPointF(widget.mapToGlobal(pos)), button, buttons,
                                                   Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, steps + 1):
        send(QEvent.Type.MouseMove, start + (stop - start) * k / steps, none, left)
    send(QEvent.Type.MouseButtonRelease, stop, left, none)


def test_dragging_the_live_raster_back_in_time_pauses(scopes):
    scopes.feed([chunk(0, 2000, {"E": (E_T, E_N)})])
    scopes.refresh()
    viewport = scopes.raster.plot_widget.viewport()
    centre = viewport.rect().center()
    drag(viewport, centre, centre + QPoint(200, 0))
    assert scopes.paused
    assert scopes.pause_button.isChecked()
    scopes.refresh()
    assert scopes.raster.time_range()[1] < 2000


def test_cursor_readout_names_time_population_and_neuron(scopes, qtbot):
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N)})])
    scopes.set_window(100)
    scopes.refresh()
    raster = scopes.raster
    scene_pos = raster.view.mapViewToScene(QPointF(42.0, 7.5))
    pos = raster.plot_widget.mapFromScene(scene_pos)
    qtbot.mouseMove(raster.plot_widget.viewport(), pos)
    text = raster.readout.text()
    assert text.startswith("t = 4") and text.endswith("I #1")
    assert raster.describe(42.0, 7.5) == "t = 42.0 ms   I #1"


def test_hidden_populations_leave_the_raster(scopes):
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N), "I": (I_T, I_N)})])
    scopes.set_shown(["I"])
    scopes.refresh()
    assert set(scopes.raster.spikes_shown()) == {"I"}
    assert {v for _, _, v in pixels(scopes.raster)} == {2}
    assert scopes.raster.rows() == 4


def test_traces_show_the_fed_values(scopes):
    t = np.arange(1, 11) * 10.0
    values = np.zeros((10, 2, 2))
    values[:, 0, 0] = np.sin(t)
    values[:, 0, 1] = t
    values[:, 1, 1] = -t
    scopes.tabs.setCurrentWidget(scopes.traces)
    scopes.set_window(100)
    scopes.feed([chunk(0, 50, traces={"vm": (t[:5], values[:5])}), chunk(50, 100, traces={"vm": (t[5:], values[5:])})])
    scopes.refresh()
    traces = scopes.traces
    assert traces.chosen() == [("vm", 0, 0), ("vm", 0, 1), ("vm", 1, 0), ("vm", 1, 1)]
    x, y = traces.curves[("vm", 0, 1)].getOriginalDataset()
    np.testing.assert_array_equal(x, t)
    np.testing.assert_array_equal(y, t)
    traces.set_chosen([("vm", 1, 1)])
    scopes.refresh()
    assert traces.chosen() == [("vm", 1, 1)]
    np.testing.assert_array_equal(traces.curves[("vm", 1, 1)].getOriginalDataset()[1], -t)
    assert traces.label(("vm", 1, 1)) == "vm w #11"


def test_rate_of_a_known_pattern(scopes):
    # every 5 ms bin: E (6 neurons) fires 3 spikes -> 100 Hz; I (4 neurons) fires 1 -> 50 Hz
    t_e = np.repeat(np.arange(20) * 5.0 + 1.0, 3)
    n_e = np.tile(np.array([0, 1, 2], np.int32), 20)
    t_i = np.arange(20) * 5.0 + 2.0
    n_i = np.zeros(20, np.int32)
    scopes.tabs.setCurrentWidget(scopes.rate)
    scopes.set_window(100)
    scopes.feed([chunk(0, 100, {"E": (t_e, n_e), "I": (t_i, n_i)})])
    scopes.refresh()
    table = scopes.rate.table()
    np.testing.assert_allclose(table["bin_start_ms"], np.arange(20) * 5.0)
    np.testing.assert_allclose(table["rate_hz_E"], 100.0)
    np.testing.assert_allclose(table["rate_hz_I"], 50.0)
    scopes.rate.set_bin(10.0)
    scopes.refresh()
    np.testing.assert_allclose(scopes.rate.table()["rate_hz_E"], 100.0)
    assert scopes.rate.table()["bin_start_ms"].size == 10


def test_isi_histogram_and_cv_of_a_known_pattern(scopes):
    # E neuron 0 alternates 10 and 30 ms intervals (CV 0.5); I neuron 0 fires every 20 ms (CV 0)
    t_e = np.cumsum([0.5] + [10.0, 30.0] * 10)
    t_i = np.arange(1, 22) * 20.0
    scopes.tabs.setCurrentWidget(scopes.isi)
    for k in range(3):
        lo, hi = 150.0 * k, 150.0 * (k + 1)
        e, i = (t_e >= lo) & (t_e < hi), (t_i >= lo) & (t_i < hi)
        scopes.feed([chunk(lo, hi, {"E": (t_e[e], np.zeros(e.sum(), np.int32)),
                                    "I": (t_i[i], np.zeros(i.sum(), np.int32))})])
    scopes.refresh()
    isi = scopes.isi
    assert isi.cv("E") == pytest.approx(0.5)
    assert isi.cv("I") == pytest.approx(0.0, abs=1e-9)
    table = isi.table()
    assert table["count_E"][5] == 10 and table["count_E"][15] == 10 and table["count_E"].sum() == 20
    assert table["count_I"][10] == 20 and table["count_I"].sum() == 20
    assert isi.plot.titleLabel.text == "mean CV of the intervals: E 0.50 · I 0.00"
    np.testing.assert_allclose(isi.density("I")[10], 1 / isi.data.isi.bin_ms)


def test_export_writes_pictures_and_data(scopes, tmp_path):
    scopes.set_window(100)
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N), "I": (I_T, I_N)})])
    scopes.refresh()
    png = scopes.export(tmp_path / "raster.png")
    assert not QImage(str(png)).isNull()
    svg = scopes.export(tmp_path / "raster.svg")
    assert "<svg" in svg.read_text()
    with open(scopes.export(tmp_path / "raster.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_ms", "population", "neuron"]
    assert rows[1] == ["3.0", "E", "0"] and rows[3] == ["20.0", "I", "1"] and len(rows) == 7
    data = np.load(scopes.export(tmp_path / "raster.npz"))
    np.testing.assert_array_equal(data["time_ms"], np.sort(np.concatenate([E_T, I_T])))
    rate = np.load(scopes.export(tmp_path / "rate.npz", scope="rate"))
    assert set(rate.files) == {"bin_start_ms", "rate_hz_E", "rate_hz_I"}
    with pytest.raises(ExportError, match=r"^cannot export to `raster\.txt`: use one of \.png"):
        scopes.export(tmp_path / "raster.txt")


def test_isi_title_says_silent_instead_of_a_number_it_does_not_have(scopes):
    # E: one spike in neuron 0, so no interval; I never fires
    scopes.tabs.setCurrentWidget(scopes.isi)
    scopes.feed([chunk(0, 100, {"E": (np.array([5.0]), np.zeros(1, np.int32))})])
    scopes.refresh()
    assert scopes.isi.plot.titleLabel.text == "mean CV of the intervals: E too few intervals · I silent"


def test_reset_forgets_the_run(scopes):
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N)}, {"vm": (np.array([50.0]), np.zeros((1, 2, 2)))})])
    scopes.set_paused(True)
    scopes.refresh()
    scopes.reset()
    scopes.refresh()
    assert not scopes.paused and scopes.data.received == 0 and scopes.data.t_ms == 0
    assert not scopes.raster.image.image.any()
    assert scopes.traces.chosen() == []
    assert math.isnan(scopes.isi.cv("E"))


def test_refresh_redraws_only_what_changed(scopes, qtbot):
    scopes.feed([chunk(0, 100, {"E": (E_T, E_N)})])
    assert scopes.raster.refresh()
    assert not scopes.raster.refresh()
    assert scopes.rate.refresh()
    scopes.feed([chunk(100, 200)])
    assert scopes.raster.refresh()
    frames = scopes.raster.frames
    scopes.timer.start()
    qtbot.waitUntil(lambda: scopes.raster.frames > frames)
