"""FPGA resources of the neuron datapaths (hdl/datapath.py), synthesised with Yosys.

Run: ``.venv/bin/python benchmarks/hdl_resources.py [--json] [--target ice40-up5k] [--nodsp]
[--only iaf_psc_exp/Q16.16] [--keep DIR]``.

Each case compiles a library model to a fixed-point program, lowers it to a
:class:`hdl.datapath.NeuronDatapath` (200 neurons, 8 neuron bits), converts it to
Verilog and synthesises it with :func:`hdl.synth.synthesize` (``synth_ice40 -dsp``
by default).  The bare datapath has more port bits than a package has pins, so it
is synthesised only, not placed.  The table gives LUT4s, flip-flops, DSP blocks,
carry cells and the datapath's pipeline depth.  Budget for the hil_demo network
core on the iCE40UP5K: <= 2,500 LUT4 and <= 8 SB_MAC16.
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
from engine.vm import compile_program
from hdl.datapath import NeuronDatapath
from hdl.synth import plan_synthesis, synthesize

DT = 1e-4
POPULATION = 200
NEURON_BITS = 8
CASES = (("iaf_psc_exp", "Q16.16"), ("iaf_psc_exp", "Q8.8"), ("lif", "Q8.8"), ("izhikevich", "Q8.8"))


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--target", default="ice40-up5k")
    ap.add_argument("--nodsp", action="store_true", help="map multipliers to LUTs")
    ap.add_argument("--only", action="append", default=[], metavar="MODEL/FORMAT")
    ap.add_argument("--keep", type=Path, help="build folder to keep (default: a temporary one)")
    args = ap.parse_args(argv)
    cases = [c for c in CASES if not args.only or "/".join(c) in args.only]
    if args.only and not cases:
        ap.error(f"no case named {args.only}; known: {', '.join('/'.join(c) for c in CASES)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hdl_resources_") as tmp:
        root = args.keep or Path(tmp)
        for model, fmt in cases:
            rows.append(measure(model, fmt, args.target, not args.nodsp,
                                root / f"{model}_{fmt.replace('.', '_')}"))
            if not args.json:
                r = rows[-1]
                print(f"{model:<12} {fmt:<7} LUT4 {r['lut4']:>5}  FF {r['ff']:>5}  DSP {r['dsp']:>2}  "
                      f"carry {r['carry']:>4}  stages {r['stages']:>2}  ({r['seconds']} s)", flush=True)
    if args.json:
        json.dump({"target": args.target, "datapaths": rows}, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
