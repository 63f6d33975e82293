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
(tests/hdl/network_cases.py ``cuba_1000``).  Each is compared with the UP5K's capacity (5,280
LUT4/FF, 8 SB_MAC16, 30 SB_RAM40_4K, 4 SB_SPRAM256KA), and its memories are assigned to the
device by :func:`fit_memories`: memories that start at zero (rings, the spike queue) may live in
single-port SPRAM; memories with initial contents (state, parameter and synapse ROMs) need block
RAM, or SPRAM plus a loader that writes them before the first step (the core has none), and the
report says which.  ``--only core/cuba_1000`` needs no synthesis for its memory report
(``--estimate``).
"""

from __future__ import annotations

import argparse
import json
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
from hdl.synth import plan_synthesis, synthesize

DT = 1e-4
POPULATION = 200
NEURON_BITS = 8
CASES = (("iaf_psc_exp", "Q16.16"), ("iaf_psc_exp", "Q8.8"), ("lif", "Q8.8"), ("izhikevich", "Q8.8"))
NETWORKS = ("hil_demo", "cuba_1000")
ROOT = Path(__file__).resolve().parents[1]
# iCE40UP5K (iCEBreaker): logic cells, DSPs, 4 kbit block RAMs, 256 kbit single-port RAMs
UP5K = {"lut4": 5280, "ff": 5280, "dsp": 8, "ebr": 30, "spram": 4}
SPRAM_SHAPE = (16384, 16)


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
    """The network case ``name`` built in Q16.16."""
    fmt = QFormat.parse("Q16.16")
    if name == "hil_demo":
        from studio.project.project_file import load_network
        return load_network(ROOT / "resources/examples/hil_demo.ncsproj", fmt=fmt)[1]
    sys.path.insert(0, str(ROOT))
    from engine.network.build import build_network
    from tests.hdl.network_cases import cuba_1000
    return build_network(cuba_1000(), fmt)


def spram_blocks(words: int, width: int) -> int:
    return -(-words // SPRAM_SHAPE[0]) * -(-width // SPRAM_SHAPE[1])


def fit_memories(memories: list[dict], ebr: int = UP5K["ebr"], spram: int = UP5K["spram"]) -> dict:
    """Place every memory of a manifest in block RAM or SPRAM, largest savings first.

    A memory goes to SPRAM when it starts at zero (no initial contents), is larger than a few block
    RAMs and SPRAM blocks are left; then, if block RAM still overflows, memories with initial
    contents are moved to SPRAM too and listed under ``need_loader``.
    """
    from hdl.generate import block_rams

    rows = [dict(m, ebr=block_rams(m["words"], m["width"]), spram=spram_blocks(m["words"], m["width"]))
            for m in memories]
    for m in rows:
        m["place"] = "ebr"
    free = spram
    for loader in (False, True):
        used = sum(m["ebr"] for m in rows if m["place"] == "ebr")
        # rings are read, cleared and read-add-written: single-port sequences; the queue is a FIFO (two ports)
        candidates = sorted((m for m in rows if m["place"] == "ebr" and m["initial"] == loader and m["ebr"] > 2
                             and (loader or ".ring_" in m["name"])),
                            key=lambda m: m["ebr"] / m["spram"], reverse=True)
        for m in candidates:
            if used <= ebr:
                break
            if m["spram"] <= free:
                m["place"] = "spram"
                free -= m["spram"]
                used -= m["ebr"]
        if used <= ebr:
            break
    ebr_used = sum(m["ebr"] for m in rows if m["place"] == "ebr")
    spram_used = sum(m["spram"] for m in rows if m["place"] == "spram")
    return {"fits": ebr_used <= ebr and spram_used <= spram, "ebr": ebr_used, "spram": spram_used,
            "in_spram": [m["name"] for m in rows if m["place"] == "spram"],
            "need_loader": [m["name"] for m in rows if m["place"] == "spram" and m["initial"]],
            "over": [] if ebr_used <= ebr else [f"{m['name']} ({m['ebr']} EBR)" for m in rows
                                                if m["place"] == "ebr" and m["ebr"] > 2],
            "device_bits": ebr * 4096 + spram * SPRAM_SHAPE[0] * SPRAM_SHAPE[1],
            "memory_bits": sum(m["bits"] for m in memories),
            "memories": [{k: m[k] for k in ("name", "words", "width", "initial", "ebr", "spram", "place")}
                         for m in rows]}


def measure_core(name: str, target: str, dsp: bool, folder: Path, synthesise: bool = True) -> dict:
    """Generate the core of network ``name``, synthesise it (``-spram``), fit its memories to the UP5K."""
    import dataclasses

    from hdl.design import plan_network
    from hdl.generate import generate

    start = time.monotonic()
    design = generate(plan_network(network(name), name), name)
    plan = design.plan
    row = {"case": f"core/{name}", "neurons": plan.n_neurons, "synapses": plan.n_synapses,
           "units": [u["populations"] for u in design.manifest["units"]],
           "fit": fit_memories(design.manifest["memories"])}
    if synthesise:
        sp = plan_synthesis(design.files[design.verilog_name], design.top, target, dsp=dsp, place=False)
        if target.startswith("ice40"):  # let Yosys map zero-initialised single-port memories to SPRAM
            files = tuple((n, t.replace("synth_ice40 ", "synth_ice40 -spram ", 1)) for n, t in sp.files)
            sp = dataclasses.replace(sp, files=files)
        report = synthesize(sp, folder)
        row.update({"lut4": report.lut4, "ff": report.flip_flops, "dsp": report.dsp, "ebr": report.ram,
                    "spram": report.spram, "carry": report.carry})
        row["fits_up5k"] = all(row[k] <= UP5K[k] for k in ("lut4", "ff", "dsp", "ebr", "spram"))
    row["seconds"] = round(time.monotonic() - start, 1)
    return row


def _core_line(r: dict) -> str:
    fit = r["fit"]
    text = f"core/{r['case'][5:]:<10} {r['neurons']} neurons {r['synapses']} synapses  "
    if "lut4" in r:
        text += (f"LUT4 {r['lut4']}/{UP5K['lut4']}  FF {r['ff']}/{UP5K['ff']}  DSP {r['dsp']}/{UP5K['dsp']}  "
                 f"EBR {r['ebr']}/{UP5K['ebr']}  SPRAM {r['spram']}/{UP5K['spram']}  "
                 f"({'fits' if r['fits_up5k'] else 'does NOT fit'} the UP5K)\n    ")
    text += (f"memories {fit['memory_bits']} bits: {fit['ebr']} EBR + {fit['spram']} SPRAM "
             f"({'fit' if fit['fits'] else 'do NOT fit'})")
    if fit["in_spram"]:
        text += (f"; would need SPRAM: {', '.join(fit['in_spram'])} (rings: single-port read/clear and "
                 "read-add-write sequences, which the core does not generate yet)")
    if fit["over"]:
        text += (f"; block RAM still over by {fit['ebr'] - UP5K['ebr']} with {', '.join(fit['over'])} "
                 f"(all memories {fit['memory_bits']} bits, the device {fit['device_bits']})")
    if fit["need_loader"]:
        text += f"; need a loader for their initial contents: {', '.join(fit['need_loader'])}"
    return text + f"  ({r['seconds']} s)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--target", default="ice40-up5k")
    ap.add_argument("--nodsp", action="store_true", help="map multipliers to LUTs")
    ap.add_argument("--only", action="append", default=[], metavar="MODEL/FORMAT")
    ap.add_argument("--keep", type=Path, help="build folder to keep (default: a temporary one)")
    ap.add_argument("--estimate", action="store_true", help="network cores: memory fit only, no synthesis")
    args = ap.parse_args(argv)
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
