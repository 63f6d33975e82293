"""What each ``ncstudio`` subcommand does, given its parsed arguments.

The simulator (SciPy and the compiled VM) is imported only by the commands
that simulate, so ``models`` and ``check`` start quickly.

Every command prints its result (JSON with ``--json``) and returns the exit
status; user errors are raised as :class:`~engine.errors.NeuroCoreError` or
:class:`OSError` for :func:`studio.cli.main.main` to report on one line.
"""

from __future__ import annotations

import argparse
import ctypes.util
import difflib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ModelError, NeuroCoreError, Problem
from engine.equations.model import ModelSpec
from engine.models import LIBRARY, LibraryModel, get_model
from studio.interop.export_brian2 import export_brian2
from studio.interop.export_nest import export_nest
from studio.interop.export_pynn import export_pynn
from studio.interop.export_python import export_python
from studio.project.fileio import atomic_write
from studio.project.modelfile import (SUFFIX, check_model_file, format_problem, load_model_file, problem_location)
from studio.project.project_file import EXAMPLES, SUFFIX as PROJECT_SUFFIX, check_project, load_network, run_project

if TYPE_CHECKING:
    from engine.run.neuron import SpikeInput

BENCHMARKS = ("cuba", "coba", "brunel")
EXPORTERS = {"nir": lambda project, out: _export_nir(project, out), "nest": export_nest, "pynn": export_pynn,
             "brian2": export_brian2, "python": export_python}
"""``ncstudio export --to TARGET``: each target's function ``(project, out_path) -> Path``."""


class GuiUnavailable(NeuroCoreError):
    """The studio window was asked for but cannot open here (no display, or no Qt installed)."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _emit_json(data) -> None:
    print(json.dumps(data, indent=2))


def _is_file_argument(text: str) -> bool:
    path = Path(text)
    return path.suffix in (SUFFIX, PROJECT_SUFFIX, ".json") or "/" in text or path.is_file()


def resolve_model(text: str) -> tuple[LibraryModel | ModelSpec, tuple[str, ...]]:
    """A library model by name or a checked model file, and its receptor names in port order."""
    if not _is_file_argument(text):
        try:
            lib = get_model(text)
        except ModelError as exc:
            raise ModelError(f"{exc.problems[0].message} (`ncstudio models` lists the library)") from None
        return lib, lib.receptors
    if Path(text).suffix == PROJECT_SUFFIX:
        raise NeuroCoreError(f"{text} is a project, not a model; run it with `ncstudio run {text}`")
    spec = load_model_file(text)
    return spec, tuple(spec.receptors)


def spike_input(text: str, receptors: tuple[str, ...]) -> SpikeInput:
    """Read ``"10ms,12ms:100pA[@RECEPTOR]"``, where RECEPTOR is a port number or a receptor name."""
    from engine.run.neuron import parse_spike_input

    head, at, port = text.rpartition("@")
    port = port.strip()
    if at and port and not port.isdigit():
        if port not in receptors:
            close = difflib.get_close_matches(port, receptors, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ModelError(f"spike input `{text}`: no receptor `{port}` ({hint}the model has: "
                             f"{', '.join(receptors) or 'none'})")
        text = f"{head}@{receptors.index(port) + 1}"
    return parse_spike_input(text)


def models(args: argparse.Namespace) -> int:
    """``ncstudio models [NAME ...] [--json]``: the model library."""
    chosen = [get_model(name) for name in args.names] if args.names else list(LIBRARY.values())
    if args.json:
        _emit_json({"models": [m.to_json() for m in chosen]})
    elif args.names:
        print("\n\n".join(_describe(m) for m in chosen))
    else:
        rows = [("NAME", "NEST NAME", "FAMILY", "TITLE")]
        rows += [(m.name, m.nest_name or "-", m.family or "-", m.title) for m in chosen]
        print(_table(rows))
        print(f"\n{_count(len(chosen), 'model')}; `ncstudio models NAME` shows equations and parameters.")
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]) for r in rows)


def _describe(m: LibraryModel) -> str:
    spec = m.spec
    lines = [f"{m.name} — {m.title}", m.description, "", "equations:"]
    lines += [f"  {line}" for line in spec.equations.strip().splitlines()]
    for label, value in (("threshold", spec.threshold), ("reset", spec.reset), ("refractory", spec.refractory),
                         ("method", spec.method), ("receptor ports", ", ".join(m.receptors))):
        if value:
            lines.append(f"{label}: {value}")
    lines += ["", "parameters:"]
    rows = [(p.name, p.default, f"{p.low} .. {p.high}" if p.low else "", p.meaning) for p in m.params]
    lines += [f"  {line}" for line in _table(rows).splitlines()]
    if m.citation:
        lines += ["", m.citation]
    return "\n".join(lines)


def check(args: argparse.Namespace) -> int:
    """``ncstudio check FILE ...``: every problem as ``FILE: LOCATION: message``; 1 if there is one."""
    reports = []
    for path in args.paths:
        if Path(path).suffix == PROJECT_SUFFIX:
            network, problems = check_project(path)
            reports.append((path, network and _describe_network(network), problems))
        else:
            checked, problems = check_model_file(path)
            reports.append((path, checked and _describe_checked(checked), problems))
    if args.json:
        _emit_json({"files": [{"path": path, "valid": not problems,
                               "problems": [_problem_json(path, p) for p in problems]}
                              for path, _, problems in reports]})
    else:
        for path, summary, problems in reports:
            for p in problems:
                print(format_problem(path, p))
            if summary is not None:
                print(f"{path}: ok ({summary})")
    count = sum(len(problems) for _, _, problems in reports)
    if count:
        bad = [path for path, _, problems in reports if problems]
        raise NeuroCoreError(f"{_count(count, 'problem')} in {', '.join(bad)}")
    return 0


def _describe_checked(checked) -> str:
    return (f"{len(checked.states)} state variables: {', '.join(checked.states)}; "
            f"{len(checked.parameters)} parameters")


def _describe_network(network) -> str:
    neurons = sum(p.size for p in network.populations.values())
    synapses = sum(p.n_connections for p in network.projections.values())
    return (f"{_count(len(network.populations), 'population')}, {_count(neurons, 'neuron')}, "
            f"{_count(len(network.projections), 'projection')}, {_count(synapses, 'synapse')}, "
            f"{_count(len(network.devices), 'device')}")


def _problem_json(path: str, p: Problem) -> dict:
    return {"location": problem_location(path, p), "field": p.field, "line": p.line,
            "col": p.col, "end_col": p.end_col, "message": p.message}


def neuron(args: argparse.Namespace) -> int:
    """``ncstudio neuron MODEL ...``: simulate one neuron and save or summarise its trace."""
    from engine.run.neuron import simulate_neuron

    model, receptors = resolve_model(args.model)
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise NeuroCoreError(f"cannot write {out}: the directory {out.parent} does not exist")
    inputs = tuple(spike_input(text, receptors) for text in args.spike_input)
    overrides = dict(args.set)
    start = time.perf_counter()
    try:
        trace = simulate_neuron(model, duration=args.duration, dt=args.dt, overrides=overrides, dc=args.dc,
                                spike_inputs=inputs, spike_delay=args.spike_delay, fixed=args.fixed,
                                seed=args.seed)
    except ModelError as exc:
        raise ModelError([_blame_override(p, overrides) for p in exc.problems]) from None
    wall = time.perf_counter() - start
    if out is not None:
        atomic_write(out, trace.save)
    label = model.name if isinstance(model, LibraryModel) else args.model
    spikes = [round(float(s), 9) for s in trace.spike_times]
    if args.json:
        _emit_json({"model": label, "duration_ms": args.duration * 1e3, "dt_ms": args.dt * 1e3,
                    "fixed": args.fixed.name if args.fixed else None, "spike_count": len(spikes),
                    "spike_times_ms": spikes, "overflows": trace.overflows, "units": trace.units,
                    "wall_time_s": wall, "out": str(out) if out else None})
        return 0
    shown = ", ".join(f"{s:g}" for s in spikes[:8]) + (", ..." if len(spikes) > 8 else "")
    print(f"{label}: {_count(len(spikes), 'spike')} in {args.duration * 1e3:g} ms"
          + (f" at {shown} ms" if spikes else "") + f" ({wall:.2f} s)")
    if args.fixed is not None:
        hits = {k: v for k, v in trace.overflows.items() if v}
        print(f"{args.fixed.name} overflows: " + (", ".join(f"{k} {v}" for k, v in hits.items()) or "none"))
    if out is not None:
        print(f"saved {out} ({', '.join(['t', *trace.values, 'spike_times'])})")
    return 0


def _blame_override(p: Problem, overrides: dict[str, str]) -> Problem:
    """Point a problem with an overridden parameter at the ``--set`` that caused it."""
    name = p.field.removeprefix("parameters.")
    if p.field.startswith("parameters.") and name in overrides:
        return Problem(f"--set {name}={overrides[name]}", 0, 0, p.message)
    return p


def _simulate(path: str | Path, duration: float, seed: int | None = None, fmt=None, threads: int = 1):
    """Read, build and run a project (in fixed point with ``fmt``, on ``threads`` threads):
    (simulation, JSON summary)."""
    from engine.run.simulation import Simulation, batch_chunk_steps
    from studio.project.run_results import run_summary

    start = time.perf_counter()
    doc, network = load_network(path, seed, fmt)
    build_s = time.perf_counter() - start
    sim = Simulation(network, batch_chunk_steps(network), threads=threads)
    summary = run_project(path, doc, sim, duration)
    return sim, run_summary(network, summary, build_s)


def _print_run(label: str, report: dict) -> None:
    print(f"{label}: {report['sim_s'] * 1e3:g} ms simulated in {report['wall_s']:.2f} s "
          f"(build {report['build_s']:.2f} s); {_count(report['n_neurons'], 'neuron')}, "
          f"{_count(report['n_synapses'], 'synapse')}")
    for name, count in report["spikes"].items():
        print(f"  {name}: {_count(count, 'spike')}, {report['rates_hz'][name]:.2f} Hz")
    for note in report["notes"]:
        print(f"note: {note}")


def run(args: argparse.Namespace) -> int:
    """``ncstudio run PROJECT ...``: simulate a project and report spikes, rates and timings."""
    from studio.interop.neo_recordings import check_destination, save_recordings

    out = check_destination(args.out) if args.out else None
    sim, report = _simulate(args.project, args.duration, args.seed, args.fixed, args.threads)
    report["fixed"] = args.fixed.name if args.fixed is not None else None
    if out is not None:
        save_recordings(out, sim, Path(args.project).stem)
    report = {"project": str(args.project), **report, "out": str(out) if out else None}
    if args.json:
        _emit_json(report)
    else:
        _print_run(str(args.project), report)
        if out is not None:
            print(f"saved {out}")
    return 0


def _export_nir(project: str | Path, out: str | Path) -> Path:
    from studio.interop.nir_export import export_nir
    from studio.project.project_file import read_project

    return export_nir(read_project(project), out)


def export(args: argparse.Namespace) -> int:
    """``ncstudio export PROJECT --to TARGET -o FILE``: write the project for another tool."""
    written = EXPORTERS[args.to](args.project, args.out)
    if args.json:
        _emit_json({"project": str(args.project), "to": args.to, "out": str(written)})
    else:
        print(f"wrote {written} ({args.to})")
    return 0


def hdl(args: argparse.Namespace) -> int:
    """``ncstudio hdl PROJECT -o DIR``: write the network core, its Verilator harness and manifest."""
    from hdl.generate import write_design
    from studio.hardware.hardware_flow import generate_project

    design = generate_project(args.project, args.fixed)
    written = write_design(design, args.out)
    if args.json:
        _emit_json(design.manifest)
    else:
        est = design.manifest["estimate"]
        print(f"wrote {len(written)} files to {args.out}: {', '.join(p.name for p in written)}")
        print(f"  {design.plan.fmt.name}; {_count(design.plan.n_neurons, 'neuron')}, "
              f"{_count(design.plan.n_synapses, 'synapse')}; memories {est['memory_bits']:,} bits "
              f"(~{est['block_rams_4k']} 4-kbit block RAMs), {est['multipliers']} multipliers")
    return 0


def cosim(args: argparse.Namespace) -> int:
    """``ncstudio cosim PROJECT``: the core under Verilator against the engine; exit 1 unless bit-exact."""
    from studio.hardware.hardware_flow import CosimRequest, cosimulate

    request = CosimRequest(str(args.project), args.duration, *(() if args.fixed is None else (args.fixed,)))
    report = cosimulate(request)
    summary = report.summary()
    if args.json:
        _emit_json(summary)
    else:
        verdict = "bit-exact" if report.bit_exact else "NOT bit-exact"
        print(f"{args.project}: {verdict} over {report.steps} steps; spikes RTL {report.spikes_rtl}, "
              f"engine {report.spikes_engine}; {summary['steps_per_s']:g} steps/s, "
              f"{summary['cycles_per_step']:g} cycles/step (build {report.build_s:.1f} s)")
        if report.first_divergence:
            d = report.first_divergence
            print(f"  first divergence: step {d['step']}, {d['population']}[{d['neuron']}].{d['variable']}: "
                  f"RTL {d['rtl']}, engine {d['engine']}")
    return 0 if report.bit_exact else 1


def _hil_port(args: argparse.Namespace):
    """The board's HIL port as ``--probes``, ``--params`` and ``--no-reset`` ask."""
    from hdl.board_top import HilPort

    if args.probes < 0:
        raise NeuroCoreError(f"--probes must be 0 or more, not {args.probes}")
    return HilPort(probes=args.probes, params=args.params, reset=args.reset)


def synth(args: argparse.Namespace) -> int:
    """``ncstudio synth PROJECT --board B``: build the core for a board; resources, timing, real-time factor.

    Over capacity or failed timing is reported in one line (exit 1); with ``--json`` a report that
    exists (failed timing) is printed too.
    """
    from hdl.board_build import BuildFailed, build_board
    from hdl.boards import find_board
    from studio.hardware.deploy_flow import build_folder, plan_for_board
    from studio.hardware.hardware_flow import cycles_per_step

    board = find_board(args.board)
    plan = plan_for_board(args.project, args.fixed, board, args.lanes)
    hil = _hil_port(args)
    folder = Path(args.out) if args.out else build_folder(args.project, board, args.fixed, args.clock, hil)
    try:
        report = build_board(plan, board, folder, clock_hz=args.clock, hil=hil)
    except BuildFailed as exc:
        if args.json and exc.report is not None:
            _emit_json(exc.report.with_speed(cycles_per_step(args.project, args.fixed, lanes=plan.lanes),
                                             plan.dt_s).to_json())
        raise
    report = report.with_speed(cycles_per_step(args.project, args.fixed, lanes=plan.lanes), plan.dt_s)
    if args.json:
        _emit_json(report.to_json())
        return 0
    r = report
    print(f"{args.project} on {r.board} ({r.device}){' (cached build)' if r.cached else ''}:")
    print(f"  LUTs {r.luts:,}/{r.luts_total:,} ({100 * r.luts / max(r.luts_total, 1):.0f}%), FFs {r.ffs:,}, "
          f"block RAMs {r.brams}/{r.brams_total}, SPRAMs {r.sprams}/{r.sprams_total}, DSPs {r.dsps}/{r.dsps_total}")
    print(f"  Fmax {r.fmax_mhz:g} MHz (target {r.target_mhz:g} MHz, timing met)")
    if r.realtime_factor is not None:
        print(f"  {r.cycles_per_step:g} cycles per step: {r.realtime_factor:.1f}x faster than real time")
    print(f"  bitstream {r.bitstream}")
    print(f"  tools: {'; '.join(r.tool_versions.values())}")
def deploy(args: argparse.Namespace) -> int:
    """``ncstudio deploy PROJECT --board B``: build (or reuse) the board's bitstream and program the board."""
    from studio.hardware.deploy_flow import DeployRequest, build, deploy_commands, program_board

    request = DeployRequest(str(args.project), args.board, *(() if args.fixed is None else (args.fixed,)),
                            flash=args.flash, hil=_hil_port(args), lanes=args.lanes)
    if args.dry_run:
        print("\n".join(deploy_commands(request)))
        return 0

    def announce(stage: str) -> None:
        print(f"{stage}…", flush=True)

    r = build(request, on_stage=announce)
    cached = " (unchanged design: its last bitstream reused)" if r.cached else ""
    fmax = f"{r.fmax_mhz:g} MHz" if r.fmax_mhz is not None else "no Fmax"
    print(f"built {r.bitstream}{cached}: {r.luts:,}/{r.luts_total:,} LUTs, {r.ffs:,} FFs, "
          f"{r.brams}/{r.brams_total} BRAMs, {r.dsps}/{r.dsps_total} DSPs; {fmax} (target {r.target_mhz:g} MHz)",
          flush=True)
    result = program_board(request, r, on_stage=announce)
    if result.program_error:
        raise NeuroCoreError(result.program_error)
    print(f"programmed the {r.board}'s {'flash' if args.flash else 'SRAM'}")
    return 0


def board(args: argparse.Namespace) -> int:
    """``ncstudio board PROJECT --virtual``: build the virtual board and serve it until Ctrl+C."""
    from hdl.virtual_board import VirtualBoard, build_virtual_board
    from studio.hardware.hardware_flow import plan_project

    plan = plan_project(args.project)
    print(f"building the virtual board for {args.project} (Verilator; cached after the first time)...",
          file=sys.stderr, flush=True)
    served = VirtualBoard.start(build_virtual_board(plan), args.listen, pty=args.pty, realtime=not args.free)
    print(f"virtual board for {args.project} serving {served.address} (Ctrl+C stops it)", flush=True)
    for stop in (signal.SIGINT, signal.SIGTERM):  # also when started where SIGINT is ignored
        signal.signal(stop, signal.default_int_handler)
    try:
        served.process.wait()
    except KeyboardInterrupt:
        pass
    print(served.stop(), flush=True)
    return 0


def param_write(text: str):
    """``BANK:ENTRY=RAW`` as a :class:`~studio.hil.headless_run.ParamWrite`."""
    from studio.hil.headless_run import ParamWrite

    where, _, value = text.partition("=")
    bank, _, entry = where.partition(":")
    try:
        return ParamWrite(int(bank), int(entry), int(value, 0))
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}`: expected BANK:ENTRY=RAW, e.g. 0:0=13107200") from None


def hil(args: argparse.Namespace) -> int:
    """``ncstudio hil CONNECTION --project P``: run the board, print counts, rates, link health and whether
    its spikes equal the fixed-point engine's; exit 1 unless they do and the run finished."""
    from hdl.hil_protocol import Pace
    from studio.hil.headless_run import HilRequest, predict, run_hil
    from studio.hil.hil_prediction import EnginePrediction
    from studio.hil.hil_telemetry import first_divergence

    engine = EnginePrediction(args.project)
    steps = max(1, int(round(args.duration / engine.dt)))
    pairs = engine.probe_pairs() if args.probe else ()
    request = HilRequest(args.connection, steps, Pace.FREE_RUNNING if args.free else Pace.REAL_TIME,
                         tuple(args.write), args.timeout, pairs, args.probe or 1)
    report = run_hil(request)
    predicted = predict(engine, steps, report.applied)
    fresh = report.start_step == 0
    divergence = first_divergence(report.telemetry.spikes(), predicted, 0, steps) if fresh else None
    st = report.status
    wall = max(report.wall_s, 1e-9)
    summary_steps = st.step - (report.start_step or 0) if st else 0
    summary = {
        "connection": args.connection, "steps": summary_steps, "steps_requested": steps,
        "spikes": len(report.spikes), "spikes_engine": predicted[0].size, "frames": report.frames,
        "wall_s": round(report.wall_s, 3), "steps_per_s": round(summary_steps / wall, 1),
        "spikes_per_s": round(len(report.spikes) / wall, 1), "frames_per_s": round(report.frames / wall, 1),
        "link": report.link,
        "board": {k: getattr(st, k) for k in ("spikes", "queue_overflows", "spikes_dropped", "frames_dropped",
                                              "rx_errors", "param_crc")} if st else None,
        "writes_applied": len(report.applied), "writes": len(report.writes),
        "matches_engine": (divergence is None and not report.error) if fresh else None,
        "first_divergence": divergence, "error": report.error or None,
        "probes": _probe_summary(report, engine, pairs, args.probe) if args.probe else None,
    }
    if args.json:
        _emit_json(summary)
    else:
        verdict = {True: "matches the engine", False: "does NOT match the engine",
                   None: f"not compared (the board had run {report.start_step} steps before; restart it)"}[
            summary["matches_engine"]]
        print(f"{args.connection}: {summary['steps']} steps, {summary['spikes']} spikes (engine "
              f"{summary['spikes_engine']}) in {summary['wall_s']:g} s: {verdict}")
        print(f"  {summary['steps_per_s']:g} steps/s, {summary['spikes_per_s']:g} spikes/s, "
              f"{summary['frames_per_s']:g} frames/s; frames {report.link.get('frames_ok', 0)}, "
              f"CRC errors {report.link.get('crc_errors', 0)}, lost {report.link.get('lost_frames', 0)}")
        if st:
            print(f"  board: queue overflows {st.queue_overflows}, spikes dropped {st.spikes_dropped}, "
                  f"rx errors {st.rx_errors}; parameter writes applied {len(report.applied)}/{len(report.writes)}")
        if divergence:
            print(f"  first divergence: step {divergence['step']}, neuron {divergence['neuron']}: board "
                  f"{divergence['board']}, engine {divergence['engine']}")
        if args.probe:
            p = summary["probes"]
            said = (f"refused ({p['refused']})" if p["refused"] else
                    f"{p['samples']} samples of {len(p['pairs'])} probes "
                    + ("match the engine" if p["matches_engine"] else f"differ first at {p['first_mismatch']}"))
            print(f"  probes: {said}")
        if report.error:
            print(f"  the run ended early: {report.error}")
    probes_ok = not args.probe or summary["probes"]["matches_engine"]
    return 0 if summary["matches_engine"] and probes_ok and not report.error else 1


def _probe_summary(report, engine, pairs, every: int) -> dict:
    """What became of the probes asked for: the board's answer, its samples and whether they are the engine's."""
    from hdl.hil_protocol import Result, SetProbes
    from studio.hil.hil_telemetry import first_probe_mismatch

    answer = next((a for a in report.acks if a.command == SetProbes.TYPE), None)
    refused = None if answer is not None and answer.result == Result.OK else (
        "no answer" if answer is None else Result(answer.result).name.lower().replace("_", " "))
    samples = sum(report.telemetry.probe(*pair)[0].size for pair in report.telemetry.probed)
    mismatch = first_probe_mismatch(report.telemetry, engine.probe) if not refused else None
    return {"pairs": [list(p) for p in pairs], "every": every, "samples": samples, "refused": refused,
            "matches_engine": not refused and samples > 0 and mismatch is None, "first_mismatch": mismatch}


def bench(args: argparse.Namespace) -> int:
    """``ncstudio bench NAME``: run a bundled example; speed, size and peak memory."""
    import resource

    sim, report = _simulate(EXAMPLES / f"{args.benchmark}{PROJECT_SUFFIX}", args.duration, threads=args.threads)
    projections = sim.network.projections.values()
    report = {"benchmark": args.benchmark, **report, "synapse_bytes": sum(p.nbytes for p in projections),
              # ru_maxrss is in kilobytes on Linux.
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.json:
        _emit_json(report)
    else:
        _print_run(args.benchmark, report)
        print(f"  synapses: {report['synapse_bytes'] / 2**20:.1f} MiB; peak memory {report['peak_rss_mb']:.0f} MB")
    return 0


def _has_display() -> bool:
    """Whether Qt can open a window here: a platform plugin was chosen, or an X11/Wayland display is set."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# System libraries Qt's X11 (xcb) platform plugin loads; pip cannot install them.
_XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
                  "xkbcommon-x11": "libxkbcommon-x11-0"}


def _missing_x11_packages() -> list[str]:
    """Debian package names of the X11 libraries Qt needs that this machine lacks (only when X11 is used)."""
    if (not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM")
            or os.environ.get("WAYLAND_DISPLAY") or not os.environ.get("DISPLAY")):
        return []
    return [package for library, package in _XCB_LIBRARIES.items() if ctypes.util.find_library(library) is None]


def _headless_equivalent(target: str | None, duration: str) -> str:
    """What to run instead of the window for ``target`` (checked: a library model, a file that exists)."""
    if target is None:
        return f"to simulate a neuron headless, run `ncstudio neuron iaf_psc_exp --dc 500pA --duration {duration}`"
    if not _is_file_argument(target):
        get_model(target)
        return f"the same run headless is `ncstudio neuron {target} --duration {duration} --out trace.npz`"
    if not Path(target).is_file():
        raise NeuroCoreError(f"{target}: no such file")
    if Path(target).suffix == PROJECT_SUFFIX:
        return f"the same run headless is `ncstudio run {target} --duration {duration} --out run.npz`"
    return f"the same run headless is `ncstudio neuron {target} --duration {duration} --out trace.npz`"


def studio_window(args: argparse.Namespace, open_window=None) -> int:
    """``ncstudio [FILE] [--run T] [--screenshot PNG] [--quit] [--workspace W]``: open the studio window.

    Without a display, a screenshot or a ``--quit`` run is drawn offscreen; a
    plain window cannot open and the error names the headless equivalent.
    ``open_window(args, headless)`` opens it: the ``ncstudio`` command
    (:mod:`views.launch`) passes it in, so this package never imports Qt.
    """
    headless = _headless_equivalent(args.target, args.run or "1s")
    if not _has_display():
        if not (args.screenshot or args.quit):
            raise GuiUnavailable(f"no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
                                 f"{headless}, or add `--screenshot FILE.png --quit` to draw the window offscreen")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    missing = _missing_x11_packages()
    if missing:
        if not (args.screenshot or args.quit):
            raise GuiUnavailable(f"the window needs system libraries that are missing here (Debian/Ubuntu: "
                                 f"sudo apt-get install {' '.join(missing)}); {headless}")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if open_window is None:
        raise GuiUnavailable(f"this entry point has no window; open it with the `ncstudio` command "
                             f"(python -m views.launch); {headless}")
    return open_window(args, headless)
