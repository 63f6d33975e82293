"""SC error against float and fixed point, and Hoeffding's stream length."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.fixedpoint import QFormat
from engine.stochastic.sc_error import (
    LENGTHS,
    OPERATIONS,
    error_table,
    format_table,
    hoeffding_bound,
    hoeffding_length,
    sc_error,
    shortest_length,
)


def test_hoeffding_length_for_a_five_percent_bound():
    assert hoeffding_length(0.05, 0.95) == math.ceil(math.log(40) / (2 * 0.05**2)) == 738
    assert hoeffding_bound(4096, 0.95) == pytest.approx(0.02122, abs=1e-5)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(0.001, 0.5), st.floats(0.5, 0.999))
def test_hoeffding_length_is_the_shortest_that_meets_the_bound(bound, confidence):
    length = hoeffding_length(bound, confidence)
    assert hoeffding_bound(length, confidence) <= bound
    assert length == 1 or hoeffding_bound(length - 1, confidence) > bound


def test_sobol_encodes_q8_8_operands_exactly_and_multiplies_within_one_bit():
    for length in LENGTHS:
        assert sc_error("encode", "sobol16", length).max_vs_float == 0.0
        assert sc_error("multiply", "sobol16", length).max_vs_float <= 1.5 / length


def test_lfsr_errors_shrink_with_length_and_stay_under_hoeffding():
    rows = error_table(sources=("lfsr16",), operations=OPERATIONS)
    for row in rows:
        assert row.over_hoeffding <= 0.05 and row.mean_vs_float < hoeffding_bound(row.length, 0.95) / 2, row
    assert rows[-1].max_vs_float < rows[len(LENGTHS) * 2].max_vs_float / 4  # scaled_add: 4096 against 64 bits


def test_fixed_and_float_references_differ_by_the_fixed_rounding():
    fmt = QFormat.parse("Q8.8")
    row = sc_error("multiply", "lfsr16", 256, fmt)
    assert abs(row.max_vs_fixed - row.max_vs_float) <= 1 / fmt.one
    assert sc_error("multiply", "sobol16", 4096, fmt).max_vs_fixed == pytest.approx(0.75 / 256)


def test_two_halton_streams_are_correlated_whatever_their_starts():
    assert sc_error("scaled_add", "halton", 4096).max_vs_float == 0.5


def test_table_and_shortest_length():
    rows = error_table(sources=("lfsr16", "sobol16"), lengths=(64, 4096), operations=("multiply",))
    text = format_table(rows)
    assert text.splitlines()[0].startswith("| source | operation | L | mean vs float |")
    assert len(text.splitlines()) == 2 + 4
    assert shortest_length(rows, 0.02) == {("lfsr16", "multiply"): 4096, ("sobol16", "multiply"): 4096}
    assert shortest_length(rows, 0.03) == {("lfsr16", "multiply"): 4096, ("sobol16", "multiply"): 64}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hoeffding_length(0.0), r"^the error bound must be between 0 and 1, not 0\.0$"),
        (lambda: hoeffding_bound(64, 1.0), r"^the confidence must be between 0 and 1, not 1\.0$"),
        (lambda: sc_error("divide", "lfsr16", 64), r"^unknown SC operation 'divide' \(expected one of encode, "),
        (lambda: sc_error("encode", "lfsr16", 64, grid=1), r"^the operand grid needs at least 2 points, not 1$"),
        (lambda: sc_error("encode", "lfsr16", 64, QFormat.parse("Q4.20", acc=32)),
         r"^Q4\.20: SC levels hold at most 16 fraction bits$"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
