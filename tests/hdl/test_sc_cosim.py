"""The SC blocks under Verilator (and in Amaranth's simulator) equal the engine's streams bit for bit:
source words, encoded bits, AND / XNOR / MUX / 3-input MUX and the popcount of every stream."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator

from engine.stochastic.sc_sources import FULL_SCALE, source_words
from engine.stochastic.sc_streams import (
    and_streams,
    encode,
    mux_inputs,
    mux_streams,
    pack,
    popcount,
    select_index,
    unpack,
    xnor_streams,
)
from hdl.netcosim import build_simulator
from hdl.tools import run_command
from tests.hdl.sc_cases import COLUMNS, RESULTS, STREAMS, ScUnit, sc_unit_design

SOURCES = (("lfsr16", 0x1234), ("sobol16", 3), ("halton", 777))
LENGTH = 256


def _segment(levels: dict[str, int], count: int) -> dict[str, np.ndarray]:
    """The engine's view of ``count`` clocks from word 0: every column but the counts."""
    words = {name: source_words(source, count, seed) for name, (source, seed) in zip(STREAMS, SOURCES)}
    streams = {name: encode(words[name], levels[name]) for name in STREAMS}
    a, b, s = (streams[n] for n in STREAMS)
    anded = and_streams(a, b)
    results = {"and": anded, "xnor": xnor_streams(a, b, count), "mux": mux_streams(a, b, s),
               "muxn": mux_inputs(np.stack([a, b, anded]), select_index(words["s"], 3))}
    columns = {f"word_{n}": words[n].astype(np.int64) for n in STREAMS}
    columns |= {f"bit_{n}": unpack(streams[n], count) for n in STREAMS}
    columns |= {f"{n}_out": unpack(results[n], count) for n in RESULTS}
    return columns


def _stream_counts(bits: np.ndarray) -> list[int]:
    whole = len(bits) // LENGTH * LENGTH
    return popcount(pack(bits[:whole].reshape(-1, LENGTH))).tolist()


def _expected(levels: dict[str, int], cycles: int, restart: int) -> tuple[dict[str, np.ndarray], dict]:
    """Per-clock columns and the popcounts of complete streams, with the sources restarted on clock ``restart``
    (the bit on that clock is dropped with the partial stream before it)."""
    first, second = _segment(levels, restart + 1), _segment(levels, cycles - restart - 1)
    columns = {k: np.concatenate([first[k], second[k]]).astype(np.int64) for k in first}
    counts = {name: _stream_counts(first[f"{name}_out"][:restart]) + _stream_counts(second[f"{name}_out"])
              for name in RESULTS}
    return columns, counts


def _check(rows: np.ndarray, levels: dict[str, int], restart: int) -> None:
    columns, counts = _expected(levels, len(rows), restart)
    for k, name in enumerate(COLUMNS):
        if name in columns:
            differ = np.flatnonzero(rows[:, k] != columns[name])
            assert differ.size == 0, f"{name} differs first on clock {differ[:1]}"
    valid = rows[:, COLUMNS.index("valid")] == 1
    assert valid.sum() == len(counts["and"]) > 0
    for name in RESULTS:
        assert rows[valid, COLUMNS.index(f"count_{name}")].tolist() == counts[name], name


LEVELS = [{"a": 40000, "b": 21000, "s": 32768}, {"a": 0, "b": FULL_SCALE, "s": 1}, {"a": 65535, "b": 1, "s": 50000}]


def test_the_sc_unit_in_amaranths_simulator_equals_the_engine():
    levels, restart, cycles = LEVELS[0], LENGTH + 10, 3 * LENGTH + 20
    dut, rows = ScUnit(SOURCES, LENGTH), []

    async def bench(ctx):
        for name in STREAMS:
            ctx.set(getattr(dut, f"level_{name}"), levels[name])
        for clock in range(cycles):
            ctx.set(dut.en, 1)
            ctx.set(dut.restart, int(clock == restart))
            rows.append([ctx.get(getattr(dut, column)) for column in COLUMNS])
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    _check(np.array(rows, dtype=np.int64), levels, restart)


@pytest.mark.slow
@pytest.mark.tools("verilator")
@pytest.mark.parametrize("levels", LEVELS)
def test_the_sc_unit_under_verilator_equals_the_engine(levels):
    exe, _, _ = build_simulator(sc_unit_design(SOURCES, LENGTH))
    restart = 2 * LENGTH + 10
    cycles = restart + 1 + 20 * LENGTH + 3
    with tempfile.TemporaryDirectory(prefix="ncstudio-sc-") as tmp:
        args = [str(cycles), *(str(levels[n]) for n in STREAMS), str(restart), "rows.txt"]
        run_command([str(exe), *args], cwd=Path(tmp), env=dict(os.environ), timeout=120)
        rows = np.loadtxt(Path(tmp) / "rows.txt", dtype=np.int64, ndmin=2)
    assert rows.shape == (cycles, len(COLUMNS))
    _check(rows, levels, restart)
