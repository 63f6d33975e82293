"""Project files: the bundled examples, round trips, located errors, format versions and atomic saves."""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import replace

import numpy as np
import pytest

from engine.equations.constant_values import Expression
from engine.equations.model import ModelSpec
from engine.errors import Location, ModelError, Problem
from engine.network.build import NetworkError
from engine.equations.units import FARAD, HERTZ, SECOND, VOLT, Quantity
from engine.run.simulation import Simulation
from studio.project import upgrade as project_upgrade
from studio.project.project_file import (EXAMPLES, ProjectFileError, build_project, check_project, load_network, parse_project,
                            project_network, project_text, read_project, write_project)
from studio.project.fileio import json_text
from studio.project.network_def import locate_engine_error
from studio.project.project_doc import (DeviceDoc, LibraryRef, PopulationDoc, ProjectDoc, ProjectionDoc, RuleDoc,
                                        doc_from_json, doc_to_json)
from studio.project.schema import SCHEMA_PATH, project_schema, schema_problems
from studio.project.upgrade import FORMAT_VERSION, upgrade

EXAMPLE_NAMES = ("cuba", "coba", "brunel", "hil_demo", "playground_glif")
CUBA = EXAMPLES / "cuba.ncsproj"


def cuba_json() -> dict:
    return json.loads(CUBA.read_text(encoding="utf-8"))


def problems_of(tmp_path, data, name="bad.ncsproj") -> list[str]:
    """``LOCATION: message`` of every problem ``ncstudio check`` would print for ``data``."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    network, problems = check_project(path)
    assert network is None
    with pytest.raises(ProjectFileError) as info:
        load_network(path)
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_are_saved_in_canonical_form_and_round_trip(name, tmp_path):
    path = EXAMPLES / f"{name}.ncsproj"
    doc = read_project(path)
    assert project_text(doc) == path.read_text(encoding="utf-8")
    write_project(tmp_path / "copy.ncsproj", doc)
    again = read_project(tmp_path / "copy.ncsproj")
    assert again == doc
    assert (tmp_path / "copy.ncsproj").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert project_network(path, doc).populations


def test_the_shipped_schema_is_the_one_generated_from_the_description():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == json_text(project_schema()), \
        "resources/ncsproj.schema.json is stale: run `python -m studio.project.schema`"
    population = project_schema()["$defs"]["population"]
    assert population["required"] == ["name", "model", "size"] and population["additionalProperties"] is False
    assert list(population["properties"]) == ["name", "model", "size", "parameters", "initial", "arithmetic", "position"]


def test_every_field_is_written_read_and_checked_from_one_description():
    doc = ProjectDoc(
        (PopulationDoc("E", "lif", "N", {"tau": "10 ms"}, {"v": "-60 mV"}, (1.5, -2.0)),),
        (ProjectionDoc("EE", "E", "E", RuleDoc("fixed_indegree", k=3, sources=(0, 1), allow_autapses=False), "w",
                       "1 ms", "ex", "v += w", {"tau_plus": "20 ms", "bounds": "additive"},
                       {"mode": "sc", "source": "lfsr16", "length": 256, "seed": 7}, synapse="stdp"),),
        (DeviceDoc("rec", "multimeter", "E", {"record_from": ("v",), "interval": "1 ms"}, (0, 2), "1 pA", "2 ms",
                   1, (3.0, 4.0)),),
        models={"lif": LibraryRef("lif", {"tau": "12 ms"})}, constants={"N": 4, "w": "1 mV"}, dt="0.1 ms", seed=2,
        description="all of it")
    data = doc_to_json(doc)
    assert list(data) == ["format_version", "description", "dt", "seed", "constants", "models", "populations",
                          "projections", "devices"]
    assert list(data["projections"][0]) == ["name", "source", "target", "rule", "synapse", "weight", "delay",
                                            "receptor", "on_pre", "stdp", "arithmetic"]
    assert data["devices"][0]["params"] == {"record_from": ["v"], "interval": "1 ms"}
    assert schema_problems(json.loads(json.dumps(data))) == []
    problems = []
    assert doc_from_json(json.loads(json.dumps(data)), problems) == doc and problems == []
    assert doc_to_json(ProjectDoc(())) == {"format_version": FORMAT_VERSION, "populations": []}


def test_cuba_is_brian2s_example():
    doc = read_project(CUBA)
    net = project_network(CUBA, doc)
    assert [(p.name, p.size) for p in net.populations] == [("E", 3200), ("I", 800)]
    spec = net.populations[0].model
    assert isinstance(spec, ModelSpec) and spec.method == "exact" and spec.refractory == "5 ms"
    assert dict(spec.parameters) == {"taum": Quantity(20.0, SECOND), "taue": Quantity(5.0, SECOND),
                                     "taui": Quantity(10.0, SECOND), "Vt": Quantity(-50.0, VOLT),
                                     "Vr": Quantity(-60.0, VOLT), "El": Quantity(-49.0, VOLT)}
    assert net.populations[0].initial["v"] == Expression("Vr + rand()*(Vt - Vr)")
    weights = {p.name: (p.weight, p.on_pre, p.delay, p.rule.name, p.rule.p, p.rule.allow_autapses)
               for p in net.projections}
    we, wi = Quantity(60 * 0.27 / 10, VOLT), Quantity(-20 * 4.5 / 10, VOLT)  # in mV, as Brian2 computes them
    assert weights == {"EE": (we, "ge += w", Quantity(0.1, SECOND), "pairwise_bernoulli", 0.02, True),
                       "EI": (we, "ge += w", Quantity(0.1, SECOND), "pairwise_bernoulli", 0.02, True),
                       "IE": (wi, "gi += w", Quantity(0.1, SECOND), "pairwise_bernoulli", 0.02, True),
                       "II": (wi, "gi += w", Quantity(0.1, SECOND), "pairwise_bernoulli", 0.02, True)}
    assert [str(p.weight) for p in net.projections] == ["1.62 mV", "1.62 mV", "-9 mV", "-9 mV"]
    assert (net.dt, net.seed) == (Quantity(0.1, SECOND), 1)


def test_cuba_runs_at_its_published_rate():
    _, network = load_network(CUBA)
    summary = Simulation(network).run(0.3)
    assert summary.steps == 3000
    for rate in summary.rates_hz.values():
        assert 4.0 < rate < 7.5


def test_brunel_constants_select_the_regime():
    path = EXAMPLES / "brunel.ncsproj"
    doc = read_project(path)
    net = project_network(path, doc)
    assert [(p.name, p.size) for p in net.populations] == [("E", 10_000), ("I", 2_500)]
    model = net.populations[0].model
    assert model.name == "iaf_psc_delta"
    parameters = {k: model.spec.parameters[k] for k in ("C_m", "tau_m", "t_ref", "E_L", "V_reset", "V_th")}
    assert parameters == {"C_m": Quantity(1.0, FARAD), "tau_m": Quantity(20.0, SECOND), "t_ref": Quantity(2.0, SECOND),
                          "E_L": Quantity(0.0, VOLT), "V_reset": Quantity(0.0, VOLT), "V_th": Quantity(20.0, VOLT)}
    proj = {p.name: p for p in net.projections}
    assert (proj["EE"].rule.name, proj["EE"].rule.k, proj["IE"].rule.k) == ("fixed_indegree", 1000, 250)
    assert (proj["EE"].weight, proj["IE"].weight, proj["IE"].delay) == (Quantity(0.1, VOLT), Quantity(-0.5, VOLT),
                                                                       Quantity(1.5, SECOND))
    assert {p.synapse for p in net.projections} == {"static_synapse_hom_w"}
    noise = {d.name: d for d in net.devices}["noise_E"]
    # rate = eta * nu_th * C_E with nu_th = theta / (J C_E tau_m) = 10 Hz
    assert noise.params["rate"].dim is HERTZ and noise.params["rate"].value == pytest.approx(20.0, rel=1e-15)
    assert [str(v) for v in (noise.params["rate"], noise.weight, noise.delay)] == ["20000 Hz", "0.1 mV", "1.5 ms"]

    constants = {**doc.constants, "g": 8, "eta": 4}
    net = project_network(path, replace(doc, constants=constants))
    assert {p.name: p.weight for p in net.projections}["IE"] == Quantity(-0.8, VOLT)
    assert str({d.name: d for d in net.devices}["noise_E"].params["rate"]) == "40000 Hz"


def test_a_scaled_down_brunel_builds_and_fires():
    path = EXAMPLES / "brunel.ncsproj"
    doc = read_project(path)
    small = replace(doc, constants={**doc.constants, "order": 250})
    network = build_project(path, small, project_network(path, small))
    assert network.populations["E"].size == 1000
    assert network.projections["EE"].n_connections == 1000 * 100
    summary = Simulation(network).run(0.1)
    assert all(rate > 1.0 for rate in summary.rates_hz.values())


def test_library_models_and_inline_models_are_read_into_typed_records():
    doc = read_project(EXAMPLES / "brunel.ncsproj")
    assert doc.models["brunel_iaf"] == LibraryRef("iaf_psc_delta", {
        "C_m": "1 pF", "tau_m": "tau_m", "t_ref": "2 ms", "E_L": "0 mV", "V_reset": "0 mV", "V_th": "theta",
        "I_e": "0 pA"})
    cuba = read_project(CUBA)
    assert cuba.populations[1].position == (0, 200)
    assert cuba.devices[2].neurons == (0, 1, 2, 3, 4)
    assert cuba.devices[2].params["record_from"] == ("v",)
    assert cuba.projections[0].delay == "0.1 ms" and cuba.projections[0].receptor is None


SCHEMA_CASES = [
    (lambda d: d["populations"][1].update(size=[800]),
     r"populations\[1\]\.size: expected a string or a whole number, got a list"),
    (lambda d: d["projections"][0].pop("weight"), r"projections\[0\]\.weight: missing \(required\)"),
    (lambda d: d["projections"][2].update(wieght="1 mV"),
     r"projections\[2\]\.wieght: unknown field `wieght` — did you mean `weight`\?"),
    (lambda d: d["populations"][0].update(name="E cells"),
     r"populations\[0\]\.name: `E cells` is not a valid name \(letters, digits and `_`, not starting with a digit\)"),
    (lambda d: d.update(seed="one"), r"seed: expected a whole number, got a string"),
    (lambda d: d["devices"][0].update(position=[1, 2, 3]), r"devices\[0\]\.position: expected \[x, y\]"),
]


def case_id(pattern: str) -> str:
    return pattern.split(":")[0].replace("\\", "")


@pytest.mark.parametrize("edit, pattern", SCHEMA_CASES, ids=[case_id(p) for _, p in SCHEMA_CASES])
def test_schema_errors_name_the_json_path(edit, pattern, tmp_path):
    data = cuba_json()
    edit(data)
    [problem] = problems_of(tmp_path, data)
    assert re.match(pattern + "$", problem), problem


def test_every_schema_problem_is_reported_at_once(tmp_path):
    data = cuba_json()
    data["populations"][1]["size"] = True
    del data["projections"][3]["source"]
    data["devices"][1]["kind"] = 3
    assert problems_of(tmp_path, data) == [
        "devices[1].kind: expected a string, got a number",
        "populations[1].size: expected a string or a whole number, got true/false",
        "projections[3].source: missing (required)",
    ]


def test_inline_models_report_structural_problems_by_path(tmp_path):
    data = cuba_json()
    data["models"]["cuba_lif"]["substeps"] = "two"
    assert problems_of(tmp_path, data) == ["models.cuba_lif.substeps: expected a whole number, got a string"]


def test_references_units_and_rule_options_are_checked_before_building(tmp_path):
    data = cuba_json()
    data["dt"] = 0.1
    data["constants"]["J"] = "0.1*mV + 2*ms"
    data["populations"][0]["model"] = "cuba_lf"
    data["populations"][1]["size"] = "N_I"
    data["projections"][0]["target"] = "Ex"
    data["projections"][1]["delay"] = "1.5 mV"
    data["projections"][2]["rule"] = {"name": "fixed_indegree", "p": 0.1}
    data["projections"][3]["rule"] = {"name": "fixed_indegre", "k": 5}
    data["devices"][0]["target"] = "X"
    assert problems_of(tmp_path, data) == [
        "constants.J: line 1, col 1: cannot add volt and second in `0.1*mV + 2*ms`",
        "dt: `0.1` needs a unit: expected second (e.g. `0.1 ms`)",
        "populations[0].model: unknown model `cuba_lf` — did you mean `cuba_lif`?",
        "populations[1].size: line 1, col 1: unknown name `N_I`",
        "projections[0].target: unknown population `Ex` — did you mean `E`?",
        "projections[1].delay: `1.5 mV` has units volt, expected second (e.g. `1.5 ms`)",
        "projections[2].rule.p: `p` is not an option of fixed_indegree",
        "projections[2].rule.k: missing: fixed_indegree needs `k`",
        "projections[3].rule.name: unknown connection rule `fixed_indegre` — did you mean `fixed_indegree`?",
        "devices[0].target: unknown population `X` (have: E, I)",
    ]


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d["projections"][1]["rule"].update(p=1.5),
     "projections[1].rule.p: probability p must be within [0, 1], not 1.5"),
    (lambda d: d["projections"][1]["rule"].update(p=-0.2),
     "projections[1].rule.p: probability p must be within [0, 1], not -0.2"),
    (lambda d: d["projections"][0].update(delay="-1 ms"),
     "projections[0].delay: delay -1 ms is negative; the minimum delay is one time step (0.1 ms)"),
    (lambda d: d["devices"][0].update(delay="0.01 ms"),
     "devices[0].delay: delay 0.01 ms is shorter than one time step (0.1 ms); the minimum delay is one step"),
])
def test_the_engines_rules_on_probabilities_and_delays_are_checked_before_building(edit, problem, tmp_path):
    data = cuba_json()
    edit(data)
    assert problems_of(tmp_path, data) == [problem]


def test_counts_must_be_whole_and_names_unique(tmp_path):
    data = cuba_json()
    data["constants"]["n"] = 2.5
    data["populations"][1]["size"] = "n*100.5"
    data["projections"][1]["name"] = "EE"
    assert problems_of(tmp_path, data) == [
        "projections[1].name: `EE` is used twice; names must be unique",
        "populations[1].size: expected a positive whole number, not `n*100.5` (= 251.25)",
    ]


BUILD_CASES = [
    (lambda d: d["projections"][0].update(weight="1.62 pA"),
     r"projections\[0\]\.weight: projection `EE`: weight `1\.62 pA` has units amp, but receptor `on_pre_0` of "
     r"`E` takes volt"),
    (lambda d: d["projections"][2].update(on_pre="gx += w"),
     r"projections\[2\]\.on_pre: line 1, col 1: unknown variable `gx`"),
    (lambda d: d["populations"][1].update(parameters={"taum": "20 mV"}),
     r"populations\[1\]\.parameters\.taum: .*taum.*"),
    (lambda d: d["populations"][0].update(initial={"v": "Vr + rand()*Vx"}),
     r"populations\[0\]\.initial\.v: line 1, col 13: unknown name `Vx`"),
    (lambda d: d["devices"].append({"name": "drive", "kind": "dc_generator", "target": "E",
                                    "params": {"amplitude": "5 pA"}}),
     r"devices\[3\]: device `drive`: `E` has no current input"),
    (lambda d: d["devices"][2]["params"].update(record_from=["vx"]),
     r"devices\[2\]\.params\.record_from: device `v_E`: `E` has no recordable `vx` \(recordables: .*\)"),
]


@pytest.mark.parametrize("edit, pattern", BUILD_CASES, ids=[case_id(p) for _, p in BUILD_CASES])
def test_engine_errors_are_placed_at_their_element(edit, pattern, tmp_path):
    data = cuba_json()
    data["populations"][0]["size"] = data["populations"][1]["size"] = 50
    edit(data)
    [problem] = problems_of(tmp_path, data)
    assert re.match(pattern + "$", problem), problem


def test_engine_locations_map_to_json_paths_without_reading_messages():
    doc = read_project(CUBA)
    placed = locate_engine_error(doc, NetworkError("anything", Location("population", "I", "parameters.taum", 1, 3, 5)))
    assert placed == [Problem("populations[1].parameters.taum", 1, 3, "anything", 5)]
    assert locate_engine_error(doc, NetworkError("x", Location(field="dt"))) == [Problem("dt", 0, 0, "x")]
    assert locate_engine_error(doc, NetworkError("x", Location("device", "nowhere"))) == [Problem("", 0, 0, "x")]
    assert locate_engine_error(doc, NetworkError("x")) == [Problem("", 0, 0, "x")]
    model_field = Problem("population `E`: equations", 2, 4, "bad", 6, "dv/dt",
                          Location("population", "E", "equations", 2, 4, 6))
    assert locate_engine_error(doc, ModelError(model_field)) == [Problem("populations[0]: equations", 2, 4, "bad", 6,
                                                                         "dv/dt")]


def test_invalid_json_and_text_are_located(tmp_path):
    assert problems_of(tmp_path, '{\n  "format_version": 1,\n  "populations": [}\n') == [
        "line 3, col 19: invalid JSON: Expecting value"]
    path = tmp_path / "latin1.ncsproj"
    path.write_bytes(b'{"description": "caf\xe9"}')
    with pytest.raises(ProjectFileError, match=r"latin1\.ncsproj: not UTF-8 text \(byte 20\)"):
        read_project(path)


def test_a_newer_format_is_refused(tmp_path):
    data = cuba_json()
    data["format_version"] = 3
    assert problems_of(tmp_path, data, "new.ncsproj") == [
        "format_version: written by a newer NeuroCore Studio (format 3); this build reads up to 1"]


def test_format_0_is_upgraded(tmp_path):
    data = cuba_json()
    del data["format_version"]
    path = tmp_path / "old.ncsproj"
    path.write_text(json.dumps(data), encoding="utf-8")
    doc = read_project(path)
    assert doc == read_project(CUBA)
    write_project(path, doc)
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == FORMAT_VERSION == 1


def test_upgrades_apply_in_order_up_to_the_current_format(monkeypatch):
    def v1_to_v2(data):
        rest = {k: v for k, v in data.items() if k != "dt"}
        return {**rest, "format_version": 2, "time_step": data["dt"]}

    monkeypatch.setattr(project_upgrade, "FORMAT_VERSION", 2)
    monkeypatch.setitem(project_upgrade.UPGRADES, 1, v1_to_v2)
    problems: list = []
    v0 = {"dt": "0.1 ms", "populations": []}
    assert upgrade(copy.deepcopy(v0), problems) == {"format_version": 2, "time_step": "0.1 ms", "populations": []}
    assert upgrade({"format_version": 3}, problems) is None
    assert [p.message for p in problems] == [
        "written by a newer NeuroCore Studio (format 3); this build reads up to 2"]


def test_reserved_and_undefined_constants(tmp_path):
    data = cuba_json()
    data["constants"] = {"dt": "1 ms", "we": "2*x", "wi": "-9 mV"}
    assert problems_of(tmp_path, data) == [
        "constants.dt: `dt` is reserved in expressions; choose another name",
        "constants.we: line 1, col 3: unknown name `x`",
        "projections[0].weight: line 1, col 1: unknown name `we`",
        "projections[1].weight: line 1, col 1: unknown name `we`",
    ]


def test_random_values_are_refused_where_they_cannot_vary(tmp_path):
    data = cuba_json()
    data["projections"][0]["rule"]["p"] = "0.02*rand()"
    assert problems_of(tmp_path, data) == [
        "projections[0].rule.p: `0.02*rand()` is random; rand() and randn() may only be used in parameters, "
        "initial values, and weights and delays of projections"]


def test_weights_and_delays_drawn_per_connection_are_checked_by_field(tmp_path):
    data = cuba_json()
    data["projections"][0]["weight"] = "redraw(we*(1 + 0.1*randn()), 0*mV)"
    data["projections"][0]["delay"] = "redraw(1*ms + 0.5*ms*randn(), 0.05*ms)"
    path = tmp_path / "drawn.ncsproj"
    path.write_text(json.dumps(data), encoding="utf-8")
    network, problems = check_project(path)
    assert problems == [] and network.projections["EE"].delays.min() >= 1
    data["projections"][1]["weight"] = "redraw(wi*randn(), 0*mV, 1*ms)"
    data["projections"][1]["delay"] = "0.5*mV*rand()"
    assert problems_of(tmp_path, data) == [
        "projections[1].weight: line 1, col 26: `redraw` bounds must have the units of its first argument (volt), "
        "but `1*ms` is second",
        "projections[1].delay: `0.5*mV*rand()` has units volt, expected second (e.g. `1.5 ms`)"]


def test_parameters_may_mix_constants_with_model_names_and_rand():
    doc = parse_project(CUBA.read_text(encoding="utf-8"), [])
    pop = replace(doc.populations[0], parameters={"Vt": "V0 + 2*mV*rand()", "Vr": "V0 - 10*mV"})
    doc = replace(doc, populations=(pop, *doc.populations[1:]), constants={**doc.constants, "V0": "-51 mV"})
    net = project_network(CUBA, doc)
    assert net.populations[0].parameters == {"Vt": Expression("V0 + 2*mV*rand()", {"V0": Quantity(-51.0, VOLT)}),
                                             "Vr": Quantity(-61.0, VOLT)}
    network = build_project(CUBA, doc, net)
    vt = network.populations["E"].state.get("Vt")
    assert -51.0 <= vt.min() < vt.max() <= -49.0


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "cuba.ncsproj"
    write_project(path, read_project(CUBA))
    before = path.read_bytes()
    doc = replace(read_project(CUBA), seed=7)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_project(path, doc)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["cuba.ncsproj"]


def test_seed_override_changes_the_network_not_the_document():
    doc = read_project(CUBA)
    a = build_project(CUBA, doc, project_network(CUBA, doc))
    b = build_project(CUBA, doc, project_network(CUBA, doc, seed=2))
    assert project_network(CUBA, doc, seed=2).seed == 2 and doc.seed == 1
    assert a.projections["EE"].n_connections != b.projections["EE"].n_connections
    np.testing.assert_array_equal(a.projections["II"].indptr,
                                  build_project(CUBA, doc, project_network(CUBA, doc)).projections["II"].indptr)


def test_device_parameter_errors_are_found_before_building_and_placed_at_their_field(tmp_path):
    data = cuba_json()
    data["populations"][0]["size"] = data["populations"][1]["size"] = 50
    data["devices"].append({"name": "drive", "kind": "poisson_generator", "target": "E", "weight": "1 mV",
                            "params": {"rate": "5 mV"}})
    path = tmp_path / "drive.ncsproj"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_network(path)
    assert str(info.value) == f"{path}: devices[3].params.rate: `5 mV` has units volt, expected hertz"
