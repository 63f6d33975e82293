"""Checks of names and project settings as typed (the project file's schema and the engine's rules), and the
undo entries of settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import NeuroCoreError
from engine.network.build import build_network
from studio.document.commands import Rename, SetSetting
from studio.document.document import Document
from studio.document.fields import name_problem, setting_value_problem, typed_setting
from studio.jobs.run_duration import duration_problem, duration_s
from studio.project.network_def import network_def
from studio.project.project_file import EXAMPLES, read_project

CUBA = EXAMPLES / "cuba.ncsproj"


@pytest.fixture
def doc() -> Document:
    return Document.open(CUBA)


@pytest.mark.parametrize("old, new, reason", [
    ("E", "Exc", None),
    ("E", "E", None),
    ("E", "I", "the name `I` is already used"),
    ("E", "EE", "the name `EE` is already used"),
    ("E", " ", "a name cannot be empty"),
    ("E", "my pop", "`my pop` is not a valid name (letters, digits and `_`, not starting with a digit)"),
    ("EE", "E→E", "`E→E` is not a valid name (letters, digits and `_`, not starting with a digit)"),
    ("spikes_E", "2nd", "`2nd` is not a valid name (letters, digits and `_`, not starting with a digit)"),
])
def test_a_name_is_checked_by_the_project_files_schema(doc, old, new, reason):
    assert name_problem(doc, old, new) == reason


def test_rename_refuses_what_the_file_cannot_hold(doc):
    with pytest.raises(NeuroCoreError, match=r"^`E E` is not a valid name"):
        Rename(doc, "E", "E E")


@pytest.mark.parametrize("key, text, reason", [
    ("dt", "0.05 ms", None),
    ("dt", "", None),
    ("dt", "-1 ms", "dt must be positive, not -1 ms"),
    ("dt", "0 ms", "dt must be positive, not 0 ms"),
    ("dt", "1 mV", "`1 mV` has units volt, expected second (e.g. `0.1 ms`)"),
    ("seed", "42", None),
    ("seed", "-1", "must be at least 0, not -1"),
    ("seed", "many", "expected a whole number, got a string"),
    ("description", "two\nlines", None),
])
def test_a_setting_is_checked_as_typed(doc, key, text, reason):
    assert setting_value_problem(doc, key, text) == reason


def test_a_constant_is_checked_by_name_and_with_units(doc):
    constants = dict(doc.settings["constants"])
    assert setting_value_problem(doc, "constants", {**constants, "g": "5"}) is None
    assert setting_value_problem(doc, "constants", {**constants, "we": "3 parsecs"}) == (
        "we: invalid syntax in `3 parsecs`")
    assert setting_value_problem(doc, "constants", {**constants, "1g": "5"}) == (
        "`1g` is not a valid name (letters, digits and `_`, not starting with a digit)")
    assert typed_setting("constants", {"g": "5", "we": "0.5 mV"}) == {"g": 5, "we": "0.5 mV"}


def test_the_engine_and_the_field_check_refuse_a_negative_dt_alike(doc):
    project = read_project(CUBA)
    found = []
    assert network_def(replace(project, dt="-1 ms"), found) is None
    assert [(p.field, p.message) for p in found] == [("dt", "dt must be positive, not -1 ms")]
    net = network_def(project, [])
    with pytest.raises(NeuroCoreError, match=r"^dt must be positive, not -1 ms$"):
        build_network(replace(net, dt=replace(net.dt, value=-1.0)))  # -1 ms


def test_undo_entries_of_settings_name_the_value(doc):
    constants = dict(doc.settings["constants"])
    assert SetSetting(doc, "dt", "0.05 ms").text == "Set dt to 0.05 ms"
    assert SetSetting(doc, "seed", None).text == "Clear seed"
    assert SetSetting(doc, "constants", {**constants, "g": 5}).text == "Add constant g"
    assert SetSetting(doc, "constants", {"we": constants["we"]}).text == "Remove constant wi"
    assert SetSetting(doc, "constants", {"w": constants["we"], "wi": constants["wi"]}).text == \
        "Rename constant we to w"
    assert SetSetting(doc, "constants", {**constants, "we": "1 mV"}).text == "Set constant we to 1 mV"


def test_a_run_lasts_a_positive_time_or_until_stopped():
    assert duration_s("2 s") == 2.0 and duration_s(" 500 ms ") == pytest.approx(0.5)
    assert duration_s("until stopped") is None and duration_s("") is None
    assert duration_problem("1 s") is None
    assert duration_problem("2 mV") == "`2 mV` is not a positive time (e.g. `2 s`)"
    assert duration_problem("-1 s") == "`-1 s` is not a positive time (e.g. `2 s`)"
    assert duration_problem("2 parsecs") == "unknown unit `parsecs`"
