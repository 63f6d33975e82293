"""Device parameters are checked as typed by the table the engine builds with: the inspector's field check,
the document's problems and a failed build say the same thing about the same field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.equations.units import SI_UNITS
from engine.errors import NeuroCoreError
from engine.network.build import build_network
from engine.network.devices import DEVICE_TYPES
from studio.document.checks import document_problems
from studio.document.commands import AddNode, Connect, SetField, new_device, new_population
from studio.document.document import Document
from studio.document.field_help import DEVICE_PARAMS
from studio.document.fields import field_value_problem
from studio.project.network_def import network_def


def _device(kind: str, **params: str) -> Document:
    """A population `E` with a device `dev` of ``kind`` on it, its parameters set as typed."""
    doc = Document()
    stack = doc.undo_stack
    stack.push(AddNode(doc, new_population(doc, "iaf_psc_exp")))
    stack.push(AddNode(doc, new_device(doc, kind)))
    source, target = (kind, "E") if "generator" in kind else ("E", kind)
    stack.push(Connect(doc, source, target))
    stack.push(SetField(doc, kind, "neurons", ""))  # the device is named after its kind
    for key, text in params.items():
        stack.push(SetField(doc, kind, f"params.{key}", text))
    if kind in ("poisson_generator", "spike_generator"):
        stack.push(SetField(doc, kind, "weight", "10 pA"))
    return doc


@pytest.mark.parametrize("kind, given, field, text, reason", [
    ("poisson_generator", {"rate": "8 kHz"}, "rate", "5 mV", "`5 mV` has units volt, expected hertz"),
    ("poisson_generator", {"rate": "8 kHz"}, "rate", "-5 Hz", "rate cannot be negative"),
    ("dc_generator", {"amplitude": "376 pA"}, "amplitude", "376 ms", "`376 ms` has units second, expected amp"),
    ("dc_generator", {"amplitude": "376 pA"}, "amplitude", "376", "`376` needs a unit: expected amp"),
    ("ac_generator", {"amplitude": "50 pA", "frequency": "10 Hz"}, "frequency", "10 pA",
     "`10 pA` has units amp, expected hertz"),
    ("multimeter", {"record_from": "V_m", "interval": "0.1 ms"}, "interval", "0.1 Hz",
     "`0.1 Hz` has units hertz, expected second"),
    ("voltmeter", {}, "interval", "-1 ms", "interval cannot be negative"),
    ("spike_generator", {"spike_times": "10 ms, 20 ms"}, "spike_times", "10 ms, 20 pA",
     "`20 pA` has units amp, expected second"),
])
def test_a_device_parameter_is_refused_as_typed_for_what_the_build_refuses(kind, given, field, text, reason):
    doc = _device(kind, **given)
    assert document_problems(doc) == []
    assert build_network(network_def(doc.to_project(), [])) is not None
    assert field_value_problem(doc, kind, f"params.{field}", text) == reason
    doc.undo_stack.push(SetField(doc, kind, f"params.{field}", text, check=False))
    where = f"params.{field}[1]" if "," in text else f"params.{field}"  # the second of a list
    assert [(p.element, p.field, p.message) for p in document_problems(doc)] == [(kind, where, reason)]


def test_a_required_parameter_left_out_is_a_problem_before_the_run():
    doc = _device("dc_generator")
    assert [str(p) for p in document_problems(doc)] == ["dc_generator.params.amplitude: missing: dc_generator "
                                                        "needs `amplitude`"]
    assert field_value_problem(doc, "dc_generator", "params.amplitude", "") == (
        "missing: dc_generator needs `amplitude`")


def test_the_build_refuses_what_the_checks_refuse_with_the_same_words():
    doc = _device("poisson_generator", rate="8 kHz")
    net = network_def(doc.to_project(), [])
    device = net.devices[0]
    bad = net.__class__(net.populations, net.projections, (device.__class__(
        device.name, device.kind, device.target, {"rate": "5 mV"}, device.neurons, device.weight, device.delay),),
        net.dt, net.seed)
    with pytest.raises(NeuroCoreError, match=r"^device `poisson_generator`, rate: `5 mV` has units volt, "
                                             r"expected hertz$"):
        build_network(bad)


def test_every_declared_parameter_has_help_and_no_help_is_for_an_undeclared_one():
    for kind, cls in DEVICE_TYPES.items():
        assert list(DEVICE_PARAMS[kind]) == list(cls.parameters), kind


def test_one_spike_time_written_without_a_list_is_a_list_of_one():
    doc = _device("spike_generator")
    project = doc.to_project()
    device = project.devices[0]
    project = replace(project, devices=(replace(device, params={"spike_times": "10 ms"}),))
    found = []
    net = network_def(project, found)
    assert found == [] and [q.in_units(SI_UNITS) for q in net.devices[0].params["spike_times"]] == [0.01]
    assert build_network(net) is not None


@pytest.mark.parametrize("field, text, reason", [
    ("weight", "5 mV", "weight `5 mV` has units volt, but receptor `ex` of iaf_psc_exp takes amp"),
    ("receptor", "nmda", "`E` (iaf_psc_exp) has no receptor `nmda` (has: ex, in)"),
    ("neurons", "0, 100", "neuron indices must lie in 0..99"),
])
def test_a_generator_that_does_not_fit_its_population_is_refused_as_typed_and_by_the_build(field, text, reason):
    doc = _device("poisson_generator", rate="8 kHz")
    assert field_value_problem(doc, "poisson_generator", field, text) == reason
    doc.undo_stack.push(SetField(doc, "poisson_generator", field, text, check=False))
    assert [(p.element, p.field, p.message) for p in document_problems(doc)] == [("poisson_generator", field, reason)]
    with pytest.raises(NeuroCoreError, match=r"^device `poisson_generator`"):
        build_network(network_def(doc.to_project(), []))
