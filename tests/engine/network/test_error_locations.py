"""Every build error carries a Location: the element, the field and, inside an expression, the span."""

import pickle

import pytest

from engine.equations.model import ModelSpec
from engine.errors import Location, ModelError, NeuroCoreError
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import STDP, DeviceDef, NetworkDef, PopulationDef, ProjectionDef

DELTA = get_model("iaf_psc_delta")
PSC_EXP = get_model("iaf_psc_exp")
BRIAN = ModelSpec("dv/dt = -v/tau : volt\ntau : second", parameters={"tau": "10 ms"}, method="exact")


def _net(projection=None, device=None, **population):
    pops = (PopulationDef("a", DELTA, 3), PopulationDef("b", population.pop("model", PSC_EXP), 3, **population))
    return NetworkDef(pops, (projection,) if projection else (), (device,) if device else ())


def _proj(**fields):
    return ProjectionDef(**{"name": "p", "source": "a", "target": "b", "rule": Rule("all_to_all"),
                            "weight": "1 pA", **fields})


@pytest.mark.parametrize("net, location", [
    (_net(_proj(rule=Rule("pairwise_bernoulli", p=1.5))), Location("projection", "p", "rule.p")),
    (_net(_proj(rule=Rule("fixed_indegree", k=4, allow_multapses=False))), Location("projection", "p", "rule.k")),
    (_net(_proj(rule=Rule("fixed_total_number", n=-1))), Location("projection", "p", "rule.n")),
    (_net(_proj(rule=Rule("explicit", sources=(0,), targets=(7,)))), Location("projection", "p", "rule.targets")),
    (_net(_proj(rule=Rule("all_to_al"))), Location("projection", "p", "rule.name")),
    (_net(_proj(receptor="gaba")), Location("projection", "p", "receptor")),
    (_net(_proj(weight="1 mV")), Location("projection", "p", "weight")),
    (_net(_proj(weight="1 furlong")), Location("projection", "p", "weight")),
    (_net(_proj(delay="0.01 ms")), Location("projection", "p", "delay")),
    (_net(_proj(synapse="tsodyks")), Location("projection", "p", "synapse")),
    (_net(_proj(target="c")), Location("projection", "p", "target")),
    (_net(_proj(synapse="stdp_synapse", stdp=STDP())), Location("projection", "p", "stdp.w_max")),
    (_net(_proj(synapse="stdp_synapse", stdp=STDP(w_max="1 pA", tau_plus="3 mV"))),
     Location("projection", "p", "stdp.tau_plus")),
    (_net(_proj(), model=BRIAN), Location("projection", "p", "on_pre")),
    (_net(initial={"V_m": [1.0]}), Location("population", "b", "initial.V_m")),
    (_net(parameters={"V_reset": "10*pA*rand()"}), Location("population", "b", "parameters.V_reset")),
    (_net(device=DeviceDef("x", "poisson_generator", "b", {"rate": "3 ms"}, weight="1 pA")),
     Location("device", "x", "params.rate")),
    (_net(device=DeviceDef("x", "poisson_generator", "b", {"rate": "3 Hz"}, weight="1 pA", receptor=4)),
     Location("device", "x", "receptor")),
    (_net(device=DeviceDef("x", "poisson_generator", "b", {"rate": "3 Hz"}, weight="1 mV")),
     Location("device", "x", "weight")),
    (_net(device=DeviceDef("x", "dc_generator", "b", {"amplitude": "1 pA"}, neurons=(5,))),
     Location("device", "x", "neurons")),
    (_net(device=DeviceDef("x", "multimeter", "b", {"record_from": ["u"]})),
     Location("device", "x", "params.record_from")),
    (_net(device=DeviceDef("x", "spike_recorder", "c")), Location("device", "x", "target")),
    (NetworkDef((PopulationDef("a", DELTA, 1),), dt="0 ms"), Location(field="dt")),
], ids=lambda v: v.field if isinstance(v, Location) else "")
def test_build_errors_carry_element_and_field(net, location):
    with pytest.raises(NeuroCoreError) as info:
        build_network(net)
    assert not isinstance(info.value, ModelError)
    assert info.value.location == location
    assert str(info.value).startswith(location.element if location.kind else "dt")


def test_expression_problems_carry_their_span():
    with pytest.raises(ModelError) as info:
        build_network(_net(initial={"V_m": "E_L + 2*mV*rnd()"}))
    [problem] = info.value.problems
    assert problem.field == "population `b`, initial `V_m`"  # what a person reads stays as it was
    assert problem.location == Location("population", "b", "initial.V_m", 1, problem.col, problem.end_col)
    assert problem.col == 12 and problem.end_col > 12


def test_a_receptor_made_for_on_pre_is_located_at_the_first_projection_giving_it():
    net = NetworkDef((PopulationDef("a", DELTA, 2), PopulationDef("b", BRIAN, 2)), (
        ProjectionDef("ok", "a", "b", Rule("all_to_all"), "1 mV", on_pre="v += w"),
        ProjectionDef("bad", "a", "b", Rule("all_to_all"), "1 mV", on_pre="vx += w"),
        ProjectionDef("same", "a", "b", Rule("all_to_all"), "1 mV", on_pre="vx += w")))
    with pytest.raises(ModelError) as info:
        build_network(net)
    [problem] = info.value.problems
    assert problem.field == "population `b`: receptors.on_pre_1"
    assert problem.location == Location("projection", "bad", "on_pre", 1, 1, problem.end_col)


def test_a_location_survives_the_trip_to_another_process():
    error = pickle.loads(pickle.dumps(NetworkError("m", Location("device", "x", "weight"))))
    assert (str(error), error.location) == ("m", Location("device", "x", "weight"))
