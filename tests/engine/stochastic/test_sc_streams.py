"""Packed bitstreams against their bit-by-bit definition (unpacked booleans), decode bounds and SCC."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.stochastic.sc_sources import (
    FULL_SCALE,
    halton_words,
    lfsr16_words,
    sobol16_words,
)
from engine.stochastic.sc_streams import (
    and_streams,
    bipolar_level,
    decode,
    decode_bipolar,
    encode,
    mux_inputs,
    mux_streams,
    pack,
    popcount,
    scc,
    select_index,
    unipolar_level,
    unpack,
    word_count,
    xnor_streams,
)

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)
LENGTHS = st.integers(1, 300)


def bits(rows, length):
    return hnp.arrays(bool, (rows, length))


def test_stream_bit_i_is_bit_i_mod_64_of_word_i_div_64():
    stream = pack(np.arange(130) == 65)
    assert stream.dtype == np.uint64 and stream.shape == (3,)
    assert list(stream) == [0, 2, 0]


@PROPERTY
@given(st.data(), LENGTHS)
def test_pack_unpack_round_trip_with_zero_padding(data, length):
    a = data.draw(bits(3, length))
    packed = pack(a)
    assert packed.shape == (3, word_count(length))
    assert np.array_equal(unpack(packed, length), a)
    assert np.array_equal(unpack(packed, packed.shape[-1] * 64)[:, length:], np.zeros((3, packed.shape[-1] * 64 - length), bool))


@PROPERTY
@given(st.data(), LENGTHS)
def test_operators_match_their_bitwise_definition(data, length):
    a, b, s = data.draw(bits(2, length)), data.draw(bits(2, length)), data.draw(bits(2, length))
    assert np.array_equal(and_streams(pack(a), pack(b)), pack(a & b))
    assert np.array_equal(xnor_streams(pack(a), pack(b), length), pack(a == b))
    assert np.array_equal(mux_streams(pack(a), pack(b), pack(s)), pack(np.where(s, b, a)))
    assert np.array_equal(popcount(pack(a)), a.sum(axis=1))
    assert np.array_equal(decode_bipolar(pack(a), length), 2 * a.sum(axis=1) / length - 1)


@PROPERTY
@given(st.data(), LENGTHS, st.integers(1, 7))
def test_n_input_mux_takes_each_bit_from_the_selected_input(data, length, n):
    inputs = data.draw(hnp.arrays(bool, (2, n, length)))
    select = data.draw(hnp.arrays(np.uint16, length))
    index = select_index(select, n)
    assert np.array_equal(index, (select.astype(np.int64) * n) // FULL_SCALE)
    expected = inputs[:, index, np.arange(length)]
    assert np.array_equal(mux_inputs(pack(inputs), index), pack(expected))


@PROPERTY
@given(st.data(), LENGTHS)
def test_encoder_emits_one_where_the_source_word_is_below_the_level(data, length):
    words = data.draw(hnp.arrays(np.uint16, length))
    levels = data.draw(hnp.arrays(np.int64, (2, 3), elements=st.integers(0, FULL_SCALE)))
    streams = encode(words, levels)
    assert streams.shape == (2, 3, word_count(length))
    assert np.array_equal(unpack(streams, length), words < levels[..., None])


@PROPERTY
@given(st.sampled_from([sobol16_words, halton_words]), st.integers(6, 12), st.floats(0, 1))
def test_decode_of_encode_is_within_one_bit_for_low_discrepancy_sources(source, m, p):
    length = 1 << m
    level = unipolar_level(p)
    assert abs(decode(encode(source(length), level), length) - level / FULL_SCALE) <= 1 / length
    assert abs(level / FULL_SCALE - p) <= 0.5 / FULL_SCALE


@PROPERTY
@given(st.integers(1, 0xFFFF), st.integers(1, FULL_SCALE))
def test_lfsr_decode_over_a_full_period_is_exact(seed, level):
    """The LFSR visits every non-zero word once per period, so ``level - 1`` of them are below ``level``."""
    assert popcount(encode(lfsr16_words(65535, seed), level)) == level - 1


@PROPERTY
@given(st.integers(64, 4096), st.integers(1, 0xFFFF), st.integers(0, FULL_SCALE), st.integers(0, FULL_SCALE))
def test_streams_from_one_source_are_maximally_correlated(length, seed, level_a, level_b):
    words = lfsr16_words(length, seed)
    a, b = encode(words, level_a), encode(words, level_b)
    constant = {0, length}
    if int(popcount(a)) not in constant:
        assert scc(a, a, length) == 1.0
    if {int(popcount(a)), int(popcount(b))}.isdisjoint(constant):
        assert scc(a, b, length) == 1.0
        assert np.array_equal(and_streams(a, b), encode(words, min(level_a, level_b)))


def test_scc_of_complementary_and_of_independent_streams():
    length = 4096
    a = encode(sobol16_words(length, 0), unipolar_level(0.5))
    assert scc(a, xnor_streams(a, np.zeros_like(a), length), length) == -1.0
    b = encode(sobol16_words(length, 1), unipolar_level(0.5))
    assert scc(a, b, length) == 0.0
    assert scc(a, np.zeros_like(a), length) == 0.0


def test_multiply_and_scaled_add_on_decorrelated_sobol_streams():
    length = 1024
    x, y = encode(sobol16_words(length, 1), unipolar_level(0.75)), encode(sobol16_words(length, 2), unipolar_level(0.5))
    assert decode(and_streams(x, y), length) == pytest.approx(0.375, abs=2 / length)
    select = encode(sobol16_words(length, 0), unipolar_level(0.5))
    assert decode(mux_streams(x, y, select), length) == pytest.approx(0.625, abs=2 / length)
    u, v = encode(sobol16_words(length, 1), bipolar_level(-0.5)), encode(sobol16_words(length, 2), bipolar_level(0.5))
    assert decode_bipolar(xnor_streams(u, v, length), length) == pytest.approx(-0.25, abs=4 / length)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: encode(np.zeros(8, np.uint16), [FULL_SCALE + 1]), r"^comparator levels must be 0\.\.65536$"),
        (lambda: word_count(0), r"^a bitstream needs at least 1 bit, not 0$"),
        (lambda: select_index([1], 0), r"^a MUX needs at least 1 input, not 0$"),
        (lambda: mux_inputs(np.zeros((2, 1), np.uint64), [2]), r"^MUX select index out of range 0\.\.1$"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
