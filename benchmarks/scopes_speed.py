"""Live scopes under CUBA at full engine speed: spikes taken, frame rate, longest GUI stall.

Run: ``.venv/bin/python benchmarks/scopes_speed.py [--seconds 5] [--repeat 3]`` (offscreen
where there is no display).  CUBA (resources/examples/cuba.ncsproj) runs on a worker
thread as fast as the engine goes, putting chunks into a StreamBuffer; a 10 ms QTimer
drains it into ``QtScopes.feed`` while the scopes redraw on their own timer.  A 1 ms
probe timer records the gaps between its ticks: the longest gap is the longest stall
of the GUI event loop.  Prints JSON ``{spikes_per_wall_s, fps, max_stall_ms,
sim_speed, ...}`` (the best of the repeats when there are several: most spikes per
second, with that run's other numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.run.simulation import Simulation, StreamBuffer  # noqa: E402
from studio.project import load_network  # noqa: E402
from views.scopes import QtScopes  # noqa: E402

CUBA = ROOT / "resources" / "examples" / "cuba.ncsproj"
WARMUP_S = 0.3


def run_once(app: QApplication, seconds: float, scope: str = "raster") -> dict:
    """One live run of ``seconds`` simulated seconds with ``scope`` in front."""
    _, network = load_network(CUBA)
    sim = Simulation(network)
    stream = StreamBuffer()
    scopes = QtScopes()
    scopes.set_network(network)
    scopes.resize(1200, 800)
    scopes.tabs.setCurrentWidget(scopes.scopes[scope])
    scopes.show()
    app.processEvents()

    ticks: list[float] = []
    probe = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=1)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    drain = QTimer(interval=10)
    drain.timeout.connect(lambda: scopes.feed(stream.take()))
    worker = threading.Thread(target=sim.run, args=(seconds,), kwargs={"stream": stream}, daemon=True)

    def finish() -> None:
        if worker.is_alive() or len(stream):
            return
        scopes.feed(stream.take())
        app.quit()

    done = QTimer(interval=20)
    done.timeout.connect(finish)
    frames0 = scopes.frames
    start = time.perf_counter()
    for timer in (probe, drain, done):
        timer.start()
    worker.start()
    app.exec()
    wall = time.perf_counter() - start
    for timer in (probe, drain, done):
        timer.stop()
    worker.join()
    frames = scopes.frames - frames0
    gaps = [b - a for a, b in zip(ticks, ticks[1:]) if a - start > WARMUP_S]
    result = {
        "spikes_per_wall_s": scopes.data.received / wall,
        "fps": frames / wall,
        "max_stall_ms": max(gaps, default=0.0) * 1e3,
        "sim_speed": seconds / wall,
        "spikes": scopes.data.received,
        "dropped_spikes": scopes.data.dropped,
        "frames": frames,
        "wall_s": wall,
        "scope": scope,
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
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = [run_once(app, args.seconds, args.scope) for _ in range(args.repeat)]
    best = max(runs, key=lambda r: r["spikes_per_wall_s"])
    if args.repeat > 1:
        best = {**best, "runs": runs}
    print(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()
