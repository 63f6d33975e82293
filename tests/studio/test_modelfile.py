"""Model files: round trip, structural problems by JSON path, atomic saves."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.equations.model import ModelSpec, Receptor
from engine.errors import Problem
from engine.models import LIBRARY, get_model
from studio.project.fileio import atomic_write, atomic_write_text
from studio.project.modelfile import (ModelFileError, check_model_file, format_problem, load_model_file, read_model_file,
                              spec_from_json, spec_to_json, write_model_file)

ROOT = Path(__file__).resolve().parents[2]
LIF = ROOT / "resources" / "examples" / "lif.ncsmodel"


def problems_of(data) -> list[Problem]:
    problems: list[Problem] = []
    spec_from_json(data, problems)
    return problems


def test_library_model_round_trips(tmp_path):
    spec = get_model("iaf_psc_exp").spec
    write_model_file(tmp_path / "iaf.ncsmodel", spec)
    assert read_model_file(tmp_path / "iaf.ncsmodel") == spec
    assert json.loads((tmp_path / "iaf.ncsmodel").read_text())["receptors"] == {"ex": "I_syn_ex += w",
                                                                               "in": "I_syn_in += w"}


def test_optional_fields_round_trip(tmp_path):
    spec = ModelSpec(equations="dv/dt = -v/tau : volt\ntau : second", parameters={"tau": "5 ms"},
                     initial={"v": "-1 mV"}, receptors={"syn": Receptor("v += w", "mV")}, unit_system="si",
                     substeps=4)
    path = tmp_path / "m.ncsmodel"
    write_model_file(path, spec)
    data = json.loads(path.read_text())
    assert data["receptors"] == {"syn": {"on_pre": "v += w", "weight_unit": "mV"}}
    assert (data["unit_system"], data["substeps"]) == ("si", 4)
    assert read_model_file(path) == spec


def test_example_reads_lines_and_checks():
    spec = load_model_file(LIF)
    assert spec.equations.splitlines()[1] == "dI_syn/dt = -I_syn/tau_syn : amp"
    assert spec.receptors == {"syn": Receptor("I_syn += w")}
    assert spec.current_input == "I_stim"


@pytest.mark.parametrize("data, field, message", [
    ([], "", r"a model must be a JSON object"),
    ({}, "equations", r"missing: a model needs `equations`"),
    ({"equations": 3}, "equations", r"expected a string or a list of lines, got a number"),
    ({"equations": ["dv/dt = -v/tau : 1", 7]}, "equations[1]", r"expected a string, got a number"),
    ({"equations": "x : 1", "threshold": ["v > 1"]}, "threshold", r"expected a string, got a list"),
    ({"equations": "x : 1", "parameters": []}, "parameters", r"expected an object \{name: value\}, got a list"),
    ({"equations": "x : 1", "parameters": {"tau": None}}, "parameters.tau", r"expected a quantity string .* got null"),
    ({"equations": "x : 1", "parameters": {"a b": {}}}, 'parameters["a b"]', r"got an object"),
    ({"equations": "x : 1", "initial": {"v": True}}, "initial.v", r"got true/false"),
    ({"equations": "x : 1", "receptors": {"ex": {"weight_unit": "nS"}}}, "receptors.ex", r"needs `on_pre`"),
    ({"equations": "x : 1", "receptors": {"ex": {"on_pre": "v += w", "unit": "nS"}}}, "receptors.ex.unit",
     r"unknown field `unit`"),
    ({"equations": "x : 1", "substeps": 2.5}, "substeps", r"expected a whole number, got a number"),
    ({"equations": "x : 1", "substeps": True}, "substeps", r"got true/false"),
    ({"equations": "x : 1", "treshold": "x > 1"}, "treshold", r"unknown field `treshold` — did you mean `threshold`\?"),
])
def test_structural_problems_name_their_json_path(data, field, message):
    [problem] = problems_of(data)
    assert problem.field == field
    assert re.search(message, problem.message), problem.message


def test_embedded_model_paths_are_prefixed():
    problems: list[Problem] = []
    spec = spec_from_json({"equations": "x : 1", "parameters": {"x": []}}, problems, "populations[0].model")
    assert [p.field for p in problems] == ["populations[0].model.parameters.x"]
    assert spec == ModelSpec(equations="x : 1", parameters={})


def test_duplicate_keys_are_reported(tmp_path):
    path = tmp_path / "dup.ncsmodel"
    path.write_text('{"equations": "dv/dt = -v/tau : 1\\ntau : second", '
                    '"parameters": {"tau": "1 ms", "tau": "2 ms"}}')
    _, problems = check_model_file(path)
    assert [format_problem("dup.ncsmodel", p) for p in problems] == [
        "dup.ncsmodel: parameters.tau: `tau` is given more than once"]


def test_invalid_json_has_line_and_column(tmp_path):
    path = tmp_path / "bad.ncsmodel"
    path.write_text('{\n  "equations": "x : 1",\n  "threshold": \'x\'\n}')
    with pytest.raises(ModelFileError) as info:
        read_model_file(path)
    assert str(info.value) == f"{path}: line 3, col 16: invalid JSON: Expecting value"


def test_structure_and_model_problems_are_reported_together(tmp_path):
    path = tmp_path / "both.ncsmodel"
    path.write_text(json.dumps({"equations": "dv/dt = (E_L - v)/tau : volt\nE_L : volt\ntau : second",
                                "threshold": "v > 1", "method": 3, "parameters": {"tau": "1 mV"}}))
    checked, problems = check_model_file(path)
    assert checked is None
    lines = [format_problem("m", p) for p in problems]
    assert lines[0] == "m: method: expected a string, got a number"
    assert lines[1].startswith("m: parameters.tau: `1 mV` has units volt")
    assert re.match(r"m: threshold: line 1, col 1: cannot compare volt .* `v > 1`$", lines[2])
    assert len(lines) == 3


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "model.ncsmodel"
    atomic_write_text(path, "old")
    os.chmod(path, 0o640)

    def fail(fh):
        fh.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.ncsmodel"]
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o640


def test_atomic_write_into_a_missing_directory_names_the_target(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        atomic_write_text(tmp_path / "nowhere" / "m.ncsmodel", "x")
    assert info.value.filename == str(tmp_path / "nowhere" / "m.ncsmodel")


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_library_model_round_trips_through_a_model_file(name):
    spec = LIBRARY[name].spec
    problems = []
    again = spec_from_json(json.loads(json.dumps(spec_to_json(spec))), problems)
    assert problems == []
    assert again == spec
