"""Typed quantities and constants: read once from text, converted exactly, spelled for a person."""

from __future__ import annotations

import pytest

from engine.equations.constant_values import Expression, evaluate_constants, evaluate_quantity
from engine.equations.units import (AMP, DIMENSIONLESS, HERTZ, NANOAMP_UNITS, NEST_UNITS, SECOND, SI_UNITS, VOLT,
                                    Quantity, UnitError, as_quantity, quantity_in)


@pytest.mark.parametrize("text, value, dim", [
    ("-70 mV", -70.0, VOLT), ("0.1 ms", 0.1, SECOND), ("20 pA", 20.0, AMP), ("8 kHz", 8.0, HERTZ),
    ("2.5", 2.5, DIMENSIONLESS), (3, 3.0, DIMENSIONLESS),
])
def test_a_quantity_holds_its_value_in_nest_units(text, value, dim):
    q = Quantity.parse(text)
    assert (q.value, q.dim) == (value, dim)
    assert q.in_units(NEST_UNITS) == value


@pytest.mark.parametrize("text", ["-70 mV", "0.1 ms", "1.5 ms", "20 pA", "0.02*nA", "10 Hz", "1 nS", "inf s"])
@pytest.mark.parametrize("system", [NEST_UNITS, NANOAMP_UNITS, SI_UNITS])
def test_conversion_agrees_with_reading_the_text_in_the_system(text, system):
    assert Quantity.parse(text).in_units(system) == pytest.approx(quantity_in(text, system)[0], rel=1e-15)


def test_units_written_in_nest_scale_convert_exactly():
    assert Quantity.parse("0.1 ms").in_units(SI_UNITS) == quantity_in("0.1 ms", SI_UNITS)[0]
    assert Quantity.parse("20 pA").in_units(NANOAMP_UNITS) == quantity_in("20 pA", NANOAMP_UNITS)[0]


def test_equal_quantities_compare_equal_whatever_their_spelling():
    assert Quantity.parse("1 mV") == Quantity.parse("1*mV") == Quantity(1.0, VOLT)
    assert Quantity.parse("20 pA") != Quantity.parse("20 mV")
    assert len({Quantity.parse("5 ms"), Quantity(5.0, SECOND)}) == 1


@pytest.mark.parametrize("q, text", [
    (Quantity(-0.5, VOLT), "-0.5 mV"), (Quantity(60 * 0.27 / 10, VOLT), "1.62 mV"), (Quantity(0.01, HERTZ), "10 Hz"),
    (Quantity(2.0), "2"), (Quantity.parse("3 mV/ms"), "3 volt/second"), (Quantity(1.0, AMP * SECOND), "1 fC"),
])
def test_str_spells_a_quantity_for_a_person(q, text):
    assert str(q) == text


def test_a_format_spec_formats_the_number_in_the_unit_a_person_reads():
    assert f"{Quantity(277.66, AMP):.4g}" == "277.7 pA"
    assert f"{Quantity(-0.5, VOLT):+.2f}" == "-0.50 mV"
    assert f"{Quantity(12345.0):,.0f}" == "12,345"
    assert f"{Quantity(0.01, HERTZ)}" == str(Quantity(0.01, HERTZ)) == "10 Hz"


def test_the_text_of_a_quantity_reads_back_as_the_same_quantity():
    for q in (Quantity(-0.5, VOLT), Quantity(0.1, SECOND), Quantity(20.0, AMP), Quantity(0.01, HERTZ)):
        assert Quantity.parse(str(q)) == q


def test_reading_text_names_what_is_wrong():
    with pytest.raises(UnitError, match=r"^unknown unit `furlongs`$"):
        Quantity.parse("2 furlongs")
    with pytest.raises(UnitError, match=r"^`3 mV` has units volt, expected amp$"):
        Quantity.parse("3 mV", AMP)
    with pytest.raises(UnitError, match=r"^`3 mV` has units volt, expected a plain number$"):
        float(Quantity(3.0, VOLT))
    assert float(Quantity(90.0)) == 90.0


def test_as_quantity_keeps_a_quantity_and_reads_text():
    q = Quantity(1.5, SECOND)
    assert as_quantity(q) is q
    assert as_quantity("1.5 ms") == q
    assert quantity_in(q, SI_UNITS) == (pytest.approx(1.5e-3, rel=1e-15), SECOND)


def test_constants_may_use_the_ones_before_them():
    problems: list = []
    constants = evaluate_constants({"J": "0.1 mV", "g": 5, "wi": "-g*J", "C_E": "0.1*4000"}, problems)
    assert problems == []
    assert constants == {"J": Quantity(0.1, VOLT), "g": Quantity(5.0), "wi": Quantity(-5 * 0.1, VOLT),
                         "C_E": Quantity(0.1 * 4000)}


def test_broken_and_reserved_constants_are_left_out_with_a_problem():
    problems: list = []
    constants = evaluate_constants({"dt": "1 ms", "a": "2*x", "b": "1*mV + 2*ms", "c": "3 pA"}, problems,
                                   lambda name: f"constants.{name}")
    assert constants == {"c": Quantity(3.0, AMP)}
    assert [str(p) for p in problems] == [
        "constants.dt: `dt` is reserved in expressions; choose another name",
        "constants.a: line 1, col 3: unknown name `x`",
        "constants.b: line 1, col 1: cannot add volt and second in `1*mV + 2*ms`",
    ]


def test_a_random_value_cannot_be_a_constant():
    problems: list = []
    assert evaluate_quantity("J*rand()", {"J": Quantity(0.1, VOLT)}, "weight", problems) is None
    assert [p.message for p in problems] == [
        "`J*rand()` is random; rand() and randn() may only be used in parameters, initial values, and weights and "
        "delays of projections"]


def test_an_expression_is_its_text_and_the_constants_it_names():
    e = Expression("V0 + 2*mV*rand()", {"V0": Quantity(-51.0, VOLT)})
    assert str(e) == "V0 + 2*mV*rand()"
    assert e == Expression("V0 + 2*mV*rand()", {"V0": Quantity.parse("-51 mV")})


@pytest.mark.parametrize("text, reason", [
    ("376pa", "unknown unit `pa` — did you mean `pA`?"),
    ("376 pa", "unknown unit `pa` — did you mean `pA`?"),
    ("-65 mv", "unknown unit `mv` — did you mean `mV`?"),
])
def test_a_mistyped_unit_is_named_with_the_unit_meant(text, reason):
    problems = []
    assert evaluate_quantity(text, {}, "x", problems) is None
    assert [p.message for p in problems] == [reason]
    assert evaluate_quantity("2*pa", {"pa": Quantity(3.0)}, "x", []) == Quantity(6.0)  # a constant stays one
