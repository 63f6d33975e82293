"""A project on its way to hardware: generate the network core, co-simulate it against the engine.

The studio's side of :mod:`hdl`: reads the project, builds its network in fixed
point (default :data:`~hdl.netcosim.DEFAULT_FORMAT`), and hands it to the
hardware generator or the co-simulation; engine and hardware errors are raised
as :class:`HardwareUnavailable` with one message naming what and why.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from hdl.design import HardwareError, NetworkPlan, plan_network
from hdl.datapath import LoweringError
from hdl.generate import GeneratedDesign, generate
from hdl.netcosim import DEFAULT_FORMAT, NetworkCosimReport, cosimulate_network, cosimulate_plan
from hdl.tools import ToolNotFound
from studio.project.project_file import load_network


class HardwareUnavailable(NeuroCoreError):
    """The project cannot go to hardware; the message names the element and the reason."""


@dataclass(frozen=True)
class CosimRequest:
    """One co-simulation: the project file, the simulated time and the format."""

    path: str
    duration_s: float
    fmt: QFormat = DEFAULT_FORMAT


def _network(path: str | os.PathLike, fmt: QFormat | None):
    fmt = fmt or DEFAULT_FORMAT
    _, network = load_network(path, fmt=fmt)
    return network


def plan_project(path: str | os.PathLike, fmt: QFormat | None = None) -> NetworkPlan:
    """The hardware plan of a project's network, built in fixed point."""
    network = _network(path, fmt)
    try:
        return plan_network(network, Path(path).stem)
    except (HardwareError, LoweringError) as exc:
        raise HardwareUnavailable(f"{Path(path).name}: {exc}") from exc


def generate_project(path: str | os.PathLike, fmt: QFormat | None = None) -> GeneratedDesign:
    """The network core of a project (Verilog, harness, manifest), in memory."""
    network = _network(path, fmt)
    try:
        return generate(plan_network(network, Path(path).stem), str(path))
    except (HardwareError, LoweringError) as exc:
        raise HardwareUnavailable(f"{Path(path).name}: {exc}") from exc


def cosimulate(request: CosimRequest, progress: Callable[[str, float], None] | None = None,
               cancel: threading.Event | None = None) -> NetworkCosimReport:
    """Co-simulate the project's core under Verilator against the engine, step for step."""
    network = _network(request.path, request.fmt)
    nsteps = int(round(request.duration_s / network.dt))
    try:
        return cosimulate_network(network, nsteps, Path(request.path).stem, request.path, progress, cancel)
    except (HardwareError, LoweringError) as exc:
        raise HardwareUnavailable(f"{Path(request.path).name}: {exc}") from exc


def cycles_per_step(path: str | os.PathLike, fmt: QFormat | None = None,
                    cancel: threading.Event | None = None, lanes: int = 1) -> float | None:
    """Clocks per step of the project's core updating ``lanes`` neurons per clock (the plan's ``lanes``, as
    :func:`hdl.estimate.for_board` chooses them), measured over 100 ms in Verilator (None without Verilator)."""
    network = _network(path, fmt)
    try:
        plan = replace(plan_network(network, Path(path).stem), lanes=lanes)
        report = cosimulate_plan(plan, network, int(round(0.1 / network.dt)), str(path), cancel=cancel)
    except ToolNotFound:
        return None
    except (HardwareError, LoweringError) as exc:
        raise HardwareUnavailable(f"{Path(path).name}: {exc}") from exc
    return round(report.cycles_per_step, 1)
