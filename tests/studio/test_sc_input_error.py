"""The playground's input current through stochastic computing: decoded as an SC projection decodes one input,
compared with float and fixed point."""

from __future__ import annotations

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from studio.playground.sc_input_error import sc_input_error

Q16 = QFormat.parse("Q16.16")


@pytest.mark.parametrize("source", ["sobol16", "halton"])
def test_a_low_discrepancy_source_decodes_within_one_part_in_l_of_the_full_scale(source):
    current = np.concatenate([np.full(50, 376.0), np.linspace(-200.0, 300.0, 200)])
    for length in (64, 1024):
        found = sc_input_error(current, Q16, source, length)
        full_scale = (1 << int(np.abs(Q16.to_store(current)).max()).bit_length()) / Q16.one
        assert found.max_vs_fixed <= full_scale / length + 1 / Q16.one
        assert np.all(np.sign(found.decoded) * np.sign(current) >= 0)  # the sign is carried, not encoded


def test_longer_streams_of_an_lfsr_err_less_and_the_hoeffding_bound_halves_with_four_times_l():
    current = np.full(2000, 376.0)
    short, long = (sc_input_error(current, Q16, "lfsr16", length) for length in (64, 1024))
    assert long.mean_vs_float < short.mean_vs_float
    assert short.hoeffding == pytest.approx(4 * long.hoeffding)
    assert short.mean_vs_float <= short.hoeffding


def test_no_current_is_nothing_to_encode_and_a_length_must_be_a_power_of_two():
    assert sc_input_error(np.zeros(100), Q16, "lfsr16", 256) is None
    with pytest.raises(ValueError, match=r"^SC length must be a power of two, not 100$"):
        sc_input_error(np.ones(10), Q16, "lfsr16", 100)
