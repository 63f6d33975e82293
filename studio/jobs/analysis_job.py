"""One analysis (a sweep, a format search) on a worker thread, with progress and cancel (Qt-free).

The request is immutable; the worker calls the analysis and keeps its result
or its error, never raising into the caller.  The GUI polls ``state`` and
``progress`` from a timer and reads ``result`` once the job is done; nothing
else crosses the thread boundary.
"""

from __future__ import annotations

import inspect
import threading
import time
import traceback as tb
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from engine.analysis.common import Cancelled
from engine.errors import NeuroCoreError

JOB_STATES = ("idle", "running", "done", "cancelled", "failed")


@dataclass(frozen=True)
class AnalysisRequest:
    """Call ``function(*args, **kwargs)``; ``cancel`` and ``progress`` are passed when it takes them."""

    function: Callable[..., Any]
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    title: str = "analysis"

    @property
    def cancellable(self) -> bool:
        """Whether the function stops part-way when cancelled (else a cancel only discards its result)."""
        return "cancel" in inspect.signature(self.function).parameters


class AnalysisJob:
    """Run ``request`` on a daemon thread.

    Attributes
    ----------
    state : str
        One of ``JOB_STATES``.
    progress : float
        Fraction done (0..1) as the analysis reports it.
    result
        What the function returned (``state == "done"``).
    error, traceback
        The message and traceback of a failure (``state == "failed"``); an
        engine error's message is meant for the person, others are bugs.
    seconds
        Wall time from start to end.
    """

    def __init__(self, request: AnalysisRequest):
        self.request = request
        self.state = "idle"
        self.progress = 0.0
        self.result: Any = None
        self.error = ""
        self.traceback = ""
        self.seconds = 0.0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "AnalysisJob":
        self.state = "running"
        self._thread = threading.Thread(target=self._work, name=f"analysis: {self.request.title}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the analysis to stop; its result is discarded either way."""
        self._cancel.set()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker; whether it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    def _set_progress(self, fraction: float) -> None:
        self.progress = min(1.0, max(0.0, float(fraction)))

    def _work(self) -> None:
        req = self.request
        kwargs = dict(req.kwargs)
        if req.cancellable:
            kwargs.update(cancel=self._cancel, progress=self._set_progress)
        start = time.perf_counter()
        try:
            self.result = req.function(*req.args, **kwargs)
            state = "cancelled" if self._cancel.is_set() else "done"
        except Cancelled:
            state = "cancelled"
        except Exception as exc:  # a failing analysis must not take the window down
            self.error = str(exc) if isinstance(exc, NeuroCoreError) else f"{type(exc).__name__}: {exc}"
            self.traceback = tb.format_exc()
            state = "failed"
        self.seconds = time.perf_counter() - start
        if state == "done":
            self.progress = 1.0
        self.state = state  # last: the GUI reads the other fields once it sees this
