"""Comparisons with constants built as logic (hdl/datapath.py, hdl/core.py) equal Python's, for every value.

They stand in for Yosys's carry chains in the datapath's limits and comparisons, the input saturation, the
current windows and the Poisson draws, so each is checked exhaustively on small widths in Amaranth's simulator.
"""

from __future__ import annotations

import itertools

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from hdl.core import _count_reached
from hdl.datapath import _ordered, above_range, at_least, below_range

WIDTH = 6
CONSTANTS = (-70, -33, -32, -31, -5, -1, 0, 1, 2, 7, 20, 31, 32, 33, 40, 63, 64, 65)


def _evaluate(shape, outputs: dict) -> dict:
    """Every output (a function of the input signal) for every value of ``shape``: {name: [value, ...]}."""
    m = Module()
    x = Signal(shape)
    sigs = {}
    for name, build in outputs.items():
        sigs[name] = Signal(len(build(x)), name=name)
        m.d.comb += sigs[name].eq(build(x))
    lo, hi = (-(1 << (WIDTH - 1)), 1 << (WIDTH - 1)) if shape.signed else (0, 1 << WIDTH)
    got = {name: [] for name in outputs}

    async def bench(ctx):
        for v in range(lo, hi):
            ctx.set(x, v)
            for name, sig in sigs.items():
                got[name].append(ctx.get(sig))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return got


def test_comparisons_with_constants_equal_pythons():
    for shape in (signed(WIDTH), unsigned(WIDTH)):
        outputs = {f"{op}{c}".replace("-", "m"): (lambda x, op=op, c=c: _ordered(x, op, c))
                   for op, c in itertools.product(("<", "<=", ">", ">="), CONSTANTS)}
        outputs.update({f"ge{c}": (lambda x, c=c: at_least(x, c)) for c in CONSTANTS if not shape.signed})
        outputs.update({f"above{b}": (lambda x, b=b: above_range(x, b)) for b in range(1, WIDTH + 2)})
        outputs.update({f"below{b}": (lambda x, b=b: below_range(x, b)) for b in range(1, WIDTH + 2)})
        got = _evaluate(shape, outputs)
        lo = -(1 << (WIDTH - 1)) if shape.signed else 0
        for name, values in got.items():
            for offset, out in enumerate(values):
                v = lo + offset
                if name.startswith("ge"):
                    want = v >= int(name[2:])
                elif name.startswith("above"):
                    want = v > (1 << (int(name[5:]) - 1)) - 1
                elif name.startswith("below"):
                    want = v < -(1 << (int(name[5:]) - 1))
                else:
                    op = name.rstrip("0123456789m")
                    c = int(name[len(op):].replace("m", "-"))
                    want = {"<": v < c, "<=": v <= c, ">": v > c, ">=": v >= c}[op]
                assert out == int(want), f"{name} at {v}: {out}"


def test_a_poisson_count_is_the_number_of_thresholds_reached():
    tables = [(5,), (3, 3, 40), (1, 9, 20, 33, 47, 60, 62), (10, 12, 14, 16, 18, 20, 22, 24, 26, 63)]
    got = _evaluate(unsigned(WIDTH),
                    {f"t{k}": (lambda x, t=t: _count_reached(x, t)) for k, t in enumerate(tables)})
    for k, t in enumerate(tables):
        assert got[f"t{k}"] == [sum(v >= c for c in t) for v in range(1 << WIDTH)]
