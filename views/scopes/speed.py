"""Speed test of each scope alone, in the manner of pyqtgraph's PlotSpeedTest.

Run: ``python -m views.scopes.speed raster|rate|traces|isi|bitstreams [--seconds 5] [--ms-per-frame 50]``.
A timer feeds synthetic CUBA-sized chunks (4000 neurons at about 5.5 Hz, five
sampled traces at 0.1 ms) as fast as the event loop turns and the scope in front
redraws; the bitstream scope is fed the chunks of the SC demo run in Q16.16
instead (it needs a network's SC projections).  The window title shows the frame
rate, and the totals are printed at the end.  Offscreen where there is no display.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from importlib.resources import files

import numpy as np

from engine.fixedpoint import QFormat
from engine.run.simulation import Chunk, Simulation, StreamBuffer
from studio.project.project_file import load_network
from views.scopes.history import RecorderInfo

SCOPES = ("raster", "rate", "traces", "isi", "bitstreams")
SIZES = {"E": 3200, "I": 800}
RECORDER = RecorderInfo(("v",), (0, 1, 2, 3, 4))


class SyntheticRun:
    """Poisson spikes and random-walk traces, chunk after chunk, on a 0.1 ms grid."""

    def __init__(self, rate_hz: float = 5.5, seed: int = 0):
        self.rate_hz = rate_hz
        self.t_ms = 0.0
        self.rng = np.random.default_rng(seed)
        self.v = np.full((1, len(RECORDER.neurons)), -60.0)

    def chunk(self, ms: float) -> Chunk:
        start, rng = self.t_ms, self.rng
        steps = int(round(ms * 10))
        spikes = {}
        for name, size in SIZES.items():
            k = rng.poisson(size * self.rate_hz * ms * 1e-3)
            t = start + (np.sort(rng.integers(0, steps, k)) + 1) * 0.1
            spikes[name] = (t, rng.integers(0, size, k).astype(np.int32))
        walk = np.cumsum(rng.normal(0, 0.3, (steps, *self.v.shape)), axis=0) + self.v
        self.v = walk[-1]
        t = start + (np.arange(steps) + 1) * 0.1
        self.t_ms = start + steps * 0.1
        return Chunk(start, self.t_ms, spikes, {"v_E": (t, walk)})

    def chunks(self, ms: float) -> list[Chunk]:
        return [self.chunk(ms)]


class ScDemoRun:
    """The SC demo (resources/examples/sc_demo.ncsproj) in Q16.16, run ``ms`` at a time."""

    def __init__(self):
        _, self.network = load_network(files("resources") / "examples" / "sc_demo.ncsproj",
                                       fmt=QFormat.parse("Q16.16"))
        self.simulation = Simulation(self.network)
        self.buffer = StreamBuffer(max_chunks=1000)

    @property
    def t_ms(self) -> float:
        return self.simulation.t_ms

    def chunks(self, ms: float) -> list[Chunk]:
        self.simulation.run(ms * 1e-3, stream=self.buffer)
        return self.buffer.take()


def run(scope: str, seconds: float, ms_per_frame: float = 50.0) -> dict:
    """Feed and redraw ``scope`` for ``seconds`` of wall time; frames drawn and frames per second."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from views.scopes.scope_panel import ScopePanel

    _app = QApplication.instance() or QApplication([])  # kept alive while the scopes run
    scopes = ScopePanel()
    scopes.timer.stop()
    if scope == "bitstreams":
        source, target = ScDemoRun(), scopes.bitstreams
        scopes.set_network(source.network)
    else:
        source, target = SyntheticRun(), scopes.scopes[scope]
        scopes.configure(SIZES, {"v_E": RECORDER})
    scopes.tabs.setCurrentWidget(target)
    scopes.resize(1000, 600)
    scopes.show()
    start = last = time.perf_counter()
    frames0 = counted = target.frames

    def update() -> None:
        nonlocal last, counted
        scopes.feed(source.chunks(ms_per_frame))
        scopes.refresh()
        now = time.perf_counter()
        if now - last >= 1.0:
            scopes.setWindowTitle(f"{scope}: {(target.frames - counted) / (now - last):.1f} fps")
            last, counted = now, target.frames
        if now - start >= seconds:
            loop.quit()

    loop = QEventLoop()  # a loop of its own: quitting the application would end the caller's too
    timer = QTimer(interval=0)
    timer.timeout.connect(update)
    timer.start()
    loop.exec()
    timer.stop()
    scopes.close()
    wall = time.perf_counter() - start
    frames = target.frames - frames0
    result = {"scope": scope, "frames": frames, "fps": frames / wall, "spikes": scopes.data.received,
              "simulated_s": source.t_ms / 1e3, "wall_s": wall}
    scopes.close()
    scopes.deleteLater()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scope", choices=SCOPES)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--ms-per-frame", type=float, default=50.0, help="simulated ms fed per frame")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(run(args.scope, args.seconds, args.ms_per_frame)))


if __name__ == "__main__":
    main()
