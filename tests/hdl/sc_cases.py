"""A test top of the SC blocks and its Verilator harness: three sources, their encoders, every operator and a
popcount decoder on each operator's output (tests/hdl/test_sc_cosim.py runs it against the engine)."""

from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.generate import HARNESS, PREFIX, GeneratedDesign
from hdl.sc_rtl import (
    LEVEL_BITS,
    ComparatorEncoder,
    MuxInputs,
    PopcountDecoder,
    ScOperator,
    make_source,
)

STREAMS = ("a", "b", "s")
RESULTS = ("and", "xnor", "mux", "muxn")  # muxn: the 3-input MUX of bit_a, bit_b and the AND, selected by word_s
TOP = "sc_unit"


class ScUnit(wiring.Component):
    """Streams ``a``, ``b`` (operands) and ``s`` (select) from ``sources`` [(name, seed)] * 3."""

    def __init__(self, sources, length: int):
        self.sources = sources
        self.length = length
        ports = {"en": In(1), "restart": In(1), "valid": Out(1)}
        for name in STREAMS:
            ports |= {f"level_{name}": In(LEVEL_BITS), f"word_{name}": Out(16), f"bit_{name}": Out(1)}
        for name in RESULTS:
            ports |= {f"{name}_out": Out(1), f"count_{name}": Out(range(length + 1))}
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        bits = {}
        for name, (source, seed) in zip(STREAMS, self.sources):
            m.submodules[f"source_{name}"] = src = make_source(source, seed)
            m.submodules[f"encoder_{name}"] = enc = ComparatorEncoder()
            m.d.comb += [src.en.eq(self.en), src.restart.eq(self.restart), enc.word.eq(src.word),
                         enc.level.eq(getattr(self, f"level_{name}")), getattr(self, f"word_{name}").eq(src.word),
                         getattr(self, f"bit_{name}").eq(enc.bit)]
            bits[name] = enc.bit
        outs = {}
        for op in ("and", "xnor", "mux"):
            m.submodules[op] = unit = ScOperator(op)
            m.d.comb += [unit.a.eq(bits["a"]), unit.b.eq(bits["b"]), unit.select.eq(bits["s"])]
            outs[op] = unit.out
        m.submodules.muxn = muxn = MuxInputs(3)
        m.d.comb += [muxn.inputs.eq(bits["a"] | (bits["b"] << 1) | (outs["and"] << 2)),
                     muxn.select_word.eq(self.word_s)]
        outs["muxn"] = muxn.out
        for name in RESULTS:
            m.submodules[f"count_{name}"] = counter = PopcountDecoder(self.length)
            m.d.comb += [counter.bit.eq(outs[name]), counter.en.eq(self.en), counter.restart.eq(self.restart),
                         getattr(self, f"{name}_out").eq(outs[name]),
                         getattr(self, f"count_{name}").eq(counter.count)]
        m.d.comb += self.valid.eq(m.submodules["count_and"].valid)
        return m


COLUMNS = (*(f"word_{n}" for n in STREAMS), *(f"bit_{n}" for n in STREAMS), *(f"{n}_out" for n in RESULTS),
           "valid", *(f"count_{n}" for n in RESULTS))


def harness() -> str:
    """The C++ driver: ``sim CYCLES LEVEL_A LEVEL_B LEVEL_S RESTART_CYCLE OUT`` prints one line of
    :data:`COLUMNS` per clock (``en`` high throughout, ``restart`` high on clock RESTART_CYCLE)."""
    row = " ".join("%u" for _ in COLUMNS)
    values = ", ".join(f"(unsigned)top->{c}" for c in COLUMNS)
    return f"""// Verilator harness for the SC test top (tests/hdl/sc_cases.py).
#include <cstdio>
#include <cstdlib>
#include "{PREFIX}.h"
#include "verilated.h"

int main(int argc, char** argv) {{
    if (argc < 7) {{ std::fprintf(stderr, "usage: %s CYCLES LA LB LS RESTART OUT\\n", argv[0]); return 2; }}
    unsigned long cycles = std::strtoul(argv[1], nullptr, 10), restart = std::strtoul(argv[5], nullptr, 10);
    FILE* out = std::fopen(argv[6], "w");
    if (!out) {{ std::perror(argv[6]); return 2; }}
    VerilatedContext ctx;
    {PREFIX}* top = new {PREFIX}{{&ctx}};
    top->level_a = std::strtoul(argv[2], nullptr, 10);
    top->level_b = std::strtoul(argv[3], nullptr, 10);
    top->level_s = std::strtoul(argv[4], nullptr, 10);
    top->clk = 0; top->rst = 1; top->en = 0; top->restart = 0;
    for (int i = 0; i < 4; ++i) {{ top->clk = !top->clk; top->eval(); }}
    top->rst = 0;
    for (unsigned long c = 0; c < cycles; ++c) {{
        top->clk = 0; top->en = 1; top->restart = c == restart; top->eval();
        std::fprintf(out, "{row}\\n", {values});
        top->clk = 1; top->eval();
    }}
    std::fclose(out);
    top->final();
    delete top;
    return 0;
}}
"""


def sc_unit_design(sources, length: int) -> GeneratedDesign:
    """The Verilog of :class:`ScUnit` and its harness, in the form hdl.netcosim.build_simulator builds."""
    text = verilog.convert(ScUnit(sources, length), name=TOP, emit_src=False)
    return GeneratedDesign(None, TOP, {f"{TOP}.v": text, HARNESS: harness()}, {}, {})
