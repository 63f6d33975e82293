"""The ``ncstudio`` command line: argument wiring and error reporting.

``ncstudio SUBCOMMAND ...`` runs a headless command (see :mod:`studio.cli.subcommands`);
``ncstudio [FILE] [--run T --screenshot PNG --quit] [--workspace W]`` opens the studio.
Failures print one line, ``ncstudio: error: ...``, on stderr and exit non-zero
(1 for a failed command, 2 for a bad command line or an unavailable window); no traceback
reaches the user, not even from a bug (``NCSTUDIO_TRACEBACK=1`` shows it to a developer).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from engine.errors import ModelError, NeuroCoreError
from engine.equations.units import AMP, HERTZ, SECOND
from engine.models import LIBRARY
from studio.cli import subcommands
from studio.cli.arguments import assignment, positive, q_format, quantity, quantity_text, typed_quantity
from studio.cli.characterise_command import characterise_command
from studio.cli.import_command import import_command
from studio.hardware.hardware_flow import HardwareUnavailable
from studio.project.modelfile import ModelFileError
from studio.project.project_file import ProjectFileError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr."""

    commands: tuple[str, ...] = ()

    def error(self, message: str):
        self.exit(2, f"ncstudio: error: {message} (see `{self.prog} --help`)\n")


def _version() -> str:
    try:
        return version("neurocore-studio")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> _Parser:
    """The parser of the headless subcommands."""
    parser = _Parser(prog="ncstudio", description="NeuroCore Studio: design, simulate and build spiking networks.",
                     epilog="Without a subcommand, `ncstudio [FILE] [--run T --screenshot PNG --quit] "
                            "[--workspace W]` opens the studio window.")
    parser.add_argument("--version", action="version", version=f"ncstudio {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("models", help="the model library")
    p.add_argument("names", nargs="*", metavar="NAME", help="show these models in full")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=subcommands.models)

    p = sub.add_parser("check", help="validate model and project files; every problem as LOCATION: message")
    p.add_argument("paths", nargs="+", metavar="FILE",
                   help="*.ncsmodel or *.ncsproj files (a project's network is built, not run)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=subcommands.check)

    p = sub.add_parser("neuron", help="simulate one neuron of a library model or a *.ncsmodel file")
    p.add_argument("model", metavar="MODEL", help="library model name or *.ncsmodel file")
    p.add_argument("--set", action="append", type=assignment, default=[], metavar="NAME=VALUE",
                   help="override a parameter, e.g. I_e=376pA (repeatable)")
    p.add_argument("--dc", type=typed_quantity(AMP), metavar="AMPLITUDE",
                   help="constant current, e.g. 500pA (as a NEST dc_generator with the minimal delay)")
    p.add_argument("--duration", type=positive(quantity(SECOND)), default=0.2, metavar="T",
                   help="simulated time (default 200ms)")
    p.add_argument("--dt", type=positive(quantity(SECOND)), default=1e-4, metavar="DT",
                   help="time step (default 0.1ms)")
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="simulate in fixed point, e.g. Q8.8")
    p.add_argument("--spike-input", action="append", default=[], metavar="TIMES:WEIGHT[@RECEPTOR]",
                   help='input spikes, e.g. "10ms,12ms:100pA" or "5ms:2nS@ex" (receptor name or port number)')
    p.add_argument("--spike-delay", type=positive(quantity(SECOND)), default=1e-3, metavar="D",
                   help="delay of the input spikes (default 1ms)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (stochastic models)")
    p.add_argument("--out", metavar="FILE.npz", help="save t, every state variable, spike_times and units")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=subcommands.neuron)

    p = sub.add_parser("characterise", help="firing pattern, rheobase, f-I slope, ISIs and sensitivities of a model")
    p.add_argument("model", metavar="MODEL", nargs="?", help="library model name or *.ncsmodel file")
    p.add_argument("--library", action="store_true", help="characterise every library model (a table)")
    p.add_argument("--set", action="append", type=assignment, default=[], metavar="NAME=VALUE",
                   help="override a parameter, e.g. d=2mV (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=characterise_command)

    p = sub.add_parser("run", help="simulate a project (*.ncsproj)")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    _run_options(p)
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="run the whole network in this fixed-point format, e.g. Q16.16")
    p.add_argument("--seed", type=int, help="seed of connectivity, initial values and noise (default: the file's)")
    p.add_argument("--out", metavar="FILE.npz|FILE.nix",
                   help="save spikes and recorder traces with units: NumPy arrays, or a Neo NIX file (Elephant opens it)")
    p.set_defaults(func=subcommands.run)

    p = sub.add_parser("import", help="read a file of another tool: a NIR graph (*.nir) into a project; a NESTML "
                                      "model (*.nestml) or a Brian2 script's NeuronGroup (*.py, read, not run) "
                                      "into a model file")
    p.add_argument("file", metavar="FILE", help="a *.nir file (written by the nir package: snnTorch, Norse, ...), "
                                               "a NESTML neuron model *.nestml or a Brian2 script *.py")
    p.add_argument("-o", "--out", required=True, metavar="PROJECT|MODEL",
                   help="the *.ncsproj (from NIR) or *.ncsmodel (from NESTML or Brian2) to write")
    p.add_argument("--dt", type=positive(quantity(SECOND)), metavar="DT",
                   help="time step of an imported NIR network (default: the graph's metadata dt, else 0.1ms)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=import_command)

    p = sub.add_parser("export", help="write a project for another tool: a NIR graph, or a PyNEST, PyNN, Brian2 "
                                      "or Python (our engine) script")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("--to", required=True, choices=tuple(subcommands.EXPORTERS), help="what to write")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=subcommands.export)

    p = sub.add_parser("hdl", help="generate the project's network core: Verilog, Verilator harness, manifest")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="the folder to write into")
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="fixed-point format (default Q16.16)")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=subcommands.hdl)

    p = sub.add_parser("cosim", help="co-simulate the network core under Verilator against the engine, bit for bit")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("--duration", type=positive(quantity(SECOND)), default=0.1, metavar="T",
                   help="simulated time (default 100ms)")
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="fixed-point format (default Q16.16)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=subcommands.cosim)

    p = sub.add_parser("synth", help="synthesise, place and route the project's core for a board: resources, "
                                     "timing, bitstream")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("--board", required=True, metavar="BOARD",
                   help="the board, e.g. icebreaker, icesugar, ice40-hx8k, ulx3s, orangecrab")
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="fixed-point format (default Q16.16)")
    p.add_argument("--clock", type=positive(quantity(HERTZ)), metavar="F",
                   help="the core's clock, e.g. 12MHz (default: the board's target, 24 MHz on the iCE40 boards)")
    p.add_argument("-o", "--out", metavar="DIR",
                   help="the build folder (default: a cached one per project, board, format and clock)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _board_options(p)
    p.set_defaults(func=subcommands.synth)

    p = sub.add_parser("deploy", help="build the project's core for a board (cached by design) and program the board")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("--board", required=True, metavar="BOARD", help="the board, e.g. icebreaker (see hdl/boards.py)")
    p.add_argument("--flash", action="store_true", help="write the board's flash (kept at power-off), not its SRAM")
    p.add_argument("--dry-run", action="store_true", help="print the commands it would run, and run none")
    p.add_argument("--fixed", type=q_format, metavar="QI.F", help="fixed-point format (default Q16.16)")
    _board_options(p)
    p.set_defaults(func=subcommands.deploy)

    p = sub.add_parser("board", help="serve the project's board over the HIL protocol: the virtual board "
                                     "(core and telemetry under Verilator) on TCP or a pty")
    p.add_argument("project", metavar="PROJECT", help="a *.ncsproj file")
    p.add_argument("--virtual", action="store_true", required=True, help="run the virtual board (required)")
    p.add_argument("--listen", default="tcp:127.0.0.1:7000", metavar="tcp:HOST:PORT",
                   help="where to serve (default tcp:127.0.0.1:7000; port 0: any free port)")
    p.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal instead of TCP")
    p.add_argument("--free", action="store_true", help="run the clock as fast as possible, not in real time")
    p.set_defaults(func=subcommands.board)

    p = sub.add_parser("hil", help="run a board over the HIL protocol and check its spikes against the engine")
    p.add_argument("connection", metavar="CONNECTION", help="tcp:HOST:PORT or a serial device, e.g. /dev/ttyUSB1")
    p.add_argument("--project", required=True, metavar="PROJECT",
                   help="the *.ncsproj the board runs (its dt and the engine's prediction)")
    p.add_argument("--duration", type=positive(quantity(SECOND)), default=0.2, metavar="T",
                   help="simulated time to run (default 200ms)")
    p.add_argument("--free", action="store_true", help="let the board run free instead of in real time")
    p.add_argument("--write", action="append", default=[], type=subcommands.param_write, metavar="BANK:ENTRY=RAW",
                   help="write a raw parameter before running (repeatable), e.g. 0:0=13107200")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="give up after S wall seconds")
    p.add_argument("--probe", type=int, default=0, metavar="EVERY",
                   help="sample the state the project's recorders record every EVERY steps and compare it with "
                        "the engine's")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=subcommands.hil)

    p = sub.add_parser("bench", help="run a bundled benchmark network and report speed and memory")
    p.add_argument("benchmark", choices=subcommands.BENCHMARKS, help="the example network")
    _run_options(p)
    p.set_defaults(func=subcommands.bench)
    parser.commands = tuple(sub.choices)
    return parser


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--duration", type=positive(quantity(SECOND)), default=1.0, metavar="T",
                   help="simulated time (default 1s)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="threads the run uses (default 1); every number gives the same results")
    p.add_argument("--json", action="store_true", help="print a JSON summary")


def _board_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lanes", type=int, choices=range(1, 9), default=0, metavar="N",
                   help="neurons the core updates per clock, 1-8 (default: as many as real time on the board needs "
                        "and the device holds)")
    p.add_argument("--probes", type=int, default=0, metavar="N",
                   help="(neuron, variable) pairs the board's HIL port can sample (default 0; ~160 cells each)")
    p.add_argument("--params", action="store_true",
                   help="make the network's constants a parameter bank the HIL port writes (costs multipliers)")
    p.add_argument("--no-reset", dest="reset", action="store_false",
                   help="leave out the HIL Reset (saves ~100 cells and the ROM of initial values)")


def build_window_parser() -> argparse.ArgumentParser:
    """The parser of the form without subcommand, which opens the studio window."""
    parser = _Parser(prog="ncstudio", description="Open the studio window.")
    parser.add_argument("target", nargs="?", metavar="FILE", help="a project, a model file or a library model")
    parser.add_argument("--run", type=quantity_text(SECOND), metavar="T", help="run the simulation for T")
    parser.add_argument("--screenshot", metavar="FILE.png", help="save a screenshot of the window")
    parser.add_argument("--quit", action="store_true", help="quit when done")
    parser.add_argument("--workspace", metavar="W", help="the workspace to show")
    parser.set_defaults(func=subcommands.studio_window)
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    commands = parser.commands
    first = argv[0] if argv else ""
    if first in commands or first in ("-h", "--help", "--version"):
        return parser.parse_args(argv)
    if first and not first.startswith("-") and not Path(first).exists() and first not in LIBRARY:
        close = difflib.get_close_matches(first, sorted(commands), n=1)
        if close:
            parser.error(f"unknown command `{first}` — did you mean `{close[0]}`?")
    return build_window_parser().parse_args(argv)


def main(argv: list[str] | None = None, open_window=None) -> int:
    """Run ``ncstudio`` with ``argv`` (default: the process arguments); return the exit status.

    ``open_window(args, headless)`` opens the studio window for the form without a subcommand;
    :mod:`views.launch`, the installed ``ncstudio`` command, passes it.
    """
    args = _parse(sys.argv[1:] if argv is None else list(argv))
    try:
        if args.func is subcommands.studio_window:
            return subcommands.studio_window(args, open_window)
        return args.func(args)
    except (subcommands.GuiUnavailable, HardwareUnavailable) as exc:
        print(f"ncstudio: error: {exc}", file=sys.stderr)
        return 2
    except NeuroCoreError as exc:
        print(f"ncstudio: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ncstudio: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ncstudio: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("ncstudio: error: out of memory: this machine cannot hold what the command needs "
              "(a smaller network or a shorter run may fit)", file=sys.stderr)
        return 1
    except ArithmeticError as exc:  # OverflowError, FloatingPointError, ZeroDivisionError
        print(f"ncstudio: error: numerical failure: {_first_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("NCSTUDIO_TRACEBACK"):
            raise
        print(f"ncstudio: internal error: {type(exc).__name__}: {_first_line(exc)} "
              "(a bug: please report it; NCSTUDIO_TRACEBACK=1 shows where)", file=sys.stderr)
        return 1


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _one_line(exc: NeuroCoreError) -> str:
    if isinstance(exc, (ModelFileError, ProjectFileError)):
        lines = str(exc).splitlines()
    elif isinstance(exc, ModelError):
        # A ModelError made from a plain message has no location worth printing.
        lines = [p.message if p.field == "model" and not p.line else str(p) for p in exc.problems]
    else:
        lines = str(exc).splitlines()
    lines = lines or [type(exc).__name__]
    if len(lines) == 1:
        return lines[0]
    more = f" (and {len(lines) - 1} more problem{'s' * (len(lines) > 2)}"
    if isinstance(exc, (ModelFileError, ProjectFileError)):
        more += f"; `ncstudio check {exc.path}` lists them"
    return lines[0] + more + ")"


if __name__ == "__main__":
    sys.exit(main())
