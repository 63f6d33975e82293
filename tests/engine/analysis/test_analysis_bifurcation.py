"""Bifurcation sweeps: extrema of the attractor, cancellation, progress and cost estimate."""

import threading

import numpy as np
import pytest

from engine.analysis.bifurcation import bifurcation, estimate_cost
from engine.analysis.common import AnalysisError, Cancelled
from engine.analysis.stimulus import Constant
from engine.analysis.traces import trace
from engine.models import get_model

FHN = get_model("fitzhugh_nagumo")


def test_fitzhugh_nagumo_oscillates_between_its_two_hopf_points():
    # Rest below I ~ 0.33 and above I ~ 1.42; a relaxation oscillation with |v| near 2 between.
    values = [0.0, 0.2, 0.8, 2.0]
    diagram = bifurcation(FHN, "I", values, transient=0.3, duration=0.2)
    assert (diagram.parameter, diagram.variable, diagram.variable_unit) == ("I", "v", "1")
    for value, count in zip(values, diagram.spike_counts):
        pick = diagram.param_values == value
        ext, kind = diagram.extrema[pick], diagram.kind[pick]
        if value == 0.8:
            assert count >= 3 and set(kind) == {1, -1}
            assert ext[kind == 1].min() > 1.8 and ext[kind == -1].max() < -1.8
            assert len(ext) <= 4  # one max and one min, up to the sampling of the cycle
        else:
            assert count == 0 and list(kind) == [0] and len(ext) == 1
    # The resting state at I = 0 is the fixed point of the cubic and the line: v = -1.199.
    assert diagram.extrema[diagram.param_values == 0.0][0] == pytest.approx(-1.19941, abs=1e-4)


def test_lif_sweep_of_a_folded_parameter_matches_single_runs():
    # tau is a coefficient of the exactly integrated LIF: each value gets its own IR.
    values = [5.0, 10.0, 20.0]
    diagram = bifurcation(get_model("lif"), "tau", values, current=2500.0, transient=0.05, duration=0.2)
    for value, count in zip(values, diagram.spike_counts):
        single = trace(get_model("lif"), duration=0.25, stimuli=(Constant(2500.0),), overrides={"tau": f"{value} ms"})
        assert count == np.count_nonzero(single.spike_times > 50.0 + 1e-9)
        pick = diagram.param_values == value
        assert diagram.extrema[pick & (diagram.kind == -1)] == pytest.approx([-70.0])
        top = diagram.extrema[pick & (diagram.kind == 1)]
        assert np.all((top > -50.5) & (top <= -50.0))  # the last sample below threshold


def test_progress_and_cancellation():
    seen = []
    bifurcation(FHN, "I", np.linspace(0, 2, 5), transient=0.05, duration=0.05, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 2
    stop = threading.Event()

    def cancel_after_first(fraction):
        stop.set()

    with pytest.raises(Cancelled):
        bifurcation(FHN, "I", np.linspace(0, 2, 5), transient=0.5, duration=0.5, cancel=stop,
                    progress=cancel_after_first)


def test_cost_estimate_is_positive_and_grows_with_the_sweep():
    small = estimate_cost(FHN, "I", np.linspace(0, 2, 4), transient=0.1, duration=0.1)
    assert 0 < small < 60
    big = estimate_cost(FHN, "I", np.linspace(0, 2, 400), transient=10.0, duration=10.0)
    assert big > small


def test_unknown_names_are_refused():
    with pytest.raises(AnalysisError, match=r"^`J` is not a parameter of the model$"):
        bifurcation(FHN, "J", [0.0])
    with pytest.raises(AnalysisError, match=r"^`w` is not a state variable of the model$"):
        bifurcation(FHN, "I", [0.0], variable="w")
