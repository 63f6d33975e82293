"""A project's resource estimate on a board, Qt-free, quick enough to follow each edit.

:func:`estimate_project` builds the network of a project description (the
document's snapshot, never a file) in a Q format, plans its core and estimates
it against the board's device (:func:`hdl.estimate.estimate_resources`); a
project the hardware cannot take raises :class:`HardwareUnavailable` with one
line naming the element and why.  :class:`EstimateRunner` runs the latest
request on one worker thread and drops requests that a newer one overtook.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass

from engine.errors import NeuroCoreError, Problem
from engine.fixedpoint import QFormat
from hdl.boards import find_board
from hdl.datapath import LoweringError
from hdl.design import HardwareError, plan_network
from hdl.estimate import ResourceEstimate, estimate_resources
from studio.hardware.hardware_flow import HardwareUnavailable
from studio.project.network_def import network_def
from studio.project.project_doc import ProjectDoc
from studio.project.project_file import ProjectFileError, build_project


@dataclass(frozen=True)
class EstimateRequest:
    """Estimate ``project`` (named ``title``) on ``board`` in the format ``fmt``."""

    project: ProjectDoc
    title: str
    board: str
    fmt: QFormat


def estimate_project(request: EstimateRequest) -> ResourceEstimate:
    """The resource estimate of ``request``.

    Raises
    ------
    HardwareUnavailable
        The project has a problem, or the hardware cannot build it (one line, naming where).
    """
    title = request.title
    problems: list[Problem] = []
    try:
        net = network_def(request.project, problems)
        if net is None:
            raise ProjectFileError(title, problems)
        network = build_project(title, request.project, net, request.fmt)
        return estimate_resources(plan_network(network, title), find_board(request.board))
    except ProjectFileError as exc:
        first = str(exc).splitlines()[0]
        more = len(exc.problems) - 1
        raise HardwareUnavailable(first + (f" (and {more} more)" if more > 0 else "")) from exc
    except (HardwareError, LoweringError) as exc:
        raise HardwareUnavailable(f"{title}: {exc}") from exc


class EstimateRunner:
    """Runs estimates one at a time on a worker thread; :meth:`poll` gives the newest finished one.

    A request made while another runs waits; a newer one replaces it (only the document as it is
    now matters).
    """

    def __init__(self):
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="estimate")
        self._running: concurrent.futures.Future | None = None
        self._waiting: EstimateRequest | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def request(self, request: EstimateRequest) -> None:
        """Estimate ``request`` as soon as the worker is free."""
        self._waiting = request
        self._launch()

    def _launch(self) -> None:
        if self._running is None and self._waiting is not None:
            self._running = self._pool.submit(_outcome, self._waiting)
            self._waiting = None

    def poll(self) -> tuple[EstimateRequest, ResourceEstimate | None, str] | None:
        """``(request, estimate, error)`` of a finished estimate no newer request waits behind, else None."""
        future = self._running
        if future is None or not future.done():
            return None
        self._running = None
        stale = self._waiting is not None
        self._launch()
        return None if stale else future.result()

    def close(self) -> None:
        """Forget waiting requests; the worker ends after the one it runs."""
        self._waiting = None
        self._pool.shutdown(wait=False, cancel_futures=True)


def _outcome(request: EstimateRequest) -> tuple[EstimateRequest, ResourceEstimate | None, str]:
    try:
        return request, estimate_project(request), ""
    except NeuroCoreError as exc:
        return request, None, str(exc)
    except Exception as exc:  # a bug: shown as such, never raised into the GUI's timer
        return request, None, f"{type(exc).__name__}: {exc}"
