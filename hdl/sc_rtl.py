"""Stochastic-computing hardware: bitstream sources, comparator encoders, operators and popcount decoders.

Every block is the hardware form of engine/stochastic (sc_sources.py defines the sequences, sc_streams.py the
bit-level semantics) and is built from the same tables: the LFSR's taps, the Sobol direction words, the
full scale.  One stream bit per clock: a source shows word ``i`` of its sequence on the ``i``-th clock after
reset or ``restart`` on which ``en`` was high, so stream bit ``i`` of the engine is the bit on that clock.

Sources share one signature: ``en`` (advance to the next word at the clock edge), ``restart`` (go back to word
0; wins over ``en``) and ``word`` (16 bits, registered).  :func:`make_source` builds one from a source name and
seed and checks them first; :func:`source_manifest` describes it for a design's manifest, so that which
streams are decorrelated (distinct seeds or sources) is written down.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from engine.stochastic.sc_sources import (
    FULL_SCALE,
    LFSR16_FEEDBACK_BITS,
    LFSR16_TAPS,
    SOBOL16_DIRECTIONS,
    WORD_BITS,
    check_seed,
    default_seed,
)

LEVEL_BITS = WORD_BITS + 1  # comparator levels 0 .. 65536
OPERATORS = ("and", "xnor", "mux")


def _source_signature() -> dict:
    return {"en": In(1), "restart": In(1), "word": Out(WORD_BITS)}


class Lfsr16Source(wiring.Component):
    """The Fibonacci LFSR-16 (x^16+x^14+x^13+x^11+1) from ``seed``: shift right, feedback into bit 15."""

    def __init__(self, seed: int):
        self.seed = seed
        super().__init__(_source_signature())

    def elaborate(self, platform):
        m = Module()
        state = Signal(WORD_BITS, init=self.seed)
        feedback = state[LFSR16_FEEDBACK_BITS[0]]
        for bit in LFSR16_FEEDBACK_BITS[1:]:
            feedback = feedback ^ state[bit]
        with m.If(self.restart):
            m.d.sync += state.eq(self.seed)
        with m.Elif(self.en):
            m.d.sync += state.eq(Cat(state[1:], feedback))
        m.d.comb += self.word.eq(state)
        return m


class Sobol16Source(wiring.Component):
    """Sobol dimension ``dimension`` in Gray-code order: word ``i+1`` = word ``i`` XOR the direction word of
    the lowest zero bit of the index ``i`` (bit 15 when ``i`` = 65535)."""

    def __init__(self, dimension: int):
        self.dimension = dimension
        super().__init__(_source_signature())

    def elaborate(self, platform):
        m = Module()
        directions = SOBOL16_DIRECTIONS[self.dimension]
        index = Signal(WORD_BITS)
        state = Signal(WORD_BITS)
        lowest_zero = Signal(WORD_BITS)  # one-hot, 0 when the index is all ones
        m.d.comb += lowest_zero.eq(~index & (index + 1)[:WORD_BITS])
        picked = Mux(lowest_zero == 0, Const(directions[WORD_BITS - 1], WORD_BITS), 0)
        for bit, direction in enumerate(directions):
            picked = picked | Mux(lowest_zero[bit], Const(direction, WORD_BITS), 0)
        with m.If(self.restart):
            m.d.sync += [index.eq(0), state.eq(0)]
        with m.Elif(self.en):
            m.d.sync += [index.eq(index + 1), state.eq(state ^ picked)]
        m.d.comb += self.word.eq(state)
        return m


class HaltonSource(wiring.Component):
    """Van der Corput base 2 from index ``start``: the word is the bit-reversed 16-bit index."""

    def __init__(self, start: int):
        self.start = start
        super().__init__(_source_signature())

    def elaborate(self, platform):
        m = Module()
        index = Signal(WORD_BITS, init=self.start)
        with m.If(self.restart):
            m.d.sync += index.eq(self.start)
        with m.Elif(self.en):
            m.d.sync += index.eq(index + 1)
        m.d.comb += self.word.eq(Cat(*reversed(list(index))))
        return m


_SOURCE_CLASSES = {"lfsr16": Lfsr16Source, "sobol16": Sobol16Source, "halton": HaltonSource}


def make_source(source: str, seed: int | None = None) -> wiring.Component:
    """The hardware source ``source`` (``lfsr16``, ``sobol16``, ``halton``) with ``seed`` (None: the default).

    Raises ``ValueError`` for an unknown source or a seed out of range, before anything is built.
    """
    seed = default_seed(source, 0) if seed is None else seed
    check_seed(source, seed)
    return _SOURCE_CLASSES[source](int(seed))


def source_manifest(source: str, seed: int) -> dict:
    """A source as a design's manifest records it: name, seed and what the seed means."""
    check_seed(source, seed)
    meaning = {"lfsr16": ("initial state", "x^" + "+x^".join(map(str, LFSR16_TAPS)) + "+1"),
               "sobol16": ("dimension", "Sobol, Gray-code order, Joe-Kuo direction numbers"),
               "halton": ("start index", "van der Corput base 2")}[source]
    return {"source": source, "seed": seed, "seed_is": meaning[0], "sequence": meaning[1]}


class ComparatorEncoder(wiring.Component):
    """The encoder: ``bit = word < level`` (``level`` 0 .. 65536; 65536 gives all ones)."""

    def __init__(self):
        super().__init__({"word": In(WORD_BITS), "level": In(LEVEL_BITS), "bit": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.bit.eq(self.word < self.level)
        return m


class ScOperator(wiring.Component):
    """One SC operator on single bits: ``and`` (unipolar multiply), ``xnor`` (bipolar multiply), or ``mux``
    (scaled addition: ``b`` where ``select`` is 1, else ``a``)."""

    def __init__(self, op: str):
        if op not in OPERATORS:
            raise ValueError(f"unknown SC operator {op!r} (expected one of {', '.join(OPERATORS)})")
        self.op = op
        super().__init__({"a": In(1), "b": In(1), "select": In(1), "out": Out(1)})

    def elaborate(self, platform):
        m = Module()
        result = {"and": self.a & self.b, "xnor": ~(self.a ^ self.b), "mux": Mux(self.select, self.b, self.a)}
        m.d.comb += self.out.eq(result[self.op])
        return m


class MuxInputs(wiring.Component):
    """The n-input MUX: ``out = inputs[(select_word * n) >> 16]`` (sc_streams.select_index)."""

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"a MUX needs at least 1 input, not {n}")
        self.n = n
        super().__init__({"inputs": In(n), "select_word": In(WORD_BITS), "out": Out(1)})

    def elaborate(self, platform):
        m = Module()
        index = Signal(range(self.n))
        m.d.comb += index.eq((self.select_word * self.n) >> WORD_BITS)
        m.d.comb += self.out.eq(Array(self.inputs[k] for k in range(self.n))[index])
        return m


class PopcountDecoder(wiring.Component):
    """Counts the ones of each ``length`` consecutive bits taken while ``en`` is high.

    On the clock that takes the last bit of a stream, ``count`` is loaded with the stream's popcount and
    ``valid`` is high for the next clock; ``restart`` drops a partial stream.
    """

    def __init__(self, length: int):
        if not 1 <= length <= FULL_SCALE:
            raise ValueError(f"stream length must be 1..{FULL_SCALE}, not {length}")
        self.length = length
        super().__init__({"bit": In(1), "en": In(1), "restart": In(1), "count": Out(range(length + 1)),
                          "valid": Out(1)})

    def elaborate(self, platform):
        m = Module()
        ones = Signal(range(self.length + 1))
        index = Signal(range(self.length))
        m.d.sync += self.valid.eq(0)
        with m.If(self.restart):
            m.d.sync += [ones.eq(0), index.eq(0)]
        with m.Elif(self.en):
            with m.If(index == self.length - 1):
                m.d.sync += [self.count.eq(ones + self.bit), self.valid.eq(1), ones.eq(0), index.eq(0)]
            with m.Else():
                m.d.sync += [ones.eq(ones + self.bit), index.eq(index + 1)]
        return m
