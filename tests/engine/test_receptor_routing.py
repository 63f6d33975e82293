"""The one receptor routing rule (engine.models.base.route_input) and the callers that share it."""

import numpy as np
import pytest

from engine.models import get_model
from engine.models.base import ReceptorError, route_input
from engine.run.neuron import SpikeInput, simulate_neuron

COND = get_model("iaf_cond_exp")
PSC = get_model("iaf_psc_exp")


@pytest.mark.parametrize("model, weight, receptor, expected", [
    (COND, 5.0, None, ("ex", 5.0)),
    (COND, -5.0, None, ("in", 5.0)),  # a conductance receives -w, as in NEST
    (PSC, -5.0, None, ("in", -5.0)),  # a current keeps its sign
    (COND, -5.0, "ex", ("ex", -5.0)),  # an explicit receptor takes the weight as it is
    (COND, -5.0, 2, ("in", -5.0)),
    (COND, 5.0, "1", ("ex", 5.0)),
])
def test_nest_routing_by_sign_name_and_port(model, weight, receptor, expected):
    assert route_input(model.receptors, weight, receptor, library=model) == expected


def test_without_a_sign_split_the_first_receptor_or_the_named_one_takes_the_weight():
    assert route_input(("ge", "gi"), -2.0) == ("ge", -2.0)
    assert route_input(("ge", "on_pre_0"), -2.0, "on_pre_0") == ("on_pre_0", -2.0)  # Brian2's on_pre


@pytest.mark.parametrize("receptors, receptor, kwargs, message", [
    (("ex", "in"), 3, {}, r"^`t` has receptor ports 1..2, not 3$"),
    (("ex", "in"), "gaba", {}, r"^`t` has no receptor `gaba` \(has: ex, in\)$"),
    ((), "x", {}, r"^`t` has no receptor `x` \(has: none\)$"),
    ((), None, {}, r"^`t` has no receptor; give `on_pre` \(e\.g\. `v \+= w`\)$"),
    ((), None, {"none": "has no receptor for input spikes"}, r"^`t` has no receptor for input spikes$"),
])
def test_routing_errors_name_the_target(receptors, receptor, kwargs, message):
    with pytest.raises(ReceptorError, match=message):
        route_input(receptors, 1.0, receptor, owner="`t`", **kwargs)


def test_a_single_neuron_routes_a_negative_conductance_by_its_value():
    def run(weight, port=0):
        return simulate_neuron(COND, duration=5e-3, spike_inputs=(SpikeInput((1e-3,), weight, port),))

    by_sign, by_port = run("-5 nS"), run("5 nS", port=2)
    assert by_sign.values["g_in"].max() == pytest.approx(5.0)
    np.testing.assert_array_equal(by_sign.values["g_in"], by_port.values["g_in"])
    np.testing.assert_array_equal(by_sign.values["g_ex"], 0.0)
