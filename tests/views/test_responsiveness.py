"""The window keeps answering while a network is built and run (the build happens on the session's worker)
and while the playground simulates (on a worker too).

A 10 ms timer on the GUI thread stamps each tick with the injected clock; if the
build ran on the GUI thread (as it once did, Brunel freezing the window ~1.5 s)
no tick would land while it is incomplete.  The bound on the largest gap is
ten times the 100 ms the window aims at, so a two-core machine that also runs a
second test worker does not fail it (a gap of 0.68 s was seen there), while a
build on the GUI thread (seconds) does.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from engine.models import LIBRARY
from studio.document.document import Document
from studio.playground.playground_state import PlaygroundState
from studio.project.project_file import EXAMPLES
from tests.views.helpers import make_window
from views.playground.playground_view import PlaygroundView

TICK_MS = 10
MAX_GAP_S = 1.0


@pytest.fixture
def clock():
    """The clock the ticks are stamped with."""
    return time.perf_counter


def test_the_event_loop_turns_while_brunel_is_built_and_run(qtbot, clock):
    window = make_window(qtbot, Document.open(EXAMPLES / "brunel.ncsproj"))
    toolbar = window.run_toolbar
    ticks: list[tuple[float, bool]] = []  # (time, the network was built)
    timer = QTimer(window, interval=TICK_MS)
    timer.timeout.connect(lambda: ticks.append((clock(), toolbar.session.simulation is not None)))
    session = toolbar.run(0.05)
    timer.start()
    qtbot.waitUntil(lambda: session.state == "finished" and not toolbar.timer.isActive(), timeout=120_000)
    timer.stop()
    assert session.error is None and window.scopes.data.received > 0
    during_build = [t for t, built in ticks if not built]
    assert len(during_build) >= 3, "the event loop stood still while the network was built"
    times = [t for t, _ in ticks]
    assert max(b - a for a, b in zip(times, times[1:])) < MAX_GAP_S


def test_the_event_loop_turns_while_the_playground_simulates(qtbot, clock):
    flags = {f: "true" for f in ("spike_dependent_threshold", "after_spike_currents", "adapting_threshold")}
    state = PlaygroundState(LIBRARY["glif_cond"].with_parameters(**flags), duration=20.0)  # a run of ~0.5 s
    view = PlaygroundView(state)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: state.trace is not None and not view.busy, timeout=60_000)
    before = state.trace
    ticks: list[tuple[float, bool]] = []  # (time, the run was going)
    timer = QTimer(view, interval=TICK_MS)
    timer.timeout.connect(lambda: ticks.append((clock(), view.busy)))
    view.simulate()
    timer.start()
    qtbot.waitUntil(lambda: state.trace is not before and not view.busy, timeout=60_000)
    timer.stop()
    assert len([t for t, busy in ticks if busy]) >= 3, "the event loop stood still while the neuron was simulated"
    times = [t for t, _ in ticks]
    assert max(b - a for a, b in zip(times, times[1:])) < MAX_GAP_S
