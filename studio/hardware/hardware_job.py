"""The hardware workspace's work, Qt-free: a generation, a co-simulation or a build and deploy in a worker process.

A :class:`HardwareJob` runs one immutable request (:class:`GenerateRequest`,
:class:`~studio.hardware.hardware_flow.CosimRequest` or
:class:`~studio.hardware.deploy_flow.DeployRequest`) in a child process
(:mod:`studio.hardware.hardware_worker`) and keeps its result or its error, never
raising into the caller; the GUI calls :meth:`HardwareJob.poll` from a timer,
reads ``state``, ``label`` and ``progress``, and ``result`` once the job has
ended.

The hardware reads a project *file*: :func:`project_file` gives the
document's own file when it is saved, else writes a snapshot of what is on
screen, so the workspace always shows the project as it is being edited.
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine.fixedpoint import QFormat
from studio.hardware.deploy_flow import STAGES, DeployRequest
from studio.hardware.hardware_flow import CosimRequest
from studio.hardware.hardware_worker import HEADER
from studio.project.project_file import write_project

JOB_STATES = ("idle", "running", "done", "cancelled", "failed")
_MODULE = re.compile(r"^module\s+(\\\S+|[A-Za-z_][\w$]*)", re.M)
_END = re.compile(r"^endmodule\b.*$", re.M)
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GenerateRequest:
    """Generate the network core of the project file ``path`` (format ``fmt``, default Q16.16)."""

    path: str
    fmt: QFormat | None = None


Request = GenerateRequest | CosimRequest | DeployRequest
STAGE_STATES = ("pending", "running", "done", "cached", "skipped", "failed", "cancelled")


class HardwareJob:
    """Run ``request`` in a child process (:mod:`studio.hardware.hardware_worker`); :meth:`poll` takes what it reported.

    Nothing runs on a thread of this process: the caller polls (the GUI from a timer), so the result
    is unpickled where it is used.

    Attributes
    ----------
    state : str
        One of ``JOB_STATES``.
    label, progress
        The phase the work reports (``"building the simulator (Verilator)"``) and the fraction done.
    result
        The :class:`~hdl.generate.GeneratedDesign`, :class:`~hdl.netcosim.NetworkCosimReport` or
        :class:`~studio.hardware.deploy_flow.DeployResult` (``state == "done"``).
    error, traceback
        A failure's message (meant for the person for project, hardware and tool errors; others
        are bugs and name their type) and traceback (``state == "failed"``).
    details, report
        A failed build's relevant log lines and its :class:`~hdl.board_build.BoardReport` when the
        tools got as far as one (e.g. timing not met).
    stages
        A build and deploy's :data:`~studio.hardware.deploy_flow.STAGES`, each in one of
        :data:`STAGE_STATES` (empty for other work).
    log
        Every line a build and deploy's tools printed so far.
    seconds
        Wall time from start to end.
    """

    def __init__(self, request: Request):
        self.request = request
        self.state = "idle"
        self.label = ""
        self.progress = 0.0
        self.result: Any = None
        self.error = ""
        self.traceback = ""
        self.details: tuple[str, ...] = ()
        self.report = None
        self.stages = dict.fromkeys(STAGES, "pending") if isinstance(request, DeployRequest) else {}
        self.log: list[str] = []
        self.seconds = 0.0
        self._cancelled = False
        self._process: subprocess.Popen | None = None
        self._buffer = bytearray()
        self._stderr = None
        self._start = 0.0

    @property
    def kind(self) -> str:
        if isinstance(self.request, DeployRequest):
            return "build and deploy"
        return "co-simulation" if isinstance(self.request, CosimRequest) else "generation"

    def start(self) -> "HardwareJob":
        self._start = time.perf_counter()
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen([sys.executable, "-m", "studio.hardware.hardware_worker"], cwd=os.getcwd(),
                                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                         start_new_session=True)  # stop() ends Verilator and make too
        data = pickle.dumps(self.request, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.write(HEADER.pack(len(data)) + data)
        self._process.stdin.flush()
        os.set_blocking(self._process.stdout.fileno(), False)
        self.state = "running"
        return self

    def cancel(self) -> None:
        """Stop the work: a generation at once, a co-simulation at its next phase (a Verilator build
        finishes first, so the cache never holds half a build), a board build by stopping its tools;
        its result is discarded either way."""
        if self.finished or self._process is None or self._cancelled:
            return
        self._cancelled = True
        if isinstance(self.request, (CosimRequest, DeployRequest)):
            try:
                self._process.stdin.write(b"cancel\n")
                self._process.stdin.flush()
            except OSError:
                pass
        else:
            self._process.terminate()

    def stop(self) -> None:
        """End the work now (its process group: the worker, Verilator, make), as cancelled."""
        if self.finished or self._process is None:
            return
        self._cancelled = True
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
        except OSError:
            pass
        self._end("cancelled")

    @property
    def cancelling(self) -> bool:
        return self._cancelled and not self.finished

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def poll(self) -> bool:
        """Take what the child reported so far; whether the job has ended."""
        process = self._process
        if process is None or self.finished:
            return self.finished
        while True:
            try:
                chunk = os.read(process.stdout.fileno(), 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._buffer += chunk
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if len(self._buffer) < HEADER.size + size:
                break
            message = pickle.loads(bytes(self._buffer[HEADER.size:HEADER.size + size]))
            del self._buffer[:HEADER.size + size]
            self._take(message)
        if not self.finished and process.poll() is not None:
            if self._cancelled:
                self._end("cancelled")
            else:
                self._stderr.seek(0)
                text = self._stderr.read().decode(errors="replace").strip()
                self.error = f"the hardware worker stopped (exit status {process.returncode})"
                self.traceback = text
                self._end("failed")
        return self.finished

    def _take(self, message: tuple) -> None:
        kind = message[0]
        if kind == "progress":
            self.label, self.progress = message[1], min(1.0, max(0.0, float(message[2])))
        elif kind == "stage":
            self._stage_ends("done")
            self.stages[message[1]] = "running"
            self.label = message[1]
        elif kind == "log":
            self.log.append(message[1])
        elif kind == "done":
            self.result = message[1]
            self.progress = 1.0
            if self.stages:
                self._deployed(message[1])
            self._end("cancelled" if self._cancelled else "done")
        elif kind == "cancelled":
            self._stage_ends("cancelled")
            self._end("cancelled")
        elif kind == "failed":
            self.error, self.traceback = message[1], message[2]
            self.details, self.report = (tuple(message[3]), message[4]) if len(message) > 3 else ((), None)
            self._stage_ends("failed")
            self._end("failed")

    def _stage_ends(self, state: str) -> None:
        for name, now in self.stages.items():
            if now == "running":
                self.stages[name] = state

    def _deployed(self, result) -> None:
        """The stages' end states from a :class:`~studio.hardware.deploy_flow.DeployResult`."""
        self._stage_ends("done")
        for name in STAGES[:-1]:
            if self.stages[name] == "pending":
                self.stages[name] = "cached" if result.report.cached else "done"
        if not result.programmed:
            self.stages[STAGES[-1]] = "failed" if result.program_error else "skipped"

    def _end(self, state: str) -> None:
        self.seconds = time.perf_counter() - self._start
        process = self._process
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()
            process.wait()
        process.stdout.close()
        self._stderr.close()
        self.state = state

    def wait(self, timeout: float | None = None) -> bool:
        """Poll until the job has ended (or ``timeout`` seconds); whether it ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll() and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.01)
        return self.finished


def project_file(document, modified: bool, folder: str | Path) -> Path:
    """The project file the hardware reads for ``document``.

    The document's own file when it has one and ``modified`` is false; otherwise a snapshot of the
    document written to ``folder`` under the document's title (so the core's modules keep its name).
    """
    path = document.path
    if path is not None and not modified and Path(path).is_file():
        return Path(path)
    target = Path(folder) / f"{document.title}.ncsproj"
    write_project(target, document.to_project())
    return target


def verilog_modules(text: str) -> list[tuple[str, str]]:
    """The modules of a Verilog file as ``(name, text)``, in file order.

    Escaped identifiers (``\\hil_demo.pop_E``) are named without their backslash; the text of the
    first module includes what precedes it (the file's header comment), the last what follows it.
    """
    starts = list(_MODULE.finditer(text))
    modules = []
    for k, m in enumerate(starts):
        begin = 0 if k == 0 else m.start()
        stop = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        end = _END.search(text, m.end(), stop)
        body_end = end.end() if end is not None and k + 1 < len(starts) else stop
        modules.append((m.group(1).lstrip("\\"), text[begin:body_end].rstrip() + "\n"))
    return modules


def cosim_verdict(summary: dict, dt_ms: float) -> str:
    """One paragraph on a co-simulation: bit-exact or where it diverges, then the numbers (plain text)."""
    steps = summary["steps"]
    build = "cached" if summary.get("cached") else f"{summary['build_s']:.1f} s"
    numbers = (f"{steps:,} steps ({steps * dt_ms:g} ms); spikes: core {summary['spikes_rtl']:,}, "
               f"engine {summary['spikes_engine']:,}; {summary['cycles_per_step']:g} cycles per step "
               f"(max {summary.get('max_cycles_per_step', 0):,}); {summary['steps_per_s']:,.0f} steps/s under "
               f"Verilator; build {build}")
    extras = [f"{summary[k]:,} {k.replace('_', ' ')}" for k in ("queue_overflows", "overflow_events")
              if summary.get(k)]
    if extras:
        numbers += "; " + ", ".join(extras)
    first = summary.get("first_divergence")
    if first is None:
        return f"Bit-exact: the core and the engine agree on every spike and probed value. {numbers}."
    at = (first["step"] + 1) * dt_ms
    return (f"Not bit-exact: first divergence at step {first['step']:,} (t = {at:g} ms), "
            f"{first['population']}[{first['neuron']}] {first['variable']}: core {first['rtl']}, "
            f"engine {first['engine']}. {numbers}.")


def manifest_totals(manifest: dict) -> dict[str, int]:
    """Neurons, synapses and memory bits of a core's manifest."""
    return {"neurons": sum(p["size"] for p in manifest.get("populations", [])),
            "synapses": sum(p.get("synapses", 0) for p in manifest.get("projections", [])),
            "memory_bits": sum(m.get("bits", 0) for m in manifest.get("memories", []))}


def wait_for(job: HardwareJob, tick: Callable[[], None], timeout: float = 600.0) -> bool:
    """Call ``tick`` (e.g. the GUI's event processing) until ``job`` has ended; whether it did."""
    deadline = time.monotonic() + timeout
    while not job.poll() and time.monotonic() < deadline:
        tick()
        time.sleep(0.005)
    return job.finished
