"""iCE40 resources of a stochastic-computing synapse against a fixed-point Q8.8 multiply, synthesised with Yosys.

Run: ``.venv/bin/python benchmarks/sc_cost.py [--json] [--only CASE ...] [--keep DIR]``, or with ``--errors`` for the
error-vs-L table of every source (engine/stochastic/sc_error.py; no synthesis).

Every case is an Amaranth block of hdl/sc_rtl.py (or a Q8.8 multiplier) converted to Verilog and synthesised with
:func:`hdl.synth.synthesize` for the iCE40UP5K (``synth_ice40``, synthesis only: the bare blocks are not placed).

* ``source/<name>``: one bitstream source (16-bit word register and its next-word logic).
* ``synapse``: what each SC synapse owns: the comparator encoder of its weight level and the AND with the
  presynaptic activity bit; ``synapse/8-bit weight`` compares a weight of 8 fraction bits (levels 0 .. 256 << 8).
* ``mux<N>``, ``popcount<L>``: the N-input MUX (scaled addition) and the popcount decoder of L-bit streams.
* ``unit<N>/<name>``: N synapses summed the SC way: one weight source shared by the N encoders, a select
  source driving the N-input MUX, one popcount decoder of L = 256 bits.  Its resources / N are one SC
  synapse with its share of the source, MUX and popcount.
* ``q8.8-mul/dsp`` and ``q8.8-mul/lut``: a signed 16 x 16 multiply keeping bits 8..23 (the Q8.8 product),
  mapped to an SB_MAC16 (``synth_ice40 -dsp``) or to LUTs.

An SC synapse delivers one product per L clocks; the fixed-point multiplier one per clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from engine.stochastic.sc_error import (
    LENGTHS,
    OPERATIONS,
    error_table,
    hoeffding_length,
    shortest_length,
)
from engine.stochastic.sc_sources import SOURCES, WORD_BITS, default_seed
from hdl.sc_rtl import (
    LEVEL_BITS,
    ComparatorEncoder,
    MuxInputs,
    PopcountDecoder,
    ScOperator,
    make_source,
)
from hdl.synth import plan_synthesis, synthesize

TARGET = "ice40-up5k"
BOUNDS = (0.05, 0.02, 0.01)
LENGTH = 256
UNIT_INPUTS = 8


class Synapse(wiring.Component):
    """One SC synapse: ``out = (word < level) AND active``, the level given by its top ``level_bits`` bits (the rest
    0: ``level_bits = 9`` is a weight magnitude of 8 fraction bits, 0 .. 256 / 256)."""

    def __init__(self, level_bits: int = LEVEL_BITS):
        self.level_bits = level_bits
        super().__init__({"word": In(WORD_BITS), "level": In(level_bits), "active": In(1), "out": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.encoder = encoder = ComparatorEncoder()
        m.submodules.gate = gate = ScOperator("and")
        level = self.level << (LEVEL_BITS - self.level_bits)
        m.d.comb += [encoder.word.eq(self.word), encoder.level.eq(level), gate.a.eq(encoder.bit),
                     gate.b.eq(self.active), self.out.eq(gate.out)]
        return m


class SumUnit(wiring.Component):
    """``n`` SC synapses of one target summed by a MUX and decoded by a popcount over ``length`` bits."""

    def __init__(self, source: str, n: int, length: int):
        self.source, self.n, self.length = source, n, length
        super().__init__({"levels": In(LEVEL_BITS * n), "active": In(n), "en": In(1), "restart": In(1),
                          "count": Out(range(length + 1)), "valid": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.weights = weights = make_source(self.source, default_seed(self.source, 0))
        m.submodules.select = select = make_source(self.source, default_seed(self.source, 1))
        m.submodules.mux = mux = MuxInputs(self.n)
        m.submodules.popcount = popcount = PopcountDecoder(self.length)
        bits = Signal(self.n)
        for k in range(self.n):
            m.submodules[f"synapse{k}"] = synapse = Synapse()
            m.d.comb += [synapse.word.eq(weights.word), synapse.active.eq(self.active[k]), bits[k].eq(synapse.out),
                         synapse.level.eq(self.levels[k * LEVEL_BITS:(k + 1) * LEVEL_BITS])]
        for src in (weights, select):
            m.d.comb += [src.en.eq(self.en), src.restart.eq(self.restart)]
        m.d.comb += [mux.inputs.eq(bits), mux.select_word.eq(select.word), popcount.bit.eq(mux.out),
                     popcount.en.eq(self.en), popcount.restart.eq(self.restart), self.count.eq(popcount.count),
                     self.valid.eq(popcount.valid)]
        return m


class FixedMultiply(wiring.Component):
    """The Q8.8 product of two signed 16-bit values: bits 8..23 of the 32-bit product."""

    def __init__(self):
        super().__init__({"a": In(16), "b": In(16), "product": Out(16)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.product.eq((self.a.as_signed() * self.b.as_signed())[8:24])
        return m


def cases() -> dict[str, tuple]:
    """Case name -> (block factory, map multipliers to DSPs, synapses it stands for)."""
    table: dict[str, tuple] = {f"source/{s}": (lambda s=s: make_source(s), False, 0) for s in SOURCES}
    table["synapse"] = (Synapse, False, 1)
    table["synapse/8-bit weight"] = (lambda: Synapse(9), False, 1)
    table[f"mux{UNIT_INPUTS}"] = (lambda: MuxInputs(UNIT_INPUTS), False, 0)
    for length in (LENGTH, 4096):
        table[f"popcount{length}"] = (lambda length=length: PopcountDecoder(length), False, 0)
    for s in SOURCES:
        table[f"unit{UNIT_INPUTS}/{s}"] = (lambda s=s: SumUnit(s, UNIT_INPUTS, LENGTH), False, UNIT_INPUTS)
    table["q8.8-mul/dsp"] = (FixedMultiply, True, 1)
    table["q8.8-mul/lut"] = (FixedMultiply, False, 1)
    return table


def measure(name: str, folder: Path) -> dict:
    """Synthesise case ``name`` in ``folder``; its cells, and per synapse for the cases that stand for synapses."""
    factory, dsp, synapses = cases()[name]
    top = "sc_" + "".join(c if c.isalnum() else "_" for c in name)
    start = time.monotonic()
    report = synthesize(plan_synthesis(verilog.convert(factory(), name=top, emit_src=False), top, TARGET,
                                       dsp=dsp, place=False), folder)
    row = {"case": name, "top": top, "lut4": report.lut4, "ff": report.flip_flops, "dsp": report.dsp,
           "carry": report.carry, "seconds": round(time.monotonic() - start, 1)}
    if synapses > 1:
        row["per_synapse"] = {k: round(row[k] / synapses, 2) for k in ("lut4", "ff", "dsp", "carry")}
    return row


def table(rows: list[dict]) -> str:
    """A Markdown table of the measured rows."""
    lines = ["| case | SB_LUT4 | SB_DFF* | SB_MAC16 | SB_CARRY | per synapse (LUT4 / FF / DSP / carry) |",
             "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        share = r.get("per_synapse")
        per = f"{share['lut4']} / {share['ff']} / {share['dsp']} / {share['carry']}" if share else ""
        lines.append(f"| {r['case']} | {r['lut4']} | {r['ff']} | {r['dsp']} | {r['carry']} | {per} |")
    return "\n".join(lines)


def error_report() -> str:
    """The error-vs-L tables (mean / max absolute error against float, then against Q8.8 fixed point, over every
    Q8.8 operand in [0, 1]) and the lengths that keep the max error against float under each of :data:`BOUNDS`:
    measured, and from Hoeffding at 95 %."""
    rows = error_table()
    lines = []
    for against in ("float", "fixed"):
        lines += [f"Error against {against} (mean / max):", "",
                  "| source | operation | " + " | ".join(f"L={n}" for n in LENGTHS) + " |",
                  "|---|---|" + "---:|" * len(LENGTHS)]
        for source in SOURCES:
            for op in OPERATIONS:
                cells = [f"{getattr(r, f'mean_vs_{against}'):.4f} / {getattr(r, f'max_vs_{against}'):.4f}"
                         for r in rows if r.source == source and r.operation == op]
                lines.append(f"| {source} | {op} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Shortest L whose max error against float is under a bound:", "",
              "| source | operation | " + " | ".join(f"max < {b}" for b in BOUNDS) + " |",
              "|---|---|" + "---:|" * len(BOUNDS)]
    shortest = [shortest_length(rows, b) for b in BOUNDS]
    for source in SOURCES:
        for op in OPERATIONS:
            cells = [str(best[(source, op)] or f"> {LENGTHS[-1]}") for best in shortest]
            lines.append(f"| {source} | {op} | " + " | ".join(cells) + " |")
    lines.append("| Hoeffding (95 %) | any | " + " | ".join(str(hoeffding_length(b)) for b in BOUNDS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--only", action="append", choices=sorted(cases()), help="measure only this case")
    parser.add_argument("--keep", type=Path, help="keep each case's build folder under this directory")
    parser.add_argument("--errors", action="store_true", help="print the error-vs-L table instead (no synthesis)")
    args = parser.parse_args(argv)
    if args.errors:
        print(error_report())
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="sc_cost_") as tmp:
        base = args.keep or Path(tmp)
        for name in args.only or list(cases()):
            rows.append(measure(name, base / name.replace("/", "_")))
            if not args.json:
                print(f"{name}: {rows[-1]['seconds']} s", file=sys.stderr)
    print(json.dumps(rows, indent=1) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
