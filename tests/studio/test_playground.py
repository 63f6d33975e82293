"""The playground's Qt-free state and its model text: sections, problems placed in the text, parameters,
stimulus, and projects holding a single neuron."""

from pathlib import Path

import numpy as np
import pytest

from engine.analysis.stimulus import Step
from engine.analysis.traces import trace
from engine.equations.model import check_model
from engine.models import LIBRARY
from engine.run.simulation import Simulation
from studio.project.model_text import check_model_text, model_text, parse_model_text, with_parameter
from studio.playground.playground_events import (ModelChanged, ParametersChanged, ProblemsChanged, TextChanged,
                                                 TraceChanged)
from studio.playground.playground_state import (PlaygroundError, PlaygroundState, SpikeTrain, Stimulus, playground_from_project,
                               population_playground, suggested_stimulus, templates)
from studio.project.project_file import load_network, read_project

ROOT = Path(__file__).resolve().parents[2]
GLIF_PROJECT = ROOT / "resources" / "examples" / "playground_glif.ncsproj"

LIF_TEXT = """\
dv/dt = (E_L - v + R*I_stim)/tau : volt (unless refractory)
E_L : volt
R : ohm
tau : second
v_th : volt
I_stim : amp
[threshold]
v > v_th
[reset]
v = E_L
[refractory]
2 ms
[parameters]
E_L = -70 mV
R = 10 Mohm
tau = 10 ms
v_th = -50 mV
[initial]
v = E_L
[current_input]
I_stim
"""


def at(text: str, problem) -> str:
    """The text a problem underlines."""
    line = text.split("\n")[problem.line - 1]
    return line[problem.col - 1:(problem.end_col or problem.col + 1) - 1]


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_library_model_round_trips_through_its_text(name):
    spec = LIBRARY[name].spec
    text = model_text(spec)
    parsed, checked, problems = check_model_text(text)
    assert problems == []
    assert model_text(checked.spec) == text
    for field in ("equations", "reset", "run_regularly"):
        assert getattr(checked.spec, field).strip() == getattr(spec, field).strip()
    original = check_model(spec)
    for field in ("states", "parameters", "initial", "threshold", "reset", "refractory", "receptors", "method",
                  "run_regularly"):
        assert getattr(checked, field) == getattr(original, field), field


def test_bare_equations_and_sections_make_the_spec():
    parsed, checked, problems = check_model_text(LIF_TEXT)
    assert problems == []
    spec = checked.spec
    assert spec.threshold == "v > v_th" and spec.refractory == "2 ms" and spec.current_input == "I_stim"
    assert dict(spec.parameters) == {"E_L": "-70 mV", "R": "10 Mohm", "tau": "10 ms", "v_th": "-50 mV"}


def test_problems_are_placed_at_their_line_and_column_of_the_text():
    text = LIF_TEXT.replace("R*I_stim", "R*I_stm").replace("v > v_th", "v > v_th*mV").replace(
        "tau = 10 ms", "tau = 10 mV").replace("v = E_L\n[current", "v = E_Lx\n[current")
    _, checked, problems = check_model_text(text)
    assert checked is None
    found = {p.field: p for p in problems}
    assert at(text, found["equations"]) == "I_stm" and found["equations"].line == 1
    assert found["threshold"].line == 8 and "v > v_th*mV" in text.split("\n")[7]
    assert at(text, found["parameters.tau"]) == "10 mV"
    assert "has units volt" in found["parameters.tau"].message
    assert at(text, found["initial.v"]) == "E_Lx"


def test_structural_mistakes_are_problems_of_the_text():
    text = LIF_TEXT.replace("[reset]", "[resets]").replace("R = 10 Mohm", "R 10 Mohm")
    parsed = parse_model_text(text)
    messages = [(p.line, p.message) for p in parsed.problems]
    assert any(line == 9 and msg.startswith("unknown section `[resets]`") for line, msg in messages)
    assert any(line == 15 and msg.startswith("expected `name = value`") for line, msg in messages)
    assert parse_model_text("").problems[0].message.startswith("a model needs at least one equation")


def test_with_parameter_changes_the_line_or_adds_one():
    changed = with_parameter(LIF_TEXT, "tau", "12 ms")
    assert "tau = 12 ms" in changed and changed.count("\n") == LIF_TEXT.count("\n")
    added = with_parameter(LIF_TEXT.replace("v_th = -50 mV\n", ""), "v_th", "-45 mV")
    assert check_model_text(added)[1].spec.parameters["v_th"] == "-45 mV"
    fresh = with_parameter("dv/dt = -v/tau : volt\ntau : second\n", "tau", "5 ms")
    assert check_model_text(fresh)[1].spec.parameters == {"tau": "5 ms"}


def record(state):
    events = []
    state.events.connect(events.append)
    return events


def test_invalid_text_keeps_the_last_good_model_and_trace_stale():
    state = PlaygroundState(stimulus=Stimulus((Step(3000.0, onset=0.1),)))
    events = record(state)
    state.set_text(LIF_TEXT)
    assert not state.stale and state.spec.threshold == "v > v_th"
    good = state.simulate()
    assert len(good.spike_times) > 10
    state.set_text(LIF_TEXT.replace("v > v_th", "v > v_thh"))
    assert state.stale and state.trace is good and state.spec.threshold == "v > v_th"
    assert [p.field for p in state.problems] == ["threshold"]
    assert "did you mean `v_th`" in state.problems[0].message
    state.set_text(LIF_TEXT)
    assert not state.stale and state.problems == []
    assert [type(e) for e in events] == [TextChanged, ModelChanged, ParametersChanged, TraceChanged, TextChanged,
                                         ProblemsChanged, TextChanged, ProblemsChanged, ModelChanged,
                                         ParametersChanged]
    assert events[-4] == TextChanged(LIF_TEXT) and events[-1] == ParametersChanged(None)


def test_set_parameter_rewrites_the_text_and_changes_the_trace():
    state = PlaygroundState(LIBRARY["lif"])
    before = state.simulate()
    events = record(state)
    state.set_parameter("tau", "5 ms")
    assert "tau = 5 ms" in state.text and state.parameters["tau"] == "5 ms"
    assert events == [TextChanged(state.text), ParametersChanged("tau")]
    after = state.simulate()
    assert len(after.spike_times) > len(before.spike_times)
    with pytest.raises(PlaygroundError, match=r"^`5 mV` has units volt, but `tau` is second$"):
        state.set_parameter("tau", "5 mV")
    assert state.parameter_problem("nope", "1") == "`nope` is not a parameter of the model"


def test_table_parameters_leave_out_the_current_input_and_assigned_values():
    state = PlaygroundState(LIBRARY["glif_cond"])
    names = state.parameter_names()
    assert "I_stim" not in names and "threshold" not in names and "ASCurrents_1" not in names
    assert names[:3] == ("g_m", "E_L", "C_m") and "adapting_threshold" in names
    assert state.parameters["adapting_threshold"] == "false"
    assert state.value("g_m") == pytest.approx(9.43)


def test_spike_trains_go_into_receptors_or_state_variables():
    state = PlaygroundState(LIBRARY["iaf_psc_exp"], stimulus=Stimulus(
        spikes=(SpikeTrain("ex", "100 pA", rate=100.0, onset=0.1, offset=0.2),)))
    ex = state.simulate()
    assert state.problems == [] and ex.values["I_syn_ex"].max() > 90
    state.set_stimulus(Stimulus(spikes=(SpikeTrain("V_m", "1 mV", kind="times", times=(0.05,)),)))
    jump = state.simulate()
    k = int(np.searchsorted(jump.t, 51.0))
    assert jump.values["V_m"][k] == pytest.approx(-69.0, abs=0.05)
    state.set_stimulus(Stimulus(spikes=(SpikeTrain("nowhere", "1 mV"),)))
    assert state.simulate() is None and state.stale
    assert state.problems[-1].message.startswith("the simulation failed: spikes go into a receptor")


def test_trace_arguments_reproduce_the_trace():
    state = PlaygroundState(LIBRARY["izhikevich"])
    shown = state.simulate()
    arguments = state.trace_arguments()
    again = trace(arguments.pop("model"), **arguments)
    assert np.array_equal(again.values["V_m"], shown.values["V_m"])


def test_every_template_is_valid_and_fires_under_its_suggested_stimulus():
    titles = [t.title for t in templates()]
    assert titles[:10] == ["LIF", "Izhikevich", "AdEx", "Hodgkin–Huxley", "FitzHugh–Nagumo", "GLIF1", "GLIF2",
                           "GLIF3", "GLIF4", "GLIF5"]
    assert len(titles) == 10 + len(LIBRARY)
    for template in templates():
        state = PlaygroundState(template.model)
        result = state.simulate()
        assert state.problems == [], template.title
        assert len(result.spike_times) >= 5, template.title


def test_a_single_neuron_project_opens_as_a_playground():
    state = playground_from_project(read_project(GLIF_PROJECT))
    assert state.library_model.name == "glif_cond" and state.dt == pytest.approx(1e-4)
    flags = ("spike_dependent_threshold", "after_spike_currents", "adapting_threshold")
    assert [state.parameters[f] for f in flags] == ["true"] * 3
    assert state.stimulus == Stimulus((Step(350.0, onset=0.1, offset=0.9),))
    shown = state.simulate()
    sim = Simulation(load_network(GLIF_PROJECT)[1])
    sim.run(1.0)
    network_times, _ = sim.spikes("glif5")
    assert len(shown.spike_times) == len(network_times) > 10


def test_projects_of_more_than_one_neuron_do_not_open_as_a_playground():
    assert playground_from_project(read_project(ROOT / "resources" / "examples" / "cuba.ncsproj")) is None


def test_a_population_of_a_network_opens_as_one_of_its_neurons():
    project = read_project(ROOT / "resources" / "examples" / "cuba.ncsproj")
    state = population_playground(project, "I")
    assert state.problems == [] and "dv/dt" in state.text
    assert "rand()" not in state.text  # a random start, drawn per neuron, gives way to the model's
    with pytest.raises(PlaygroundError, match=r"^no population `J`$"):
        population_playground(project, "J")


def test_model_file_of_the_playground(tmp_path):
    from studio.project.modelfile import load_model_file

    state = PlaygroundState(LIBRARY["lif"])
    state.set_parameter("tau", "7 ms")
    state.to_model_file(tmp_path / "mine.ncsmodel")
    assert load_model_file(tmp_path / "mine.ncsmodel").parameters["tau"] == "7 ms"


def test_a_single_neuron_without_devices_gets_a_step_that_makes_it_fire():
    from studio.project.project_doc import PopulationDoc, ProjectDoc

    state = playground_from_project(ProjectDoc((PopulationDoc("n", "hh_psc_alpha", 1),)))
    assert state.stimulus == suggested_stimulus(LIBRARY["hh_psc_alpha"])
    assert len(state.simulate().spike_times) > 10


def test_a_unit_error_in_an_equation_is_one_problem_not_three():
    text = LIF_TEXT.replace("R*I_stim)/tau", "R*I_stim)/tau + I_stim")
    state = PlaygroundState()
    state.set_text(text)
    assert [p.message for p in state.problems] == [
        "cannot add volt/second and amp in `(E_L - v + R*I_stim)/tau + I_stim`"]
    assert at(text, state.problems[0]).startswith("(E_L - v")
