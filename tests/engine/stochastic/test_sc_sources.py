"""The bitstream sources: documented first words, periods, Sobol against SciPy, low discrepancy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from engine.stochastic.sc_sources import (
    FULL_SCALE,
    LFSR16_PERIOD,
    SOBOL16_DIMENSIONS,
    SOBOL16_DIRECTIONS,
    SOURCES,
    check_seed,
    default_seed,
    halton_words,
    lfsr16_words,
    sobol16_words,
    source_words,
)

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


def test_lfsr16_first_words_from_the_documented_seed():
    words = [hex(w) for w in lfsr16_words(8)]
    assert words == ["0xace1", "0x5670", "0xab38", "0x559c", "0x2ace", "0x1567", "0x8ab3", "0x4559"]


@PROPERTY
@given(st.integers(1, 0xFFFF))
def test_lfsr16_has_period_65535_for_any_nonzero_seed(seed):
    words = lfsr16_words(LFSR16_PERIOD + 1, seed).astype(np.int64)
    assert words[0] == seed and words[LFSR16_PERIOD] == seed
    assert len(np.unique(words[:LFSR16_PERIOD])) == LFSR16_PERIOD and 0 not in words
    feedback = (words ^ (words >> 2) ^ (words >> 3) ^ (words >> 5)) & 1
    assert np.array_equal(words[1:], (words[:-1] >> 1) | (feedback[:-1] << 15))


def test_sobol16_matches_scipy_unscrambled_sobol():
    points = qmc.Sobol(d=SOBOL16_DIMENSIONS, scramble=False).random(4096)
    for dimension in range(SOBOL16_DIMENSIONS):
        expected = np.rint(points[:, dimension] * FULL_SCALE).astype(np.int64)
        assert np.array_equal(sobol16_words(4096, dimension), expected), dimension


@pytest.mark.parametrize("dimension", range(SOBOL16_DIMENSIONS))
def test_sobol16_steps_by_one_direction_word_and_covers_every_word(dimension):
    words = sobol16_words(FULL_SCALE + 1, dimension).astype(np.int64)
    directions = SOBOL16_DIRECTIONS[dimension]
    index = np.arange(FULL_SCALE)
    lowest_zero = np.array([min((~int(i) & -(~int(i))).bit_length() - 1, 15) for i in index])
    assert np.array_equal(words[1:], words[:-1] ^ np.array(directions)[lowest_zero])
    assert np.array_equal(np.sort(words[:FULL_SCALE]), index) and words[FULL_SCALE] == 0


def test_halton_is_the_bit_reversed_index():
    assert list(halton_words(8)) == [0, 0x8000, 0x4000, 0xC000, 0x2000, 0xA000, 0x6000, 0xE000]
    assert halton_words(2, start=1)[1] == 0x4000
    assert np.array_equal(np.sort(halton_words(FULL_SCALE, start=12345)), np.arange(FULL_SCALE))


@PROPERTY
@given(st.sampled_from(["sobol16", "halton"]), st.data(), st.integers(6, 12), st.integers(0, FULL_SCALE))
def test_low_discrepancy_sources_stratify_every_power_of_two_prefix(source, data, m, level):
    """Among the first 2**m words, the count below any level is within one of its expectation."""
    seed = data.draw(st.integers(0, SOBOL16_DIMENSIONS - 1) if source == "sobol16" else st.integers(0, 0xFFFF))
    length = 1 << m
    count = int(np.count_nonzero(source_words(source, length, seed) < level))
    assert abs(count - length * level / FULL_SCALE) < 1


@pytest.mark.parametrize(
    ("source", "seed", "message"),
    [
        ("lfsr16", 0, r"^lfsr16 seed must be 1\.\.65535, not 0$"),
        ("sobol16", 16, r"^sobol16 seed must be 0\.\.15, not 16$"),
        ("halton", -1, r"^halton seed must be 0\.\.65535, not -1$"),
        ("halton", 1.5, r"^halton seed must be an integer, not 1\.5$"),
        ("gauss", 1, r"^unknown bitstream source 'gauss' \(expected one of lfsr16, sobol16, halton\)$"),
    ],
)
def test_bad_seeds_are_named(source, seed, message):
    with pytest.raises(ValueError, match=message):
        check_seed(source, seed)


@pytest.mark.parametrize("source", SOURCES)
def test_default_seeds_are_valid_and_distinct(source):
    seeds = [default_seed(source, index) for index in range(16)]
    for seed in seeds:
        check_seed(source, seed)
    assert len(set(seeds)) == 16
    assert np.array_equal(source_words(source, 100), source_words(source, 100, seeds[0]))
