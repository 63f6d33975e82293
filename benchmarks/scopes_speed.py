"""Live scopes under CUBA at full engine speed: spikes taken, frame rate, longest GUI stall.

Run: ``.venv/bin/python benchmarks/scopes_speed.py [--seconds 5] [--repeat 3]`` (offscreen
where there is no display).  CUBA (resources/examples/cuba.ncsproj) runs on a worker
thread as fast as the engine goes (a ``studio.jobs.session.RunSession``, as in the studio);
a 10 ms QTimer drains its StreamBuffer into ``ScopePanel.feed`` while the scopes redraw on their own timer.  A 2 ms
probe timer records the gaps between its ticks: the longest gap is the longest stall
of the GUI event loop.  Prints JSON ``{spikes_per_wall_s, fps, max_stall_ms,
sim_speed, ...}``, with for scale the speed of the same run without the GUI just
after it and the share of a core the GUI thread used; with ``--repeat`` the best
run (most spikes per second) and all the runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from engine.run.simulation import Simulation
from studio.jobs.session import RunSession
from studio.project.project_file import load_network
from views.scopes import ScopePanel

CUBA = ROOT / "resources" / "examples" / "cuba.ncsproj"
WARMUP_S = 0.3
PROBE_MS = 2


def engine_alone_speed(seconds: float) -> float:
    """Simulated seconds per wall second of the same run without a GUI (the machine's pace now)."""
    _, network = load_network(CUBA)
    start = time.perf_counter()
    Simulation(network).run(seconds)
    return seconds / (time.perf_counter() - start)


def run_once(app: QApplication, seconds: float, scope: str = "raster") -> dict:
    """One live run of ``seconds`` simulated seconds with ``scope`` in front."""
    _, network = load_network(CUBA)
    session = RunSession(network)
    scopes = ScopePanel()
    scopes.set_network(network)
    scopes.resize(1200, 800)
    scopes.tabs.setCurrentWidget(scopes.scopes[scope])
    scopes.show()
    app.processEvents()

    ticks: list[float] = []
    probe = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=PROBE_MS)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    drain = QTimer(interval=10)
    drain.timeout.connect(lambda: scopes.feed(session.buffer.take()))

    def finish() -> None:
        if session.state in ("running", "paused") or len(session.buffer):
            return
        scopes.feed(session.buffer.take())
        app.quit()

    done = QTimer(interval=20)
    done.timeout.connect(finish)
    frames0 = scopes.frames
    cpu0 = time.thread_time()
    start = time.perf_counter()
    for timer in (probe, drain, done):
        timer.start()
    session.start(seconds)
    app.exec()
    wall = time.perf_counter() - start
    gui_cpu = time.thread_time() - cpu0
    for timer in (probe, drain, done):
        timer.stop()
    if session.state != "finished":
        raise RuntimeError(f"the run ended {session.state}: {session.error}")
    frames = scopes.frames - frames0
    gaps = [b - a for a, b in itertools.pairwise(ticks) if a - start > WARMUP_S]
    result = {
        "spikes_per_wall_s": scopes.data.received / wall,
        "fps": frames / wall,
        "max_stall_ms": max(gaps, default=0.0) * 1e3,
        "sim_speed": seconds / wall,
        "engine_alone_speed": engine_alone_speed(seconds),
        "gui_thread_cpu_fraction": gui_cpu / wall,
        "spikes": scopes.data.received,
        "dropped_spikes": scopes.data.dropped,
        "frames": frames,
        "wall_s": wall,
        "scope": scope,
        "switch_interval_s": sys.getswitchinterval(),
    }
    scopes.close()
    scopes.deleteLater()
    app.processEvents()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="simulated seconds per run")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scope", default="raster", choices=("raster", "rate", "traces", "isi"))
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval for the run, in seconds (default: Python's, 0.005)")
    args = parser.parse_args()
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = [run_once(app, args.seconds, args.scope) for _ in range(args.repeat)]
    best = max(runs, key=lambda r: r["spikes_per_wall_s"])
    if args.repeat > 1:
        best = {**best, "runs": runs}
    print(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()
