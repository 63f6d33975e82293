"""Phase plane of any two state variables: vector field, both nullclines and a trajectory.

Computed on a worker thread (:class:`studio.jobs.analysis_job.AnalysisJob`)
after the debounce; a short timer takes the result back to the GUI thread,
and a newer computation discards an older one's.  Panning or zooming recomputes the field
and the nullclines for the visible range; a click starts the trajectory
there; "Auto range" goes back to the range of the free trajectory.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.analysis.phase_plane import PhasePlane, phase_plane
from studio.jobs.analysis_job import AnalysisJob, AnalysisRequest
from views.playground.analysis_panel import AnalysisPanel, add_legend, axis_label, constant_level, message_label, plot_widget, spin
from views.theme import colors

RESOLUTION = 81  # grid for the nullclines
ARROWS = 21  # arrows per axis
ARROW = 0.7  # arrow length in arrow spacings
POLL_MS = 10


class PhasePlanePanel(AnalysisPanel):
    """The phase plane of the playground's model under a constant current (the stimulus level by default)."""

    title = "Phase plane"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, parent)
        self.result: PhasePlane | None = None
        self.ranges: tuple[tuple[float, float], tuple[float, float]] | None = None
        self.start: dict[str, float] = {}
        self.job: AnalysisJob | None = None
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._take_result)
        self.x_box, self.y_box = QComboBox(), QComboBox()
        for box in (self.x_box, self.y_box):
            box.currentTextChanged.connect(self._axes_changed)
        self.current = spin(0.0, decimals=3, step=10.0)
        self.current.valueChanged.connect(self.schedule)
        self.follow = True  # the current follows the stimulus until typed
        self.current.editingFinished.connect(lambda: setattr(self, "follow", False))
        self.duration = spin(200.0, decimals=0, minimum=0.0, maximum=10000.0, suffix="ms", step=50.0)
        self.duration.valueChanged.connect(self.schedule)
        auto = QPushButton("Auto range")
        auto.clicked.connect(self.auto_range)
        controls = QHBoxLayout()
        for label, w in (("x", self.x_box), ("y", self.y_box), ("current", self.current),
                         ("trajectory", self.duration)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
        controls.addWidget(auto)
        controls.addStretch(1)
        controls.addWidget(self.stale_label)
        theme = colors()
        self.plot = plot_widget()
        add_legend(self.plot)
        item = self.plot.getPlotItem()
        self.field_item = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(theme.muted, width=1.2))
        item.addItem(self.field_item)
        self.x_null_item = item.plot(pen=pg.mkPen("#d9534f", width=2), connect="pairs")
        self.y_null_item = item.plot(pen=pg.mkPen("#3b78c4", width=2), connect="pairs")
        self.trajectory_item = item.plot(pen=pg.mkPen(theme.text, width=1.5))
        self.start_item = item.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=theme.text)
        self.plot.getViewBox().sigRangeChangedManually.connect(self._moved)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.message = message_label()
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)
        self._fill_axes()

    def applies(self) -> bool:
        """Whether the model has the two state variables a phase plane needs."""
        checked = self.state.checked
        return checked is not None and len(checked.states) >= 2

    # -- inputs ---------------------------------------------------------------------------------------------
    def _fill_axes(self) -> None:
        checked = self.state.checked
        names = list(checked.states) if checked is not None else []
        if names == [self.x_box.itemText(k) for k in range(self.x_box.count())]:
            return
        x, y = self.x_box.currentText(), self.y_box.currentText()
        for box in (self.x_box, self.y_box):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.blockSignals(False)
        if len(names) >= 2:
            self.x_box.setCurrentText(x if x in names else names[0])
            self.y_box.setCurrentText(y if y in names and y != self.x_box.currentText() else
                                      next(n for n in names if n != self.x_box.currentText()))
        self.ranges, self.start = None, {}

    def set_axes(self, x: str, y: str) -> None:
        """Show state variables ``x`` and ``y`` (recomputed after the debounce)."""
        self.x_box.setCurrentText(x)
        self.y_box.setCurrentText(y)

    def _axes_changed(self, *_) -> None:
        self.ranges, self.start = None, {}

    def auto_range(self) -> None:
        self.ranges = None
        self.refresh()

    def _moved(self, *_) -> None:
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        self.ranges = ((x0, x1), (y0, y1))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.result is None:
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        self.start = {self.result.x_name: point.x(), self.result.y_name: point.y()}
        if self.ranges is None:
            self.ranges = tuple(self.plot.getViewBox().viewRange())
        self.refresh()

    # -- computing ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.ready:
            return
        self._fill_axes()
        if not self.applies():
            self.message.setText("A phase plane needs a model with at least two state variables.")
            return
        level = constant_level(self.state)
        if self.follow and level is not None and level != self.current.value():
            self.current.blockSignals(True)
            self.current.setValue(level)
            self.current.blockSignals(False)
        x, y = self.x_box.currentText(), self.y_box.currentText()
        if x == y:
            self.message.setText("Choose two different state variables.")
            return
        ranges = self.ranges or (None, None)
        if self.job is not None:
            self.job.cancel()  # its result is discarded
        kwargs = dict(x_range=ranges[0], y_range=ranges[1], resolution=RESOLUTION, start=self.start or None,
                      current=self.current.value(), duration=self.duration.value() * 1e-3, dt=self.state.dt)
        self.job = AnalysisJob(AnalysisRequest(phase_plane, (self.state.spec, x, y), kwargs, "phase plane")).start()
        self._poll.start()

    def _take_result(self) -> None:
        job = self.job
        if job is None or not job.finished:
            return
        self._poll.stop()
        self.job = None
        if job.state != "done":
            if job.state == "failed":
                self.message.setText(job.error)
            return
        result = job.result
        held = ", ".join(f"{k} = {v:.4g}" for k, v in result.held.items())
        self.message.setText("Click to start the trajectory there; pan or zoom to recompute the field."
                             + (f" Other variables held at {held}." if held else ""))
        self.show_result(result)

    def show_result(self, result: PhasePlane) -> None:
        self.result = result
        self.field_item.setData(*arrows(result))
        for item, segments in ((self.x_null_item, result.x_nullcline), (self.y_null_item, result.y_nullcline)):
            item.setData(segments[:, :, 0].ravel(), segments[:, :, 1].ravel(), connect="pairs")
        traj = result.trajectory
        self.trajectory_item.setData(traj[:, 0], traj[:, 1])
        self.start_item.setData(traj[:1, 0], traj[:1, 1])
        plot = self.plot.getPlotItem()
        plot.setLabel("bottom", axis_label(result.x_name, result.x_unit))
        plot.setLabel("left", axis_label(result.y_name, result.y_unit))
        legend = plot.legend
        legend.clear()
        legend.addItem(self.x_null_item, f"d{result.x_name}/dt = 0")
        legend.addItem(self.y_null_item, f"d{result.y_name}/dt = 0")
        legend.addItem(self.trajectory_item, "trajectory")
        if self.ranges is None:
            plot.setRange(xRange=(result.x[0], result.x[-1]), yRange=(result.y[0], result.y[-1]), padding=0)


def arrows(result: PhasePlane, per_axis: int = ARROWS) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (pairs of points) of direction arrows on a subgrid, scaled to the plotted ranges."""
    sx, sy = _stride(len(result.x), per_axis), _stride(len(result.y), per_axis)
    xs, ys = result.x[::sx], result.y[::sy]
    dx, dy = result.dx[::sy, ::sx], result.dy[::sy, ::sx]
    cx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1) or 1.0
    cy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1) or 1.0
    X, Y = np.meshgrid(xs, ys)
    u, v = dx / cx, dy / cy  # in arrow spacings per unit time
    norm = np.hypot(u, v)
    ok = (np.isfinite(norm) & (norm > 0)).ravel()
    u, v = (u.ravel()[ok] / norm.ravel()[ok], v.ravel()[ok] / norm.ravel()[ok])
    X, Y = X.ravel()[ok], Y.ravel()[ok]
    tail = (X - 0.5 * ARROW * u * cx, Y - 0.5 * ARROW * v * cy)
    head = (X + 0.5 * ARROW * u * cx, Y + 0.5 * ARROW * v * cy)
    # two barbs at +-150 degrees from the direction, a third of the arrow long
    c, s = np.cos(np.radians(150)), np.sin(np.radians(150))
    barbs = [(head[0] + ARROW / 3 * (c * u - k * s * v) * cx, head[1] + ARROW / 3 * (k * s * u + c * v) * cy)
             for k in (1, -1)]
    starts = [np.concatenate([tail[i], head[i], head[i]]) for i in (0, 1)]
    ends = [np.concatenate([head[i], barbs[0][i], barbs[1][i]]) for i in (0, 1)]
    return np.stack([starts[0], ends[0]], 1).ravel(), np.stack([starts[1], ends[1]], 1).ravel()


def _stride(n: int, target: int) -> int:
    return max(1, round((n - 1) / max(target - 1, 1)))
