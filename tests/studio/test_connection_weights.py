"""Project files hold a weight per connection (the explicit rule's ``weights``) and per-neuron parameter lists;
both are read, written, checked with located messages, and built."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from engine.network.build import NetworkError, build_network
from studio.project.fileio import json_text
from studio.project.network_def import network_def
from studio.project.project_doc import doc_from_json, doc_to_json
from studio.project.project_file import load_network, read_project
from studio.project.schema import schema_problems
from tests.studio.test_project import problems_of

PROJECT = {
    "format_version": 1,
    "populations": [{"name": "A", "model": "iaf_psc_delta", "size": 3},
                    {"name": "B", "model": "iaf_psc_delta", "size": 2,
                     "parameters": {"I_e": ["10 pA", "20 pA"], "C_m": "250 pF"}}],
    "projections": [{"name": "AB", "source": "A", "target": "B",
                     "rule": {"name": "explicit", "sources": [2, 0, 1], "targets": [1, 0, 0],
                              "weights": [0.5, -1.0, 2.0]},
                     "weight": "0.2 mV"}],
}


def written(tmp_path, data, name="net.ncsproj"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_weights_and_per_neuron_lists_are_read_written_and_in_the_schema():
    assert schema_problems(PROJECT) == []
    problems = []
    doc = doc_from_json(copy.deepcopy(PROJECT), problems)
    assert problems == []
    assert doc.projections[0].rule.weights == (0.5, -1.0, 2.0)
    assert doc.populations[1].parameters["I_e"] == ("10 pA", "20 pA")
    assert doc_to_json(doc) == PROJECT


def test_each_connection_gets_its_weight_times_the_projections(tmp_path):
    _, network = load_network(written(tmp_path, PROJECT))
    projection = network.projections["AB"]
    pairs = sorted(zip(projection.sources().tolist(), projection.targets.tolist(), projection.get_weights().tolist()))
    assert pairs == [(0, 0, pytest.approx(-0.2)), (1, 0, pytest.approx(0.4)), (2, 1, pytest.approx(0.1))]
    np.testing.assert_allclose(network.population("B").state.get("I_e"), [10.0, 20.0])


def test_a_length_mismatch_names_the_projection_and_the_field(tmp_path):
    data = copy.deepcopy(PROJECT)
    data["projections"][0]["rule"]["weights"] = [1.0, 2.0]
    assert problems_of(tmp_path, data) == [
        "projections[0].rule.weights: 2 weights for 3 connections (one per entry of `sources`)"]


def test_weights_belong_to_the_explicit_rule_only(tmp_path):
    data = copy.deepcopy(PROJECT)
    data["projections"][0]["rule"] = {"name": "all_to_all", "weights": [1.0]}
    assert problems_of(tmp_path, data) == [
        "projections[0].rule.weights: per-connection weights are an option of the explicit rule only, "
        "not of all_to_all"]


def test_a_shared_weight_synapse_refuses_per_connection_weights(tmp_path):
    data = copy.deepcopy(PROJECT)
    data["projections"][0]["synapse"] = "static_synapse_hom_w"
    doc = read_project(written(tmp_path, data))
    with pytest.raises(NetworkError, match=r"^projection `AB`: static_synapse_hom_w shares one weight") as info:
        build_network(network_def(doc, []))
    assert info.value.location.field == "rule.weights"


@pytest.mark.parametrize(("values", "message"), [
    (["10 pA"], "populations[1].parameters.I_e: 1 values for 2 neurons (a list gives one per neuron)"),
    (["10 pA", "2 mV"], "populations[1].parameters.I_e: population `B`, parameter `I_e`: `2 mV` has units "
                        "volt, expected amp"),
])
def test_a_per_neuron_list_is_checked_against_the_population(values, message, tmp_path):
    data = copy.deepcopy(PROJECT)
    data["populations"][1]["parameters"]["I_e"] = values
    assert problems_of(tmp_path, data) == [message]


def test_long_number_lists_fill_their_lines_and_read_back():
    text = json_text({"weights": [0.5] * 40, "short": [1, 2]})
    assert text.splitlines()[:2] == ["{", '  "weights": [']
    assert text.splitlines()[2] == "    " + ", ".join(["0.5"] * 19) + ","
    assert all(len(line) <= 100 for line in text.splitlines())
    assert json.loads(text) == {"weights": [0.5] * 40, "short": [1, 2]}


def test_a_bad_value_deep_in_a_long_list_is_still_located():
    data = copy.deepcopy(PROJECT)
    rule = data["projections"][0]["rule"]
    rule["sources"], rule["targets"], rule["weights"] = [0] * 5000, [0] * 5000, [1.0] * 5000
    rule["sources"][4321] = -1
    rule["weights"][17] = "heavy"
    assert [(p.field, p.message) for p in schema_problems(data)] == [
        ("projections[0].rule.sources[4321]", "must be at least 0, not -1"),
        ("projections[0].rule.weights[17]", "expected a number, got a string")]
