"""Programming a board's FPGA with openFPGALoader, one programmer for every board.

:func:`program_command` is the exact command line (``openFPGALoader -b LOADER
--write-sram|--write-flash BITSTREAM``, the board's name from
:mod:`hdl.boards`), so a dry run can print it; :func:`program` runs it and turns
what openFPGALoader prints into one plain line when it fails: no board on the
USB cable (:class:`BoardNotFound`), no permission to open it, a board name it
does not know, or the system libraries it needs to start
(:func:`hdl.tools.missing_libraries`, with the Debian packages that install them).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NeuroCoreError
from hdl.tools import ToolCommand, ToolFailed, missing_libraries, require_tool, run_command

__all__ = ["BoardNotFound", "ProgramCommand", "ProgrammingFailed", "explain_failure", "program", "program_command",
           "tables_command"]

# What openFPGALoader prints when the cable or the board is not there (FTDI, DFU, JTAG probes), the most
# telling first.
_NO_BOARD = tuple(re.compile(p, re.I) for p in (r"device not found", r"No DFU compatible device", r"no device found",
                                                 r"Open device \S+ Not found", r"JTAG init failed",
                                                 r"Failed to claim cable"))
_NO_PERMISSION = re.compile(r"LIBUSB_ERROR_ACCESS|insufficient permissions|Permission denied", re.I)
_UNKNOWN_BOARD = re.compile(r"cannot find board '([^']*)'")


class ProgrammingFailed(NeuroCoreError):
    """openFPGALoader could not program the board; the message is one line, ``output`` what it printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


class BoardNotFound(ProgrammingFailed):
    """No board (or no programming cable) is connected."""


@dataclass(frozen=True)
class ProgramCommand:
    """One run of openFPGALoader: the board it is for, the full command line, the file it writes (``bitstream``,
    a bitstream or the core's table image: ``what``), SRAM or flash."""

    board: str
    argv: tuple[str, ...]
    bitstream: Path
    flash: bool
    what: str = "bitstream"  # what the file is, for messages

    def __str__(self) -> str:
        return shlex.join(self.argv)


def program_command(board, bitstream: str | Path, *, flash: bool = False,
                    tool: ToolCommand | None = None) -> ProgramCommand:
    """The openFPGALoader command that loads ``bitstream`` into ``board`` (an :class:`hdl.boards.Board`).

    SRAM by default (lost at power-off); ``flash`` writes the board's configuration flash instead.

    Raises
    ------
    ProgrammingFailed
        When openFPGALoader cannot program this board (the message says how the bitstream gets there).
    ToolNotFound
        When openFPGALoader is not installed or cannot start (the message names what to install).
    """
    path = Path(bitstream).resolve()
    if not board.loader:
        raise ProgrammingFailed(f"openFPGALoader cannot program the {board.name}; to load {path}, {board.by_hand}")
    tool = tool or require_tool("openfpgaloader")
    mode = "--write-flash" if flash else "--write-sram"
    return ProgramCommand(board.name, (*tool.argv, "-b", board.loader, mode, str(path)), path, flash)


def tables_command(board, image: str | Path, offset: int, tool: ToolCommand | None = None) -> ProgramCommand:
    """The openFPGALoader command that writes the core's table ``image`` into ``board``'s flash at ``offset``
    (``-o``), where the core's flash loader reads it after configuration (:mod:`hdl.flash_loader`)."""
    path = Path(image).resolve()
    if not board.loader:
        raise ProgrammingFailed(f"openFPGALoader cannot program the {board.name}; to put {path} in its flash at "
                                f"{offset:#x}, {board.by_hand}")
    tool = tool or require_tool("openfpgaloader")
    return ProgramCommand(board.name, (*tool.argv, "-b", board.loader, "--write-flash", "-o", str(offset), str(path)),
                          path, True, "table image")


def explain_failure(output: str, board: str, fallback: str = "") -> ProgrammingFailed:
    """The one-line error for openFPGALoader's ``output`` after it failed to program ``board``
    (``fallback`` when the output says nothing known: the last error line it printed)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    missing = missing_libraries(output)
    if missing:
        return ProgrammingFailed(f"openFPGALoader cannot start: {missing}", output)
    unknown = _UNKNOWN_BOARD.search(output)
    if unknown:
        return ProgrammingFailed(f"openFPGALoader does not know the board `{unknown.group(1)}` (the programmer name "
                                 f"of `{board}` in hdl/boards.py; `openFPGALoader --list-boards` lists its names)",
                                 output)
    denied = next((line for line in lines if _NO_PERMISSION.search(line)), None)
    if denied:
        return ProgrammingFailed(f"no permission to open the {board}'s USB device: install openFPGALoader's udev "
                                 f"rules (99-openfpgaloader.rules) and reconnect the board (openFPGALoader: {denied})",
                                 output)
    absent = next((line for pattern in _NO_BOARD for line in lines if pattern.search(line)), None)
    if absent:
        return BoardNotFound(f"no board found: connect the {board} by USB and try again (openFPGALoader: {absent})",
                             output)
    if fallback:
        return ProgrammingFailed(fallback, output)
    errors = [line for line in lines if "error" in line.lower() or "fail" in line.lower()]
    why = (errors or lines or ["no output"])[-1]
    return ProgrammingFailed(f"openFPGALoader failed to program the {board}: {why}", output)


def program(command: ProgramCommand, *, timeout: float = 300.0) -> str:
    """Run ``command``; return what openFPGALoader printed.

    Raises
    ------
    ProgrammingFailed
        The bitstream is missing, or openFPGALoader failed (:class:`BoardNotFound` when no board is
        connected); the message is one line.
    """
    if not command.bitstream.is_file():
        raise ProgrammingFailed(f"{command.bitstream}: no such {command.what} (build it first)")
    try:
        return run_command(list(command.argv), cwd=command.bitstream.parent, env=dict(os.environ), timeout=timeout)
    except ToolFailed as exc:
        stopped = str(exc) if "did not finish" in str(exc) else ""
        raise explain_failure(exc.output, command.board, stopped) from None
