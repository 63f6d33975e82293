"""FPGA resources of the neuron datapaths (hdl/datapath.py) and of whole network cores, synthesised with Yosys.

Run: ``.venv/bin/python benchmarks/hdl_resources.py [--json] [--target ice40-up5k] [--nodsp]
[--only iaf_psc_exp/Q16.16] [--only core/hil_demo] [--keep DIR]``.

Each case compiles a library model to a fixed-point program, lowers it to a
:class:`hdl.datapath.NeuronDatapath` (200 neurons, 8 neuron bits), converts it to
Verilog and synthesises it with :func:`hdl.synth.synthesize` (``synth_ice40 -dsp``
by default).  The bare datapath has more port bits than a package has pins, so it
is synthesised only, not placed.  The table gives LUT4s, flip-flops, DSP blocks,
carry cells and the datapath's pipeline depth.  Budget for the hil_demo network
core on the iCE40UP5K: <= 2,500 LUT4 and <= 8 SB_MAC16.

The network cases (``core/...``) generate a whole core (hdl/generate.py) and synthesise it
(``synth_ice40 -dsp -spram``): the hil_demo project (200 iaf_psc_exp neurons, 4,000 synapses,
Poisson drive, Q16.16) and a 1,000-neuron / ~20,000-synapse CUBA LIF network
(``cuba_1000``, :func:`cuba_project`).  Each is generated as the iCEBreaker's build would
(its delivery tables loaded into SPRAM when block RAM cannot hold them,
:func:`hdl.estimate.table_storage`), estimated (:func:`hdl.estimate.estimate_resources`) and
compared with the UP5K's capacity (5,280 LUT4/FF, 8 SB_MAC16, 30 SB_RAM40_4K, 4 SB_SPRAM256KA).
``--estimate`` skips the synthesis.

Board capacity (``--capacity BOARD NEURONS SYNAPSES``) writes a LIF/CUBA project of that size
(:func:`cuba_project`: 80% excitatory, 20% inhibitory, Bernoulli connectivity with the expected
synapse count, delays up to ``--delay``) and runs ``ncstudio synth PROJECT --board BOARD --json`` on
it (real synthesis, place-and-route and packing; cycles per step from Verilator; ``--no-reset`` builds it
without the HIL Reset), printing the report with neurons per LUT, RAM bits per neuron and per synapse, and
the rates the fixed-point engine gives the network in that format (at Q8.8 it is silent; the default Q7.9
keeps 16-bit words and spikes).  ``--project FILE`` only writes the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import verilog

from engine.equations.ir import build_ir
from engine.equations.model import check_model
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.program import compile_program
from hdl.datapath import NeuronDatapath
from hdl.generate import generate
from hdl.synth import plan_synthesis, synthesize

DT = 1e-4
POPULATION = 200
NEURON_BITS = 8
CASES = (("iaf_psc_exp", "Q16.16"), ("iaf_psc_exp", "Q8.8"), ("lif", "Q8.8"), ("izhikevich", "Q8.8"))
NETWORKS = ("hil_demo", "cuba_1000")
ROOT = Path(__file__).resolve().parents[1]
# iCE40UP5K (iCEBreaker): logic cells, DSPs, 4 kbit block RAMs, 256 kbit single-port RAMs (hdl.boards.CAPACITY)
UP5K = {"lut4": 5280, "ff": 5280, "dsp": 8, "ebr": 30, "spram": 4}


def datapath(model: str, fmt: str) -> NeuronDatapath:
    ir = build_ir(check_model(get_model(model).spec), DT)
    program = compile_program(ir, QFormat.parse(fmt))
    return NeuronDatapath(program, seed=1, population_size=POPULATION, neuron_bits=NEURON_BITS, dt=ir.dt)


def measure(model: str, fmt: str, target: str, dsp: bool, folder: Path) -> dict:
    dp = datapath(model, fmt)
    text = verilog.convert(dp, name="datapath")
    start = time.monotonic()
    report = synthesize(plan_synthesis(text, "datapath", target, dsp=dsp, place=False), folder)
    return {"model": model, "format": fmt, "target": target, "dsp_mapping": dsp,
            "lut4": report.lut4, "ff": report.flip_flops, "dsp": report.dsp, "carry": report.carry,
            "ram": report.ram, "stages": dp.latency,
            "multipliers": [list(w) for w in dp.resources.multipliers],
            "seconds": round(time.monotonic() - start, 1)}


def network(name: str):
    """The network case ``name`` built in Q16.16 (``cuba_1000``: :func:`cuba_project` of 1,000 neurons, 20,000
    synapses and delays up to 1.5 ms)."""
    from studio.project.project_file import load_network

    fmt = QFormat.parse("Q16.16")
    if name == "hil_demo":
        return load_network(ROOT / "resources/examples/hil_demo.ncsproj", fmt=fmt)[1]
    with tempfile.TemporaryDirectory(prefix="hdl_resources_") as tmp:
        return load_network(write_project(Path(tmp) / f"{name}.ncsproj", 1000, 20000, 1.5), fmt=fmt)[1]


def cuba_project(neurons: int, synapses: int, delay_ms: float = 1.0, seed: int = 1) -> dict:
    """A Vogels-Abbott CUBA project (as resources/examples/cuba.ncsproj) of ``neurons`` LIF neurons and about
    ``synapses`` synapses: excitatory projections delayed by ``delay_ms``, inhibitory by half of it."""
    with open(ROOT / "resources/examples/cuba.ncsproj") as f:
        project = json.load(f)
    n_e = neurons * 4 // 5
    p = synapses / neurons ** 2
    sizes = {"E": n_e, "I": neurons - n_e}
    for pop in project["populations"]:
        pop["size"] = sizes[pop["name"]]
    inhibitory_delay = max(0.1, round(delay_ms / 2, 1))
    for proj in project["projections"]:
        proj["rule"]["p"] = round(p, 6)
        proj["delay"] = f"{delay_ms if proj['source'] == 'E' else inhibitory_delay:g} ms"
    project["devices"] = [d for d in project["devices"] if d["kind"] == "spike_recorder"]
    project["seed"] = seed
    project["description"] = (f"LIF/CUBA capacity case: {neurons} neurons, about {synapses} synapses, "
                              f"delays up to {delay_ms:g} ms (benchmarks/hdl_resources.py)")
    return project


def write_project(path: Path, neurons: int, synapses: int, delay_ms: float = 1.0) -> Path:
    path.write_text(json.dumps(cuba_project(neurons, synapses, delay_ms), indent=1) + "\n")
    return path


def capacity_run(board: str, neurons: int, synapses: int, delay_ms: float, fmt: str, folder: Path,
                 reset: bool = True) -> dict:
    """``ncstudio synth`` of a generated CUBA project on ``board`` (with the HIL Reset unless ``reset`` is
    false): its JSON report, the density figures, and the rates the fixed-point engine gives the network
    in ``fmt`` over 200 ms (a silent network's cycles per step would be the update pass alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    project = write_project(folder / f"cuba_{neurons}_{synapses}.ncsproj", neurons, synapses, delay_ms)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "studio.cli.main", "synth", str(project), "--board", board,
                           "--fixed", fmt, "--json", "--out", str(folder / "build"), *([] if reset else ["--no-reset"])],
                          check=False, capture_output=True, text=True, env=env, cwd=ROOT)
    row = {"board": board, "neurons": neurons, "format": fmt, "delay_ms": delay_ms, "exit": proc.returncode,
           "seconds": round(time.monotonic() - start, 1)}
    if proc.stdout.strip():
        row.update(json.loads(proc.stdout))
    if proc.returncode:
        row["error"] = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    engine = subprocess.run([sys.executable, "-m", "studio.cli.main", "run", str(project), "--fixed", fmt,
                             "--duration", "200ms", "--json"], check=False, capture_output=True, text=True, env=env,
                             cwd=ROOT)
    row["engine_rates_hz"] = json.loads(engine.stdout)["rates_hz"] if engine.returncode == 0 else None
    from hdl.boards import find_board
    from hdl.core import NetworkCore
    from hdl.design import plan_network
    from hdl.estimate import for_board
    from hdl.generate import memories
    from studio.project.project_file import load_network

    plan = for_board(plan_network(load_network(project, fmt=QFormat.parse(fmt))[1], project.stem), find_board(board))
    mems = memories(plan, NetworkCore(plan))
    row["synapses"] = plan.n_synapses
    row["memory_bits"] = sum(m["bits"] for m in mems)
    per_neuron = sum(m["bits"] for m in mems if m["name"].startswith("pop_"))
    row["bits_per_neuron"] = round(per_neuron / plan.n_neurons, 1)
    row["bits_per_synapse"] = round((row["memory_bits"] - per_neuron) / max(plan.n_synapses, 1), 1)
    if row.get("luts"):
        row["neurons_per_lut"] = round(neurons / row["luts"], 3)
    return row


def measure_core(name: str, target: str, dsp: bool, folder: Path, synthesise: bool = True) -> dict:
    """Generate the core of network ``name`` as the iCEBreaker's build would (its tables loaded into SPRAM when
    block RAM cannot hold them, :func:`hdl.estimate.table_storage`), estimate it and synthesise it."""
    import dataclasses

    from hdl.boards import find_board
    from hdl.core import YOSYS_EMPTY_LOADED_TABLES
    from hdl.design import plan_network
    from hdl.estimate import estimate_resources, table_storage

    start = time.monotonic()
    plan = plan_network(network(name), name)
    board = find_board("icebreaker")
    tables = table_storage(plan, board)
    design = generate(plan, name, tables)
    row = {"case": f"core/{name}", "neurons": plan.n_neurons, "synapses": plan.n_synapses, "tables": tables,
           "units": [u["populations"] for u in design.manifest["units"]],
           "estimate": estimate_resources(plan, board).to_json()}
    if synthesise:
        sp = plan_synthesis(design.files[design.verilog_name], design.top, target, dsp=dsp, place=False)
        if target.startswith("ice40"):  # as hdl/board_build.py: loaded tables go to SPRAM
            files = tuple((n, t.replace("synth_ice40 ", f"{YOSYS_EMPTY_LOADED_TABLES}\nsynth_ice40 -spram ", 1))
                          for n, t in sp.files)
            sp = dataclasses.replace(sp, files=files)
        report = synthesize(sp, folder)
        row.update({"lut4": report.lut4, "ff": report.flip_flops, "dsp": report.dsp, "ebr": report.ram,
                    "spram": report.spram, "carry": report.carry})
        row["fits_up5k"] = all(row[k] <= UP5K[k] for k in ("lut4", "ff", "dsp", "ebr", "spram"))
    row["seconds"] = round(time.monotonic() - start, 1)
    return row


def _core_line(r: dict) -> str:
    est = r["estimate"]
    text = f"core/{r['case'][5:]:<10} {r['neurons']} neurons {r['synapses']} synapses (tables: {r['tables']})  "
    if "lut4" in r:
        text += (f"LUT4 {r['lut4']}/{UP5K['lut4']}  FF {r['ff']}/{UP5K['ff']}  DSP {r['dsp']}/{UP5K['dsp']}  "
                 f"EBR {r['ebr']}/{UP5K['ebr']}  SPRAM {r['spram']}/{UP5K['spram']}  "
                 f"({'fits' if r['fits_up5k'] else 'does NOT fit'} the UP5K)\n    ")
    used = est["used"]
    text += (f"estimate: LUT {used['luts']}  FF {used['ffs']}  DSP {used['dsps']}  BRAM {used['brams']}  "
             f"SPRAM {used['sprams']}  memories {est['memory_bits']} bits ({'over: ' + ', '.join(est['over']) if est['over'] else 'fits'})")
    return text + f"  ({r['seconds']} s)"


def _capacity_line(r: dict) -> str:
    text = f"{r['board']}: {r['neurons']} neurons, {r['synapses']} synapses ({r['format']}): "
    if "luts" in r:
        text += (f"LC {r['luts']}/{r['luts_total']}  BRAM {r['brams']}/{r['brams_total']}  "
                 f"SPRAM {r['sprams']}/{r['sprams_total']}  DSP {r['dsps']}/{r['dsps_total']}  "
                 f"Fmax {r['fmax_mhz']} MHz  {r['cycles_per_step']} cycles/step  "
                 f"real-time x{r['realtime_factor']}  {r.get('neurons_per_lut')} neurons/LUT  ")
    text += f"RAM {r['bits_per_neuron']} bits/neuron, {r['bits_per_synapse']} bits/synapse"
    if r["engine_rates_hz"] is not None:
        text += "  engine " + ", ".join(f"{pop} {hz:.1f} Hz" for pop, hz in r["engine_rates_hz"].items())
    return text + (f"  FAILED: {r['error']}" if r["exit"] else "") + f"  ({r['seconds']} s)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--target", default="ice40-up5k")
    ap.add_argument("--nodsp", action="store_true", help="map multipliers to LUTs")
    ap.add_argument("--only", action="append", default=[], metavar="MODEL/FORMAT")
    ap.add_argument("--keep", type=Path, help="build folder to keep (default: a temporary one)")
    ap.add_argument("--estimate", action="store_true", help="network cores: memory fit only, no synthesis")
    ap.add_argument("--capacity", nargs=3, metavar=("BOARD", "NEURONS", "SYNAPSES"),
                    help="synthesise a generated CUBA project of this size for BOARD (ncstudio synth)")
    ap.add_argument("--project", type=Path, metavar="FILE", help="with --capacity: only write the project")
    ap.add_argument("--delay", type=float, default=1.0, help="longest delay of the CUBA project, ms")
    ap.add_argument("--fixed", default="Q7.9",
                    help="Q format of the CUBA project's core (default Q7.9: 16-bit words that keep it spiking; "
                         "at Q8.8 it is silent)")
    ap.add_argument("--no-reset", action="store_true", help="with --capacity: build without the HIL Reset")
    args = ap.parse_args(argv)
    if args.capacity:
        board, neurons, synapses = args.capacity[0], int(args.capacity[1]), int(args.capacity[2])
        if args.project:
            write_project(args.project, neurons, synapses, args.delay)
            return 0
        folder = args.keep or Path(tempfile.mkdtemp(prefix="hdl_capacity_"))
        row = capacity_run(board, neurons, synapses, args.delay, args.fixed, folder, reset=not args.no_reset)
        print(json.dumps(row, indent=1) if args.json else _capacity_line(row))
        return row["exit"]
    cases = [c for c in CASES if not args.only or "/".join(c) in args.only]
    nets = [n for n in NETWORKS if not args.only or f"core/{n}" in args.only]
    if args.only and not cases and not nets:
        ap.error(f"no case named {args.only}; known: {', '.join('/'.join(c) for c in CASES)}, "
                 f"{', '.join('core/' + n for n in NETWORKS)}")
    rows, cores = [], []
    with tempfile.TemporaryDirectory(prefix="hdl_resources_") as tmp:
        root = args.keep or Path(tmp)
        for model, fmt in cases:
            rows.append(measure(model, fmt, args.target, not args.nodsp,
                                root / f"{model}_{fmt.replace('.', '_')}"))
            if not args.json:
                r = rows[-1]
                print(f"{model:<12} {fmt:<7} LUT4 {r['lut4']:>5}  FF {r['ff']:>5}  DSP {r['dsp']:>2}  "
                      f"carry {r['carry']:>4}  stages {r['stages']:>2}  ({r['seconds']} s)", flush=True)
        for name in nets:
            cores.append(measure_core(name, args.target, not args.nodsp, root / f"core_{name}", not args.estimate))
            if not args.json:
                print(_core_line(cores[-1]), flush=True)
    if args.json:
        json.dump({"target": args.target, "datapaths": rows, "cores": cores}, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
