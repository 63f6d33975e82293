"""HIL panel latency: from a frame's arrival on the host to the raster's pixels, at hil_demo's real-time rate.

Run: ``.venv/bin/python benchmarks/hil_panel_latency.py [--board fake|virtual] [--steps 20000] [--probe]``
(offscreen where there is no display).  The board runs in a process of its own: ``fake`` is the
tests' stand-in (tests/studio/hil_fake_board.py: the engine's spikes at 10,000 steps per second, the
rate of hil_demo in real time), ``virtual`` the virtual board (the board top under Verilator, as fast
as it goes).  A relay process between board and panel stamps every chunk of bytes it passes on (the
arrival); the panel's plots (the raster, and the probed traces) stamp every paint with the bytes drawn
by then.  A chunk's latency is the time from its arrival to the first paint that includes it.  Prints JSON
``{latency_ms: {median, p95, max}, frames_per_s, paints_per_s, ...}``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import select
import socket
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HIL_DEMO = str(ROOT / "resources" / "examples" / "hil_demo.ncsproj")


def _fake_board_class():
    """tests/studio/hil_fake_board.py's FakeBoard, loaded by its path: our tests/ is a namespace package, so a
    regular ``tests`` package another distribution installs (nestml does) would win an ``import tests``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hil_fake_board", ROOT / "tests" / "studio" / "hil_fake_board.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeBoard


def _board(kind: str, addresses) -> None:
    if kind == "fake":
        board = _fake_board_class()(HIL_DEMO, steps=10_000_000)
        addresses.put(board.address)
        time.sleep(3600)
    from hdl.design import plan_network
    from hdl.netcosim import DEFAULT_FORMAT
    from hdl.virtual_board import VirtualBoard, build_virtual_board
    from studio.project.project_file import load_network

    _, network = load_network(HIL_DEMO, fmt=DEFAULT_FORMAT)
    board = VirtualBoard.start(build_virtual_board(plan_network(network, "hil_demo")))
    addresses.put(board.address)
    try:
        time.sleep(3600)
    finally:
        board.stop()


def _relay(target: str, addresses, log) -> None:
    """Pass bytes both ways between one client and ``target``; stamp each chunk from the board."""
    host, port = target[4:].rsplit(":", 1)
    server = socket.create_server(("127.0.0.1", 0))
    addresses.put(f"tcp:127.0.0.1:{server.getsockname()[1]}")
    client, _ = server.accept()
    board = socket.create_connection((host, int(port)))
    for s in (client, board):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stamps, total = [], 0
    while True:
        ready, _, _ = select.select([client, board], [], [], 0.5)
        if client in ready:
            data = client.recv(65536)
            if not data:
                break
            board.sendall(data)
        if board in ready:
            data = board.recv(65536)
            if not data:
                break
            client.sendall(data)
            total += len(data)
            stamps.append((time.monotonic(), total))
    log.put(stamps)


def measure(kind: str, steps: int, probe: bool) -> dict:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from hdl.hil_protocol import RunSteps
    from views.hil.hil_panel import HilPanel

    ctx = multiprocessing.get_context("spawn")
    addresses, log = ctx.Queue(), ctx.Queue()
    board = ctx.Process(target=_board, args=(kind, addresses), daemon=True)
    board.start()
    relay = ctx.Process(target=_relay, args=(addresses.get(timeout=600), addresses, log), daemon=True)
    relay.start()
    address = addresses.get(timeout=30)
    _app = QApplication.instance() or QApplication([])  # alive while the panel is
    panel = HilPanel(HIL_DEMO, folder=Path(os.environ.get("TMPDIR", "/tmp")) / "ncstudio-hil-bench")
    panel.resize(1440, 860)
    panel.show()
    paints, drawn = [], [None]
    original = panel._draw

    def draw():
        before = panel._drawn
        original()
        if panel.session.link is not None and panel._drawn != before:
            drawn[0] = panel.session.link.stats.bytes

    panel._draw = draw

    class Stamp(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and drawn[0] is not None:
                paints.append((time.monotonic(), drawn[0]))
                drawn[0] = None
            return False

    stamp = Stamp()
    for plot in (panel.raster, panel.traces):
        plot.widget.viewport().installEventFilter(stamp)

    def spin(condition, timeout):
        end = time.monotonic() + timeout
        while not condition():
            loop = QEventLoop()
            QTimer.singleShot(5, loop.quit)
            loop.exec()
            if time.monotonic() > end:
                raise TimeoutError(f"state {panel.session.state}, {panel.session.error}")

    spin(lambda: panel.session.engine is not None, 60)
    panel.connect_board(address)
    spin(lambda: panel.session.state == "connected", 30)
    if probe:
        panel.probe()
    start, cpu = time.monotonic(), time.process_time()
    panel.session.send(RunSteps(steps=steps))
    spin(lambda: panel.session.telemetry.status is not None and panel.session.telemetry.status.step >= steps
         and not panel.session.telemetry.status.running, 600)
    wall, cpu = time.monotonic() - start, time.process_time() - cpu
    settled = time.monotonic() + 1.0  # the last frames (a Status) may change no plot
    spin(lambda: drawn[0] is None or time.monotonic() > settled, 5)
    frames = panel.session.link.stats.frames_ok
    spikes = int(panel.session.telemetry.spikes()[0].size)
    agree = panel.session.divergence is None
    panel.close_session()
    stamps = log.get(timeout=10)
    board.terminate()
    latencies = []
    k = 0
    for arrived, total in stamps:
        while k < len(paints) and paints[k][1] < total:
            k += 1
        if k < len(paints) and paints[k][0] >= arrived:
            latencies.append(paints[k][0] - arrived)
    latencies.sort()
    pick = lambda q: round(1e3 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)
    return {"board": kind, "steps": steps, "probes": probe, "wall_s": round(wall, 2),
            "steps_per_wall_s": round(steps / wall), "spikes": spikes, "frames_per_s": round(frames / wall),
            "paints_per_s": round(len(paints) / wall, 1), "gui_cpu_share": round(cpu / wall, 2),
            "chunks": len(latencies), "latency_ms": {"median": pick(0.5), "p95": pick(0.95), "max": pick(1.0)},
            "matches_engine": agree, "load_average": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", choices=("fake", "virtual"), default="fake")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--probe", action="store_true", help="probe the recorders' neurons (every 10 steps)")
    args = parser.parse_args()
    print(json.dumps(measure(args.board, args.steps, args.probe), indent=1))


if __name__ == "__main__":
    main()
