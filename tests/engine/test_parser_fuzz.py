"""Property tests: whatever text a person types, checking a model raises ModelError or succeeds.

Random text and random edits (insert, delete, replace characters; swap
tokens) of the library's models must never crash the parser, the checker or
the IR builder; every problem names a field, a place and a message.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.equations.ir import build_ir
from engine.equations.model import ModelSpec, check_model
from engine.errors import ModelError, NeuroCoreError
from engine.models import LIBRARY

FIELDS = ("equations", "threshold", "reset", "refractory")
SPECS = [m.spec for _, m in sorted(LIBRARY.items())]
FUZZ = settings(max_examples=550, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Characters that matter to the grammar, plus a few that do not belong anywhere.
ALPHABET = st.sampled_from(list("dvt/=:()+-*.,;#\\\n _0123456789eEmVsAxi<>!&|%[]{}'\"") + ["**", "mV", "ms",
                                                                                              "volt", "not ", "é"])
TOKEN = re.compile(r"\w+|\*\*|[^\w\s]")


def _check_and_build(spec: ModelSpec) -> None:
    """The property: a ModelError with well-formed problems, or a model whose IR builds or says why not."""
    try:
        checked = check_model(spec)
    except ModelError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.field and isinstance(p.field, str)
            assert p.line >= 0 and p.col >= 0
            assert p.message.strip()
            assert p.end_col is None or p.end_col > p.col
        return
    try:
        build_ir(checked, 1e-4)
    except NeuroCoreError:
        pass


@st.composite
def edited(draw) -> ModelSpec:
    """A library model with a few random edits in one of its text fields."""
    spec = draw(st.sampled_from(SPECS))
    field = draw(st.sampled_from(FIELDS))
    text = str(getattr(spec, field) or "")
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(("insert", "delete", "replace", "swap")))
        if kind == "insert":
            text = text[:where] + draw(ALPHABET) + text[where:]
        elif kind == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 3)):]
        elif kind == "replace":
            text = text[:where] + draw(ALPHABET) + text[where + 1:]
        else:
            tokens = [m.span() for m in TOKEN.finditer(text)]
            if len(tokens) >= 2:
                i = draw(st.integers(0, len(tokens) - 2))
                j = draw(st.integers(i + 1, min(i + 4, len(tokens) - 1)))
                (a0, a1), (b0, b1) = tokens[i], tokens[j]
                text = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
    return replace(spec, **{field: text})


@FUZZ
@given(edited())
def test_edited_library_models_check_or_fail_cleanly(spec):
    _check_and_build(spec)


@FUZZ
@given(st.sampled_from(SPECS), st.sampled_from(FIELDS), st.lists(ALPHABET, max_size=40).map("".join))
def test_random_text_in_a_field_checks_or_fails_cleanly(spec, field, text):
    _check_and_build(replace(spec, **{field: text}))


@FUZZ
@given(st.text(max_size=80), st.text(max_size=30), st.text(max_size=30))
def test_arbitrary_unicode_checks_or_fails_cleanly(equations, threshold, reset):
    _check_and_build(ModelSpec(equations, threshold=threshold, reset=reset))


# -- well-formed expressions from a small grammar: they reach the checker and the IR builder ----

BASE = """
dv/dt = ({rhs}) * (mV/ms) : volt
dg/dt = -g/tau : siemens
tau : second
k : integer
flag : boolean
"""
LEAVES = st.sampled_from(["v/mV", "g/nS", "tau/ms", "k", "t/ms", "dt/ms", "i", "N", "lastspike/ms", "xi*sqrt(ms)",
                          "v", "tau", "mV", "0", "1", "0.5", "-1", "12", "13", "1e400", "1e-400", "rand()", "randn()"])
BOOLS = st.sampled_from(["flag", "not_refractory", "True", "v > 0*mV", "k == 2", "g <= 1*nS"])


def _expression(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["exp", "log", "sqrt", "abs", "tanh", "exprel", "floor", "sign"]), inner)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(BOOLS, inner, inner).map(lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
        inner.map(lambda x: f"-{x}"),
    ), max_leaves=8)


@FUZZ
@given(_expression(LEAVES), _expression(LEAVES), st.sampled_from(["", "euler", "exact", "exponential_euler", "rk4"]),
       st.sampled_from(["", "2 ms", "tau", "v > 1*mV", "inf ms"]))
def test_grammar_expressions_check_or_fail_cleanly(rhs, other, method, refractory):
    spec = ModelSpec(BASE.format(rhs=rhs), threshold=f"v > ({other})*mV", reset=f"v = ({other})*mV; g += 1*nS",
                     refractory=refractory, method=method, parameters={"tau": "10 ms", "k": 2})
    _check_and_build(spec)
