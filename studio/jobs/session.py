"""A live run of a document's network on a worker thread (Qt-free; the GUI polls it from a timer).

The session takes an immutable snapshot of the project when it is made; the
worker builds the network from that snapshot (off the GUI thread: the caller
returns at once) and runs it chunk by chunk (the Cython loop releases the
GIL), putting each chunk into ``buffer``.  Control
calls (``pause``, ``resume``, ``step_chunk``, ``stop``) and parameter changes
are queued and take effect at the next chunk boundary; every one is written
to ``log``.  The worker never touches the document: a failure leaves
``state == "failed"`` with ``error`` and ``traceback`` and nothing else
changed, and a new session can start at once.
"""

from __future__ import annotations

import threading
import time
import traceback as tb
from collections import deque
from pathlib import Path

from engine.errors import NeuroCoreError, Problem
from engine.equations.units import Quantity
from engine.network.build import Network, NetworkError
from engine.run.simulation import Simulation, StreamBuffer
from studio.document.document import Document
from studio.project.project_file import build_project, project_network
from studio.project.project_doc import ProjectDoc
from studio.project.constants import Constants

STATES = ("idle", "running", "paused", "finished", "failed")
_SPEED_WINDOW_S = 1.0


class SessionError(NeuroCoreError):
    """A session was used the wrong way (started twice)."""


class RunSession:
    """Run the network of a document (or a project description, or a built network) live.

    Parameters
    ----------
    source
        A :class:`Document` (snapshotted now), a ``ProjectDoc``, or a built ``Network``.
    chunk_ms
        Simulated time per chunk: the granularity of streaming, pausing and parameter changes.
    path
        The name errors are reported under (default: the document's path or title).
    threads
        Threads the run uses (the same results on any number; see :func:`engine.run.simulation.max_threads`).
    fmt
        Run in this fixed-point format (a ``QFormat``; SC projections need one), or in float (``None``).

    Attributes
    ----------
    state : str
        ``"idle"``, ``"running"``, ``"paused"``, ``"finished"`` (ran its time, or stopped) or ``"failed"``.
    buffer : StreamBuffer
        The chunks for the scopes; take them with ``buffer.take()``.
    log : list[str]
        What happened, one line each (``"t = 120 ms: E.Vt = -52 mV"``).
    error, traceback
        The exception that ended the worker and its formatted traceback (``None`` and ``""`` otherwise).
    simulation
        The engine's :class:`Simulation` once built (read its recordings only after the session ended).
    """

    def __init__(self, source: Document | ProjectDoc | Network, chunk_ms: float = 10.0,
                 path: str | Path | None = None, threads: int = 1, fmt=None):
        self._network = source if isinstance(source, Network) else None
        self._project = source.to_project() if isinstance(source, Document) else (
            source if isinstance(source, ProjectDoc) else None)
        name = path or (source.path or source.title if isinstance(source, Document) else "<project>")
        self._path = str(name)
        self.chunk_ms = float(chunk_ms)
        self.threads = threads
        self.fmt = fmt
        self.buffer = StreamBuffer()
        self.log: list[str] = []
        self.state = "idle"
        self.error: BaseException | None = None
        self.traceback = ""
        self.simulation: Simulation | None = None
        self.speed = 0.0
        self._cond = threading.Condition()
        self._paused = False
        self._steps = 0
        self._stop = False
        self._changes: deque[tuple[str, str, str | float]] = deque()
        self._thread: threading.Thread | None = None

    # -- control (any thread) -----------------------------------------------------------
    def start(self, duration_s: float | None = None, paused: bool = False) -> None:
        """Build the network and run it on a worker thread for ``duration_s`` simulated seconds
        (``None``: until stopped); returns at once.  ``simulation`` is set once the network is built."""
        if self.state != "idle":
            raise SessionError(f"this session is {self.state}; start a new session to run again")
        self._paused = paused
        self.state = "paused" if paused else "running"
        self._thread = threading.Thread(target=self._work, args=(duration_s,), name="RunSession", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Pause after the chunk being computed."""
        with self._cond:
            if self.state == "running":
                self._paused = True
                self.state = "paused"
                self._note("paused")

    def resume(self) -> None:
        with self._cond:
            if self.state == "paused":
                self._paused = False
                self.state = "running"
                self._note("resumed")
                self._cond.notify_all()

    def step_chunk(self) -> None:
        """Run one chunk, then stay paused (starts a paused session if idle)."""
        if self.state == "idle":
            self.start(paused=True)
        with self._cond:
            if self.state in ("running", "paused"):
                self._paused = True
                self.state = "paused"
                self._steps += 1
                self._cond.notify_all()

    def stop(self) -> None:
        """End the run at the next chunk boundary (the state becomes ``"finished"``)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def set_parameter(self, population: str, name: str, value_text: str) -> None:
        """Queue ``population.name = value_text`` (a quantity, or an expression over the project's
        constants) for the next chunk boundary; the log says whether it was applied."""
        with self._cond:
            self._changes.append(("parameter", f"{population}.{name}", value_text))
            self._cond.notify_all()

    def set_weight_scale(self, projection: str, scale: float) -> None:
        """Queue multiplying the weights of ``projection`` by ``scale`` for the next chunk boundary."""
        with self._cond:
            self._changes.append(("weight_scale", projection, float(scale)))
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; ``False`` if it is still running after ``timeout`` seconds."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    @property
    def t_ms(self) -> float:
        """Simulated time reached."""
        return self.simulation.t_ms if self.simulation is not None else 0.0

    # -- the worker -------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        self.log.append(f"t = {self.t_ms:g} ms: {text}")

    def _build(self) -> Simulation:
        network = self._network
        if network is None:
            assert self._project is not None
            network = build_project(self._path, self._project, project_network(self._path, self._project),
                                    self.fmt)
        chunk_steps = max(1, int(round(self.chunk_ms * 1e-3 / network.dt)))
        for note in network.notes:  # settings this run does not apply (SC arithmetic in a float run)
            self._note(note)
        return Simulation(network, chunk_steps, self.threads)

    def _apply(self, sim: Simulation, change: tuple[str, str, str | float]) -> None:
        kind, target, value = change
        try:
            if kind == "parameter":
                population, _, name = target.partition(".")
                sim.set_parameter(population, name, self._quantity(str(value)))
            else:
                sim.set_weight_scale(target, float(value))
        except NeuroCoreError as exc:
            self._note(f"not applied: {target} = {value}: {exc}")
            return
        self.log.append(sim.log[-1])

    def _quantity(self, text: str) -> Quantity | str:
        """``text`` with the project's constants evaluated (``"we"`` -> 1.62 mV)."""
        if self._project is None:
            return text
        problems: list[Problem] = []
        value = Constants(self._project.constants, problems).quantity(text, "value", problems)
        if value is None:
            raise NetworkError(problems[-1].message if problems else f"`{text}` is not a quantity")
        return value

    def _next(self, sim: Simulation) -> bool:
        """Wait until a chunk may run (applying changes meanwhile); ``False`` when the run should end."""
        while True:
            with self._cond:
                while self._paused and not (self._stop or self._steps or self._changes):
                    self._cond.wait()
                changes = list(self._changes)
                self._changes.clear()
                stop, go = self._stop, not self._paused or self._steps > 0
                if go and not stop and self._steps:
                    self._steps -= 1
            for change in changes:
                self._apply(sim, change)
            if stop:
                return False
            if go:
                return True

    def _work(self, duration_s: float | None) -> None:
        # The build runs here, on the worker, like the chunks.  Built on the GUI thread it froze the
        # window for its whole length (Brunel: ~1.5 s without one event processed).  The deadlock once
        # blamed for moving it there was the cycle collector finalizing Qt objects on this thread (the
        # studio collects on the GUI thread only: views.app.collect_garbage_on_gui_thread); beside the Qt
        # event loop the build keeps the loop turning, since Python gives the GIL back every switch
        # interval and the Qt loop releases it while it waits.  What remains are single NumPy calls
        # that hold the GIL for their whole length (Brunel's rng.integers over 10 M partners in
        # engine/network/connect.py: 60-150 ms gaps between ticks of a 10 ms timer).  The one Qt wait
        # found holding the GIL is QTest.qWait (a native sleep: a Python worker beside it ran ~30x
        # slower); pytest-qt's waits run a QEventLoop, which releases it, and the studio never calls it.
        try:
            self.simulation = sim = self._build()
            dt = sim.network.dt
            total = None if duration_s is None else int(round(duration_s / dt))
            self._note(f"started ({'until stopped' if total is None else f'{total * dt * 1e3:g} ms'})")
            recent: deque[tuple[float, float, float]] = deque()
            while (total is None or sim.step < total) and self._next(sim):
                n = sim.chunk_steps if total is None else min(sim.chunk_steps, total - sim.step)
                start = time.perf_counter()
                sim.run(n * dt, stream=self.buffer)
                now = time.perf_counter()
                recent.append((now, now - start, n * dt))
                while now - recent[0][0] > _SPEED_WINDOW_S:
                    recent.popleft()
                self.speed = sum(r[2] for r in recent) / max(sum(r[1] for r in recent), 1e-9)
            self._note("stopped" if self._stop else "finished")
            self._end("finished")
        except BaseException as exc:  # the worker reports every failure; the GUI shows it
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.traceback = "".join(tb.format_exception(exc))
        self._note(f"failed: {exc}")
        self._end("failed")

    def _end(self, state: str) -> None:
        with self._cond:
            self.state = state

    def problems(self) -> list[Problem]:
        """The located problems of a failure (a ``ProjectFileError``'s, else the message alone)."""
        if self.error is None:
            return []
        return list(getattr(self.error, "problems", None) or [Problem("", 0, 0, str(self.error))])
