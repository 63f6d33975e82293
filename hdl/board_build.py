"""A network built for a board: Amaranth's build plan run with Yosys, nextpnr and the packer.

:func:`board_plan` makes the deterministic part: :class:`~hdl.board_top.BoardTop`
for the board's amaranth-boards platform, prepared into an Amaranth
``BuildPlan`` (RTLIL, constraints, the Yosys script, ``build_top.sh``).
:func:`build_board` writes it into a folder and runs its script in a child
process with the tools :func:`hdl.tools.require_tool` chose passed through the
plan's overrides (``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``,
``ECPPACK``), so the pip YoWASP tools or a newer native install run the same
script.  YoWASP tools see a sandboxed file system: the script runs with ``cwd``
the build folder and relative paths only.

The run is bounded in time (``timeout``) and in memory (``ulimit -d``), can be
cancelled (a :class:`threading.Event`), and keeps its whole output in
``build.log`` beside Yosys's ``top.rpt`` and nextpnr's ``top.tim``.  Its stages
are ``synthesis``, ``place and route`` and ``bitstream``.  The numbers of the
:class:`BoardReport` are the tools' own: Yosys's ``stat -json``, nextpnr's
``--report`` (utilisation against the device, achieved frequency, critical path).

A build folder remembers its design hash (:func:`design_hash`: the plan's files,
the board and the tools with their versions); building the same design again
into it reuses the bitstream.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from amaranth.build.run import BuildPlan

from engine.errors import NeuroCoreError
from hdl.board_top import BoardTop, HilPort, core_clock_hz
from hdl.boards import Board, find_board
from hdl.core import YOSYS_EMPTY_LOADED_TABLES
from hdl.design import NetworkPlan
from hdl.estimate import for_board, table_storage
from hdl.flash_loader import flash_image
from hdl.synth import parse_nextpnr, parse_stat, parse_utilisation_log
from hdl.tools import ToolCommand, require_tool
from hdl.uart import uart_baud

__all__ = ["STAGES", "BoardReport", "BuildCancelled", "BuildFailed", "board_plan", "board_tools", "build_board",
           "build_commands", "design_hash"]

NAME = "top"
STAGES = ("synthesis", "place and route", "bitstream")
BUILD_LOG = "build.log"
REPORT = "board_report.json"
STAT_FILE = "stat.json"
NEXTPNR_REPORT = "report.json"
TABLES_IMAGE = "tables.bin"
DEFAULT_TIMEOUT_S = 1800.0
DEFAULT_MEMORY_BYTES = 8 << 30
_GRACE_S = 5.0
_OUT_OF_MEMORY = ("memory allocation of", "Cannot allocate memory", "std::bad_alloc", "out of memory")

# The plan's tool variables, the hdl.tools name of each and the stage it runs.
_TOOL_VARS = {"ice40": (("YOSYS", "yosys", "synthesis"), ("NEXTPNR_ICE40", "nextpnr-ice40", "place and route"),
                        ("ICEPACK", "icepack", "bitstream")),
              "ecp5": (("YOSYS", "yosys", "synthesis"), ("NEXTPNR_ECP5", "nextpnr-ecp5", "place and route"),
                       ("ECPPACK", "ecppack", "bitstream"))}
# nextpnr's names of the resources the report counts: (LUTs, flip-flops, block RAMs, SPRAMs, multipliers).
_RESOURCES = {"ice40": ("ICESTORM_LC", "ICESTORM_LC", "ICESTORM_RAM", "ICESTORM_SPRAM", "ICESTORM_DSP"),
              "ecp5": ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "", "MULT18X18D")}
_ICE40_SPEED = {"UP": "u", "LP": "lp", "HX": "hx"}  # synth_ice40 -device, by the part's series
_WHAT = {"ICESTORM_LC": "logic cells (LUT4 + flip-flop)", "TRELLIS_COMB": "LUT4s", "TRELLIS_FF": "flip-flops",
         "ICESTORM_RAM": "4-kbit block RAMs", "DP16KD": "18-kbit block RAMs", "ICESTORM_SPRAM": "SPRAMs",
         "ICESTORM_DSP": "DSP multipliers", "MULT18X18D": "18x18 multipliers", "SB_IO": "I/O pins",
         "TRELLIS_IO": "I/O pins"}


class BuildFailed(NeuroCoreError):
    """The build did not give a usable bitstream; the message is the plain report (what, where, how much)."""

    def __init__(self, message: str, log_lines: tuple[str, ...] = (), report: BoardReport | None = None):
        super().__init__(message)
        self.log_lines = log_lines
        self.report = report


class BuildCancelled(NeuroCoreError):
    """The build was cancelled; its tools were stopped."""


@dataclass(frozen=True)
class BoardReport:
    """What a board build gave, from the tools' reports; :meth:`to_json` is ``ncstudio synth --json``."""

    board: str
    device: str
    luts: int
    luts_total: int
    ffs: int
    ffs_total: int
    brams: int
    brams_total: int
    sprams: int
    sprams_total: int
    dsps: int
    dsps_total: int
    fmax_mhz: float | None
    target_mhz: float
    timing_met: bool
    cycles_per_step: float | None
    realtime_factor: float | None
    bitstream: str
    tool_versions: dict[str, str]
    log: str
    critical_path: str = ""
    uart_baud: int | None = None
    design_hash: str = ""
    cached: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    def with_speed(self, cycles_per_step: float | None, dt_s: float) -> BoardReport:
        """This report with ``cycles_per_step`` and the real-time factor it gives at the clock actually used."""
        return replace(self, cycles_per_step=cycles_per_step,
                       realtime_factor=realtime_factor(self.fmax_mhz, self.target_mhz, cycles_per_step, dt_s))


def realtime_factor(fmax_mhz: float | None, target_mhz: float, cycles_per_step: float | None,
                    dt_s: float) -> float | None:
    """How much faster than real time the core steps: the clock it runs at (the target, or the achieved
    Fmax when that is lower) over the clocks per step, times ``dt``."""
    if not cycles_per_step:
        return None
    clock_mhz = min(target_mhz, fmax_mhz) if fmax_mhz else target_mhz
    return clock_mhz * 1e6 / cycles_per_step * dt_s


def board_tools(board: Board) -> dict[str, ToolCommand]:
    """The plan's tool variables and the tool each runs (:func:`hdl.tools.require_tool`)."""
    return {var: require_tool(name) for var, name, _ in _TOOL_VARS[board.family]}


def board_plan(plan: NetworkPlan, board: Board | str, *, clock_hz: float | None = None, paced: bool = True,
               hil: HilPort = HilPort(), seed: int = 1) -> BuildPlan:
    """Amaranth's build plan of ``plan``'s core on ``board`` (no tools run but Amaranth's own).

    ``clock_hz`` defaults to the board's target clock; ``hil`` says what the board's HIL port offers.
    Yosys also writes its cell counts (``stat.json``), nextpnr a JSON report (``report.json``) and
    continues past failed timing, which the report then names.  A core whose tables do not fit the
    block RAM of a device with SPRAM reads them from the board's flash
    (:func:`hdl.estimate.table_storage`); the plan then holds the flash's image, ``tables.bin``.  The
    core updates as many neurons per clock as :func:`hdl.estimate.for_board` chooses for the board,
    unless ``plan`` names its ``lanes``.
    """
    board = find_board(board) if isinstance(board, str) else board
    plan = for_board(plan, board)
    top = BoardTop(plan, core_clock_hz(board.family, board.clock_hz, clock_hz or board.target_hz), paced, hil,
                   tables=table_storage(plan, board))
    platform = board.platform()
    synth, after_read = "", ""
    if board.family == "ice40":
        # ABC9's delays for the device's own speed (Yosys assumes an HX otherwise); UltraPlus DSPs.
        synth = f"-device {_ICE40_SPEED[board.device[5:7]]}" + (" -dsp" if board.capacity.dsps else "")
    if board.capacity.sprams:  # loaded tables (ram_style "huge", no initial contents) go to SPRAM
        synth += " -spram"
        after_read = YOSYS_EMPTY_LOADED_TABLES
    build = platform.build(top, name=NAME, do_build=False, verbose=True, synth_opts=synth,
                           script_after_read=after_read,
                           script_after_synth=f"tee -q -o {STAT_FILE} stat -json",
                           nextpnr_opts=f"--report {NEXTPNR_REPORT} --timing-allow-fail --seed {int(seed)}")
    if top.core.tables == "loaded":  # what the board's flash must hold at FLASH_OFFSET (hdl/flash_loader.py)
        build.add_file(TABLES_IMAGE, flash_image(top.core))
    return build


def design_hash(build_plan: BuildPlan, board: Board, tools: dict[str, ToolCommand]) -> str:
    """The cache key of a build: its files, the board and every tool (path, version)."""
    h = hashlib.sha256(build_plan.digest())
    h.update(board.name.encode())
    for var in sorted(tools):
        h.update(repr((var, tools[var].argv, tools[var].version)).encode())
    return h.hexdigest()[:24]


def build_commands(build_plan: BuildPlan, tools: dict[str, ToolCommand]) -> list[list[str]]:
    """The command lines the plan's script runs, with each tool as :func:`board_tools` found it
    (what ``deploy --dry-run`` shows); the OrangeCrab's DFU suffix step only where ``dfu-suffix`` exists."""
    commands = json.loads(build_plan.files[f"{build_plan.script}.json"])["commands"]
    by_name = {tool.name: tool.argv[0] for tool in tools.values()}
    return [[by_name.get(argv[0], argv[0]), *argv[1:]] for argv in commands
            if argv[0] in by_name or shutil.which(argv[0])]


def _write_plan(build_plan: BuildPlan, directory: Path) -> None:
    """The plan's files into ``directory`` (Amaranth's own ``extract`` changes the process's directory)."""
    for name, content in build_plan.files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)


def _environment(tools: dict[str, ToolCommand]) -> dict[str, str]:
    env = dict(os.environ)
    for var, tool in tools.items():
        if len(tool.argv) != 1:
            raise BuildFailed(f"{tool.name} is set to `{' '.join(tool.argv)}`; a board build needs a single "
                              f"executable (set its NCSTUDIO_ variable to one)")
        env = tool.environment(env)
        env[var] = tool.argv[0]
    if shutil.which("dfu-suffix") is None:
        # The OrangeCrab's plan appends a USB DFU suffix to the bitstream for dfu-util; openFPGALoader
        # loads the bitstream without it.
        env["DFU_SUFFIX"] = "true"
    return env


def _run_script(build_plan: BuildPlan, directory: Path, env: dict[str, str], stages: dict[str, str], *,
                on_stage, on_log, cancel, timeout: float, memory_bytes: int) -> tuple[list[str], dict[str, float]]:
    """Run the plan's script in a child process; return its output lines and seconds per stage."""
    script = f"ulimit -d {memory_bytes // 1024} && exec sh {build_plan.script}.sh"
    proc = subprocess.Popen(["sh", "-c", script], cwd=directory, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
                            start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=read, name="board-build-log", daemon=True)
    reader.start()
    output: list[str] = []
    seconds: dict[str, float] = {}
    stage, stage_start = None, time.monotonic()
    deadline = time.monotonic() + timeout
    stopped = ""
    with open(directory / BUILD_LOG, "w") as log:
        while True:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                line = ""
            if line is None:
                break
            if line:
                output.append(line)
                log.write(line + "\n")
                started = next((s for exe, s in stages.items() if line.startswith(f"+ {exe} ")), None)
                if started:
                    if stage:
                        seconds[stage] = time.monotonic() - stage_start
                    stage, stage_start = started, time.monotonic()
                    if on_stage:
                        on_stage(stage)
                if on_log:
                    on_log(line)
            if not stopped and cancel is not None and cancel.is_set():
                stopped = "cancelled"
            elif not stopped and time.monotonic() > deadline:
                stopped = "timeout"
            if stopped and proc.poll() is None:
                _stop(proc)
    proc.wait()
    reader.join()
    proc.stdout.close()
    if stage:
        seconds[stage] = time.monotonic() - stage_start
    if stopped == "cancelled":
        raise BuildCancelled(f"the build was cancelled during {stage or 'its start'}")
    if stopped == "timeout":
        raise BuildFailed(f"the build did not finish within {timeout:g} s ({stage} was stopped); "
                          f"its log is {directory / BUILD_LOG}", tuple(output[-20:]))
    if proc.returncode != 0:
        raise _failure(stage, output, directory, memory_bytes)
    return output, seconds


def _stop(proc: subprocess.Popen) -> None:
    """Stop the script and its tools: terminate the process group, kill it after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _failure(stage: str | None, output: list[str], directory: Path, memory_bytes: int) -> BuildFailed:
    """A plain report of a failed tool: over capacity names the resource, else the tool's error lines."""
    log = "\n".join(output)
    if any(sign in log for sign in _OUT_OF_MEMORY):
        return BuildFailed(f"{stage or 'the build'} ran out of memory (a build may use "
                           f"{memory_bytes / 2**30:.3g} GiB); its log is {directory / BUILD_LOG}", tuple(output[-20:]))
    over = [(name, used, avail) for name, (used, avail) in parse_utilisation_log(log).items() if used > avail]
    if over:
        text = "; ".join(f"{used:,} {_WHAT.get(name, name)} ({name}) needed, {avail:,} available"
                         for name, used, avail in over)
        return BuildFailed(f"the design does not fit the device: {text}", tuple(output[-20:]))
    errors = [line.strip() for line in output if "ERROR" in line or line.startswith("error")]
    why = errors[-1] if errors else (output[-1] if output else "no output")
    return BuildFailed(f"{stage or 'the build'} failed: {why} (log: {directory / BUILD_LOG})",
                       tuple(errors[-10:] or output[-20:]))


def _versions(tools: dict[str, ToolCommand], directory: Path) -> dict[str, str]:
    """Each tool with its version: Yosys's banner from its log, the others as :mod:`hdl.tools` found them."""
    out = {}
    for tool in tools.values():
        version = ".".join(map(str, tool.version)) or "unknown version"
        out[tool.name] = f"{Path(tool.argv[0]).name} {version} ({tool.origin})"
    rpt = directory / f"{NAME}.rpt"
    banner = re.search(r"^\s*(Yosys \S+)", rpt.read_text(errors="replace"), re.M) if rpt.exists() else None
    if banner:
        out["yosys"] = f"{banner.group(1)}: {out['yosys']}"
    return out


def _core_clock(report: dict, clocks: dict[str, float], target_mhz: float) -> str | None:
    """The clock nextpnr constrained to the target.  Its report also lists ``$PACKER_GND_NET``, the constant
    net that clocks unregistered DSP blocks, with the default constraint: never the core's clock."""
    constraints = {k: float(v.get("constraint", 0)) for k, v in report.get("fmax", {}).items()
                   if not k.startswith("$PACKER_")}
    clocks = {k: v for k, v in clocks.items() if not k.startswith("$PACKER_")}
    if constraints:
        return min(constraints, key=lambda k: abs(constraints[k] - target_mhz))
    return min(clocks, key=clocks.get) if clocks else None


def _critical_path(report: dict, clock: str | None) -> str:
    """The worst register-to-register path of ``clock``: its first and last cell and its delay."""
    edge = f"posedge {clock}"
    worst = next((p for p in report.get("critical_paths") or [] if p.get("from") == edge and p.get("to") == edge),
                 None)
    if worst is None or not worst.get("path"):
        return ""
    steps = worst["path"]
    delay = sum(float(s.get("delay", 0)) for s in steps)
    return f"{steps[0]['from']['cell']} -> {steps[-1]['to']['cell']} ({delay:.1f} ns)"


def _report(board: Board, directory: Path, tools: dict[str, ToolCommand],
            target_hz: float, key: str, seconds: dict[str, float]) -> BoardReport:
    family = board.family
    stat = json.loads((directory / STAT_FILE).read_text())
    cells, _ = parse_stat(stat, NAME)
    report_path = directory / NEXTPNR_REPORT
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    util, clocks = parse_nextpnr(report, (directory / f"{NAME}.tim").read_text(errors="replace"))
    lut, ff, bram, spram, dsp = _RESOURCES[family]

    def used(name: str) -> tuple[int, int]:
        return util.get(name, (0, 0)) if name else (0, 0)

    ffs = sum(v for k, v in cells.items() if k.startswith(("SB_DFF", "TRELLIS_FF")))
    ffs_total = used(ff)[1]
    target_mhz = target_hz / 1e6
    clock = _core_clock(report, clocks, target_mhz)
    fmax = clocks.get(clock) if clock else None
    met = fmax is not None and fmax >= target_mhz
    bitstream = directory / (f"{NAME}.bin" if family == "ice40" else f"{NAME}.bit")
    uart = uart_baud(target_hz) if board.has_resource("uart") else None
    return BoardReport(
        board=board.name, device=board.device, luts=used(lut)[0], luts_total=used(lut)[1], ffs=ffs,
        ffs_total=ffs_total, brams=used(bram)[0], brams_total=used(bram)[1], sprams=used(spram)[0],
        sprams_total=used(spram)[1], dsps=used(dsp)[0], dsps_total=used(dsp)[1],
        fmax_mhz=round(fmax, 2) if fmax is not None else None, target_mhz=round(target_mhz, 3), timing_met=met,
        cycles_per_step=None, realtime_factor=None, bitstream=str(bitstream), tool_versions=_versions(tools, directory),
        log=str(directory / BUILD_LOG), critical_path=_critical_path(report, clock), uart_baud=uart, design_hash=key,
        stage_seconds={k: round(v, 2) for k, v in seconds.items()})


def build_board(plan: NetworkPlan, board: Board | str, directory: str | os.PathLike, *,
                clock_hz: float | None = None, paced: bool = True, hil: HilPort = HilPort(),
                on_stage: Callable[[str], None] | None = None, on_log: Callable[[str], None] | None = None,
                cancel: threading.Event | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                memory_bytes: int = DEFAULT_MEMORY_BYTES, seed: int = 1) -> BoardReport:
    """Synthesise, place, route and pack ``plan``'s core for ``board`` in ``directory``.

    ``on_stage(name)`` is called as each of :data:`STAGES` starts, ``on_log(line)`` with every line the
    tools print; ``cancel`` stops the tools when set.  A folder that already holds this design's
    bitstream (same :func:`design_hash`) is reused without running anything (``cached=True``).

    Raises
    ------
    BuildFailed
        A tool failed, the design does not fit the device (the message names the resource, needed vs
        available) or misses timing (achieved vs target MHz and the worst path; ``report`` holds the rest).
    BuildCancelled
        ``cancel`` was set.
    ToolNotFound
        A tool is not installed.
    """
    board = find_board(board) if isinstance(board, str) else board
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    target_hz = core_clock_hz(board.family, board.clock_hz, clock_hz or board.target_hz)
    tools = board_tools(board)
    build_plan = board_plan(plan, board, clock_hz=target_hz, paced=paced, hil=hil, seed=seed)
    key = design_hash(build_plan, board, tools)
    saved = directory / REPORT
    if saved.exists():
        previous = json.loads(saved.read_text())
        if previous.get("design_hash") == key and Path(previous["bitstream"]).exists():
            return BoardReport(**{**previous, "cached": True})
        saved.unlink()
    env = _environment(tools)
    _write_plan(build_plan, directory)
    for stale in (STAT_FILE, NEXTPNR_REPORT):
        (directory / stale).unlink(missing_ok=True)
    stages = {tools[var].argv[0]: stage for var, _, stage in _TOOL_VARS[board.family]}
    output, seconds = _run_script(build_plan, directory, env, stages, on_stage=on_stage, on_log=on_log,
                                  cancel=cancel, timeout=timeout, memory_bytes=memory_bytes)
    report = _report(board, directory, tools, target_hz, key, seconds)
    if not report.timing_met:
        achieved = f"{report.fmax_mhz:g} MHz" if report.fmax_mhz is not None else "no frequency"
        path = f"; worst path {report.critical_path}" if report.critical_path else ""
        raise BuildFailed(f"timing not met on {board.name}: the design reaches {achieved}, the target is "
                          f"{report.target_mhz:g} MHz{path}", tuple(output[-20:]), report)
    saved.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report
