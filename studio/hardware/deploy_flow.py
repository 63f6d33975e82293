"""A project onto a board: build its core for the board (cached by design hash), then program it.

:func:`deploy` runs the stages of :data:`STAGES` — the board build's synthesis,
place and route and bitstream (:func:`hdl.board_build.build_board`, in the
project's build folder, :func:`build_folder`), then programming through
openFPGALoader (:mod:`hdl.programmer`) — and reports each stage as it starts
and every line the tools print.  An unchanged design reuses the bitstream of
its last build and says so.  A board that is not connected fails the program
stage only: the build's report stays in the :class:`DeployResult`.

:func:`deploy_commands` lists what :func:`deploy` would run, for ``--dry-run``.
"""

from __future__ import annotations

import json
import os
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.fixedpoint import QFormat
from hdl.board_build import (NAME, REPORT, STAGES as BUILD_STAGES, TABLES_IMAGE, BoardReport, board_plan, board_tools,
                             build_board, design_hash)
from hdl.board_top import HilPort
from hdl.boards import Board, find_board
from hdl.design import NetworkPlan
from hdl.estimate import for_board, table_storage
from hdl.flash_loader import FLASH_OFFSET
from hdl.netcosim import DEFAULT_FORMAT, cache_root
from hdl.programmer import ProgramCommand, ProgrammingFailed, program, program_command, tables_command
from studio.hardware.hardware_flow import cycles_per_step, plan_project

STAGES = (*BUILD_STAGES, "program")


@dataclass(frozen=True)
class DeployRequest:
    """Build the project file ``path`` for ``board`` in ``fmt`` with the HIL port ``hil``, updating ``lanes``
    neurons per clock (0: as many as the board needs, :func:`plan_for_board`); program it unless ``program``
    is false (into flash with ``flash``); with ``speed``, measure the core's cycles per step in Verilator for
    the report's real-time factor."""

    path: str
    board: str
    fmt: QFormat = DEFAULT_FORMAT
    flash: bool = False
    program: bool = True
    speed: bool = False
    hil: HilPort = HilPort()
    lanes: int = 0


@dataclass(frozen=True)
class DeployResult:
    """A build's report and how programming went (``program_error``: one line, ``""`` when it worked)."""

    report: BoardReport
    folder: str
    command: str
    programmed: bool
    program_error: str = ""


def plan_for_board(path: str | os.PathLike, fmt: QFormat | None, board: Board, lanes: int = 0) -> NetworkPlan:
    """The plan of project ``path`` as it is built for ``board``: its core updating ``lanes`` neurons per clock
    (1 included), or (0) as many as :func:`hdl.estimate.for_board` chooses."""
    plan = plan_project(path, fmt)
    return replace(plan, lanes=lanes) if lanes else for_board(plan, board)


def build_folder(path: str | os.PathLike, board: Board, fmt: QFormat | None = None,
                 clock_hz: float | None = None, hil: HilPort = HilPort()) -> Path:
    """Where project ``path`` is built for ``board`` in ``fmt`` at ``clock_hz`` (default: the board's target)
    with the HIL port ``hil``: ``boards/<project>-<board>-<format>-<clock>MHz[-<port>]`` beside the
    co-simulation cache (:func:`hdl.netcosim.cache_root`); a rebuild of the same design reuses it."""
    clock_mhz = (clock_hz or board.target_hz) / 1e6
    name = f"{Path(path).stem}-{board.name}-{(fmt or DEFAULT_FORMAT).name}-{clock_mhz:g}MHz"
    return cache_root().parent / "boards" / "-".join(filter(None, (name, hil.tag)))


def deploy_commands(request: DeployRequest) -> list[str]:
    """The command lines :func:`deploy` would run, in order (the build's only when it is not cached),
    each as ``(cd FOLDER && COMMAND)``."""
    board = find_board(request.board)
    folder = build_folder(request.path, board, request.fmt, hil=request.hil)
    tools = board_tools(board)
    plan = plan_for_board(request.path, request.fmt, board, request.lanes)
    build = board_plan(plan, board, hil=request.hil)
    lines = []
    if not _cached(folder, design_hash(build, board, tools)):
        by_name = {tool.name: tool for tool in tools.values()}
        script = json.loads(build.files[f"{build.script}.json"])
        lines += [f"(cd {shlex.quote(str(folder))} && {shlex.join([*by_name[argv[0]].argv, *argv[1:]])})"
                  for argv in script["commands"]]
    bitstream = folder / f"{NAME}.{'bin' if board.family == 'ice40' else 'bit'}"
    if request.program:
        loaded = table_storage(plan, board) == "loaded"
        lines += [f"(cd {shlex.quote(str(folder))} && {command})"
                  for command in _program_commands(board, folder, str(bitstream), request.flash, loaded)]
    return lines


def _program_commands(board: Board, folder: Path, bitstream: str, flash: bool, loaded: bool) -> list[ProgramCommand]:
    """The tables' image into the flash (when the core loads its tables from there), then the bitstream."""
    tables = [tables_command(board, folder / TABLES_IMAGE, FLASH_OFFSET)] if loaded else []
    return [*tables, program_command(board, bitstream, flash=flash)]


def _cached(folder: Path, key: str) -> bool:
    saved = folder / REPORT
    if not saved.exists():
        return False
    previous = json.loads(saved.read_text())
    return previous.get("design_hash") == key and Path(previous.get("bitstream", "")).exists()


def build(request: DeployRequest, on_stage: Callable[[str], None] | None = None,
          on_log: Callable[[str], None] | None = None, cancel: threading.Event | None = None) -> BoardReport:
    """Build ``request``'s project for its board in its :func:`build_folder` (or reuse the bitstream of an
    unchanged design, and say so on ``on_log``).

    Raises
    ------
    HardwareUnavailable
        The project cannot go to hardware.
    BuildFailed, BuildCancelled, ToolNotFound
        From :func:`hdl.board_build.build_board`.
    """
    log = on_log or (lambda line: None)
    board = find_board(request.board)
    plan = plan_for_board(request.path, request.fmt, board, request.lanes)
    report = build_board(plan, board, build_folder(request.path, board, request.fmt, hil=request.hil),
                         hil=request.hil, on_stage=on_stage, on_log=on_log, cancel=cancel)
    if report.cached:
        log(f"the design is unchanged since its last build: reusing {report.bitstream}")
    if not request.speed:
        return report
    log("measuring the core's cycles per step in Verilator (100 ms of the network)")
    return report.with_speed(cycles_per_step(request.path, request.fmt, cancel, plan.lanes), plan.dt_s)


def program_board(request: DeployRequest, report: BoardReport, on_stage: Callable[[str], None] | None = None,
                  on_log: Callable[[str], None] | None = None) -> DeployResult:
    """Program the bitstream of ``report`` into ``request``'s board (unless ``request.program`` is false);
    a failure is the result's one-line ``program_error``."""
    log = on_log or (lambda line: None)
    board = find_board(request.board)
    folder = build_folder(request.path, board, request.fmt, hil=request.hil)
    commands = _program_commands(board, folder, report.bitstream, request.flash, (folder / TABLES_IMAGE).is_file())
    shown = " && ".join(map(str, commands))
    if not request.program:
        return DeployResult(report, str(folder), shown, False)
    if on_stage:
        on_stage("program")
    for command in commands:
        log(f"+ {command}")
        try:
            output = program(command)
        except ProgrammingFailed as exc:
            for line in exc.output.splitlines():
                log(line)
            return DeployResult(report, str(folder), shown, False, str(exc))
        for line in output.splitlines():
            log(line)
    return DeployResult(report, str(folder), shown, True)


def deploy(request: DeployRequest, on_stage: Callable[[str], None] | None = None,
           on_log: Callable[[str], None] | None = None, cancel: threading.Event | None = None) -> DeployResult:
    """:func:`build`, then :func:`program_board`: each stage of :data:`STAGES` is announced on ``on_stage``
    as it starts, every line the tools print on ``on_log``."""
    return program_board(request, build(request, on_stage, on_log, cancel), on_stage, on_log)
