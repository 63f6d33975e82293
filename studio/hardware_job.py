"""The hardware workspace's work, Qt-free: a generation or a co-simulation on a worker thread.

A :class:`HardwareJob` runs one immutable request (:class:`GenerateRequest`
or :class:`~studio.hardware.CosimRequest`) on a daemon thread and keeps its
result or its error, never raising into the caller; the GUI polls ``state``,
``label`` and ``progress`` from a timer and reads ``result`` once the job has
ended.  Nothing else crosses the thread boundary.

The hardware reads a project *file*: :func:`project_file` gives the
document's own file when it is saved, else writes a snapshot of what is on
screen, so the workspace always shows the project as it is being edited.
"""

from __future__ import annotations

import re
import threading
import time
import traceback as tb
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from hdl.netcosim import CosimCancelled
from studio.hardware import CosimRequest, cosimulate, generate_project
from studio.project import write_project

JOB_STATES = ("idle", "running", "done", "cancelled", "failed")
_MODULE = re.compile(r"^module\s+(\\\S+|[A-Za-z_][\w$]*)", re.M)
_END = re.compile(r"^endmodule\b.*$", re.M)


@dataclass(frozen=True)
class GenerateRequest:
    """Generate the network core of the project file ``path`` (format ``fmt``, default Q16.16)."""

    path: str
    fmt: QFormat | None = None


Request = GenerateRequest | CosimRequest


class HardwareJob:
    """Run ``request`` on a daemon thread.

    Attributes
    ----------
    state : str
        One of ``JOB_STATES``.
    label, progress
        The phase the work reports (``"building the simulator (Verilator)"``) and the fraction done.
    result
        The :class:`~hdl.generate.GeneratedDesign` or :class:`~hdl.netcosim.NetworkCosimReport`
        (``state == "done"``).
    error, traceback
        A failure's message (meant for the person for project, hardware and tool errors; others
        are bugs and name their type) and traceback (``state == "failed"``).
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
        self.seconds = 0.0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def kind(self) -> str:
        return "co-simulation" if isinstance(self.request, CosimRequest) else "generation"

    def start(self) -> "HardwareJob":
        self.state = "running"
        self._thread = threading.Thread(target=self._work, name=f"hardware {self.kind}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the work to stop at its next phase; its result is discarded either way."""
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set() and not self.finished

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker; whether it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    def _progress(self, label: str, fraction: float) -> None:
        self.label = label
        self.progress = min(1.0, max(0.0, float(fraction)))

    def _work(self) -> None:
        request = self.request
        start = time.perf_counter()
        try:
            if isinstance(request, CosimRequest):
                self.result = cosimulate(request, progress=self._progress, cancel=self._cancel)
            else:
                self._progress("generating the core", 0.0)
                self.result = generate_project(request.path, request.fmt)
            state = "cancelled" if self._cancel.is_set() else "done"
        except CosimCancelled:
            state = "cancelled"
        except Exception as exc:  # a failing job must not take the window down
            self.error = str(exc) if isinstance(exc, NeuroCoreError) else f"{type(exc).__name__}: {exc}"
            self.traceback = tb.format_exc()
            state = "failed"
        self.seconds = time.perf_counter() - start
        if state == "done":
            self.progress = 1.0
        self.state = state  # last: the GUI reads the other fields once it sees this


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
    while not job.finished and time.monotonic() < deadline:
        tick()
        time.sleep(0.005)
    return job.finished
