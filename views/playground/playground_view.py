"""The playground workspace: the model editor, the parameter table, the stimulus panel, the trace, and a
tab area for the analysis panels.

Changes of the model, its parameters or its stimulus re-simulate the neuron,
coalesced: one run at a time, at most one per frame (``FRAME_MS``), and
after a slow run at least as long a pause, so typing and slider drags stay
fluid.  A run that may take longer than ``INLINE_S`` (the first one, or one
whose cost, estimated from the last run's cost per step, exceeds it) runs on
a worker thread (:class:`studio.jobs.analysis_job.AnalysisJob` running
:func:`~studio.playground.playground_state.run_trace`), so the window keeps
answering; a short timer takes its trace back to the GUI thread, and a run
outdated by a change meanwhile is discarded and the change runs next.
Shorter runs stay on the GUI thread: a worker thread shares the GIL with the
GUI, and a run that is mostly Python (checking the model, building its
program) took half as long again beside a busy GUI (the keystroke benchmark:
GLIF5 ~41 ms inline, ~65 ms on a thread; in a worker process ~57 ms, with
the result to pickle).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from engine.errors import Problem
from studio.jobs.analysis_job import AnalysisJob, AnalysisRequest
from studio.playground.playground_events import ModelChanged, ParametersChanged, StimulusChanged
from studio.playground.playground_state import PlaygroundState, run_trace
from views.page_tabs import PageTabs
from views.playground.equation_editor import EquationEditor
from views.playground.parameters_panel import ParametersPanel
from views.playground.stimulus_panel import StimulusPanel
from views.playground.trace_panel import TracePanel

FRAME_MS = 16
POLL_MS = 2
INLINE_S = 0.08  # the longest run kept on the GUI thread: room left in the 100 ms the window answers within
_RESIMULATE = (ModelChanged, ParametersChanged, StimulusChanged)


class PlaygroundView(QWidget):
    """The workspace for ``state``; ``add_panel`` adds an analysis panel as a tab below the trace."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("playground")
        self.state = state
        self.editor = EquationEditor(state)
        self.parameters = ParametersPanel(state)
        self.stimulus = StimulusPanel(state)
        self.trace = TracePanel(state)
        self.panels = PageTabs()
        self.panels.setDocumentMode(True)
        self.panels.hide()
        self.panels.tabBar().currentChanged.connect(self._make_room)
        controls = PageTabs()
        controls.setDocumentMode(True)
        controls.addTab(self.parameters, "Parameters")
        controls.addTab(self.stimulus, "Stimulus")
        self.controls = controls
        views = QSplitter(Qt.Orientation.Vertical)
        views.addWidget(self.trace)
        views.addWidget(self.panels)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        self.views = views
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.editor)
        split.addWidget(controls)
        split.addWidget(views)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 6)
        split.setSizes([440, 380, 680])
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.simulations = 0
        self._last_start = 0.0
        self._last_cost = 0.0
        self._cost_per_step: float | None = None  # of the last run; None: no run yet
        self._steps = 0.0  # of the run on the worker
        self._job: AnalysisJob | None = None
        self._outdated = False  # the state changed while the job ran
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.simulate)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._take_result)
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))
        if state.trace is None and state.spec is not None:
            self.schedule()

    def add_panel(self, title: str, widget: QWidget) -> None:
        """Add an analysis panel as a tab below the trace."""
        self.panels.addTab(widget, title)
        if self.panels.count() == 1:
            self.panels.show()
            self.views.setSizes([450, 450])  # the trace and the panel in front, each readable at 720 px

    def show_first_applicable(self) -> None:
        """Bring to the front the first analysis panel that has something to show for the model."""
        for index in range(self.panels.count()):
            if self.panels.widget(index).applies():
                self.panels.setCurrentIndex(index)
                return

    def _make_room(self, *_) -> None:
        """Widen the panels' column to the minimum of the panel come to the front (a splitter keeps its sizes)."""
        self.views.refresh()
        self.split.refresh()

    def _on_state(self, event) -> None:
        if isinstance(event, _RESIMULATE):
            self.schedule()

    @property
    def busy(self) -> bool:
        """Whether a run is scheduled or running."""
        return self._timer.isActive() or self._job is not None

    def schedule(self) -> None:
        """Simulate soon: at once when idle, else one frame (or the last run's cost) after the last run, and
        never beside a running one (it runs when that one ends)."""
        if self._job is not None:
            self._outdated = True
            return
        if self._timer.isActive():
            return
        since = (time.perf_counter() - self._last_start) * 1e3
        wait = max(FRAME_MS, 2 * self._last_cost * 1e3) - since
        self._timer.start(max(0, int(wait)))

    def simulate(self) -> None:
        """Run the state's model: now when it is cheap, else on a worker (its trace shows when it ends)."""
        self._timer.stop()
        prepared = self.state.prepare_run()
        if prepared is None:
            return
        self._last_start = time.perf_counter()
        if isinstance(prepared, Problem):
            self._last_cost = 0.0
            self.simulations += 1
            self.state.set_result(prepared)
            return
        steps = max(1.0, prepared["duration"] / prepared["dt"])
        if self._cost_per_step is not None and self._cost_per_step * steps < INLINE_S:
            result = run_trace(prepared)
            self._ran(time.perf_counter() - self._last_start, steps)
            self.state.set_result(result)
            return
        self._steps = steps
        self._outdated = False
        self._job = AnalysisJob(AnalysisRequest(run_trace, (prepared,), title="playground trace")).start()
        self._poll.start()

    def _take_result(self) -> None:
        job = self._job
        if job is None or not job.finished:
            return
        self._poll.stop()
        self._job = None
        self._ran(job.seconds, self._steps)
        if self._outdated:
            self.schedule()
        elif job.state == "done":
            self.state.set_result(job.result)
        else:  # a bug in the engine: listed like a failed run, with its type
            self.state.set_result(Problem("simulation", 0, 0, f"the simulation failed: {job.error}"))

    def _ran(self, seconds: float, steps: float) -> None:
        self._last_cost = seconds
        self._cost_per_step = seconds / steps
        self.simulations += 1

    def run(self, duration_s: float) -> None:
        """Simulate ``duration_s`` seconds now, on this thread (the ``--run`` of headless screenshots)."""
        self.state.set_run(duration=duration_s)
        self._timer.stop()
        self.state.simulate()
