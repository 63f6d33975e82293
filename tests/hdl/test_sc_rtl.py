# amaranth: UnusedElaboratable=no
"""The SC hardware blocks (hdl/sc_rtl.py) in Amaranth's simulator equal the engine's definitions bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from engine.stochastic.sc_sources import FULL_SCALE, SOBOL16_DIMENSIONS, source_words
from engine.stochastic.sc_streams import (
    and_streams,
    mux_streams,
    pack,
    popcount,
    select_index,
    unpack,
    xnor_streams,
)
from hdl.sc_rtl import (
    ComparatorEncoder,
    MuxInputs,
    PopcountDecoder,
    ScOperator,
    make_source,
    source_manifest,
)


def _simulate(dut, bench, clocked: bool = True) -> None:
    sim = Simulator(dut)
    if clocked:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


def _words(dut, enables, restarts) -> list[int]:
    """The source's word on each clock, driving ``en`` and ``restart`` per clock."""
    seen = []

    async def bench(ctx):
        for en, restart in zip(enables, restarts):
            ctx.set(dut.en, en)
            ctx.set(dut.restart, restart)
            seen.append(ctx.get(dut.word))
            await ctx.tick()

    _simulate(dut, bench)
    return seen


@pytest.mark.parametrize(("source", "seed"), [("lfsr16", 0xACE1), ("lfsr16", 1), ("lfsr16", 0xFFFF),
                                              ("sobol16", 0), ("sobol16", 5), ("sobol16", SOBOL16_DIMENSIONS - 1),
                                              ("halton", 0), ("halton", 0xFFF0)])
def test_sources_emit_the_engines_words_one_per_enabled_clock(source, seed):
    n = 600
    rng = np.random.default_rng(seed)
    enables = rng.random(n) < 0.8
    restarts = np.zeros(n, bool)
    restarts[[250, 251, 400]] = True
    got = _words(make_source(source, seed), enables.astype(int).tolist(), restarts.astype(int).tolist())
    reference = source_words(source, n, seed)
    position, expect = 0, []
    for en, restart in zip(enables, restarts):
        expect.append(int(reference[position]))
        position = 0 if restart else position + int(en)
    assert got == expect


def test_sobol_closes_its_period_of_65536_words():
    n = FULL_SCALE + 3
    got = _words(make_source("sobol16", 7), [1] * n, [0] * n)
    assert got == [int(w) for w in source_words("sobol16", n, 7)]


def test_encoder_is_word_below_level():
    rng = np.random.default_rng(1)
    words = rng.integers(0, FULL_SCALE, 300)
    levels = np.concatenate([[0, 1, FULL_SCALE, FULL_SCALE - 1], rng.integers(0, FULL_SCALE + 1, 296)])
    words[100:150] = np.minimum(levels[100:150], FULL_SCALE - 1)  # a word equal to the level gives 0
    dut, got = ComparatorEncoder(), []

    async def bench(ctx):
        for word, level in zip(words, levels):
            ctx.set(dut.word, int(word))
            ctx.set(dut.level, int(level))
            got.append(ctx.get(dut.bit))

    _simulate(dut, bench, clocked=False)
    assert got == [int(w < v) for w, v in zip(words, levels)]


@pytest.mark.parametrize("op", ["and", "xnor", "mux"])
def test_operators_over_every_input(op):
    dut, got = ScOperator(op), []

    async def bench(ctx):
        for a in (0, 1):
            for b in (0, 1):
                for s in (0, 1):
                    ctx.set(dut.a, a)
                    ctx.set(dut.b, b)
                    ctx.set(dut.select, s)
                    got.append(ctx.get(dut.out))

    _simulate(dut, bench, clocked=False)
    a, b, s = (pack([(k >> shift) & 1 for k in range(8)]) for shift in (2, 1, 0))
    engine = {"and": and_streams(a, b), "xnor": xnor_streams(a, b, 8), "mux": mux_streams(a, b, s)}[op]
    assert got == unpack(engine, 8).astype(int).tolist()


@pytest.mark.parametrize("n", [1, 3, 4, 5])
def test_n_input_mux_picks_the_engines_input(n):
    rng = np.random.default_rng(n)
    length = 200
    inputs = rng.random((n, length)) < 0.5
    select = source_words("halton", length, 3)
    dut, got = MuxInputs(n), []

    async def bench(ctx):
        for i in range(length):
            ctx.set(dut.inputs, sum(int(inputs[k, i]) << k for k in range(n)))
            ctx.set(dut.select_word, int(select[i]))
            got.append(ctx.get(dut.out))

    _simulate(dut, bench, clocked=False)
    index = select_index(select, n)
    assert got == [int(inputs[index[i], i]) for i in range(length)]


@pytest.mark.parametrize("length", [1, 64, 100])
def test_popcount_decoder_counts_each_stream(length):
    rng = np.random.default_rng(length)
    bits = rng.random(5 * length) < 0.3
    enables = np.repeat([1, 0, 1], [len(bits) // 2, 7, len(bits) - len(bits) // 2])
    dut, counts = PopcountDecoder(length), []

    async def bench(ctx):
        taken = iter(bits)
        for en in list(enables) + [0]:
            ctx.set(dut.en, int(en))
            ctx.set(dut.bit, int(next(taken)) if en else 1)
            if ctx.get(dut.valid):
                counts.append(ctx.get(dut.count))
            await ctx.tick()

    _simulate(dut, bench)
    assert counts == list(popcount(pack(bits.reshape(5, length))))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_source("lfsr16", 0), r"^lfsr16 seed must be 1\.\.65535, not 0$"),
        (lambda: make_source("white", 0), r"^unknown bitstream source 'white'"),
        (lambda: ScOperator("or"), r"^unknown SC operator 'or' \(expected one of and, xnor, mux\)$"),
        (lambda: PopcountDecoder(0), r"^stream length must be 1\.\.65536, not 0$"),
        (lambda: MuxInputs(0), r"^a MUX needs at least 1 input, not 0$"),
    ],
)
def test_bad_parameters_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_manifest_names_the_source_and_what_its_seed_means():
    assert source_manifest("lfsr16", 0xACE1) == {"source": "lfsr16", "seed": 0xACE1, "seed_is": "initial state",
                                                 "sequence": "x^16+x^14+x^13+x^11+1"}
    assert source_manifest("sobol16", 2)["seed_is"] == "dimension"
