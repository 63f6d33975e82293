"""Single-neuron traces under stimulus protocols."""

import numpy as np
import pytest

from engine.analysis.stimulus import Constant, Ramp, Sine, Step, receptor_port, regular_spikes
from engine.analysis.traces import trace
from engine.equations.model import ModelSpec
from engine.errors import ModelError
from engine.fixedpoint import QFormat
from engine.models import get_model

DT = 1e-4


def test_subthreshold_step_follows_the_exact_lif_solution():
    # lif: dv/dt = (v_rest - v + R I)/tau, R = 10 Mohm = 0.01 mV/pA, tau = 10 ms; 1000 pA -> +10 mV.
    run = trace(get_model("lif"), duration=0.1, stimuli=(Step(1000.0, onset=0.02, offset=0.06),))
    assert run.current_unit == "pA" and run.units == {"v": "mV"}
    assert len(run.spike_times) == 0 and run.overflows == {}
    t = run.t  # end of each step, ms
    rise = -70.0 + 10.0 * (1 - np.exp(-(t - 20.0) / 10.0))
    expected = np.where(t <= 20.0 + 1e-9, -70.0, rise)
    v60 = -70.0 + 10.0 * (1 - np.exp(-4.0))
    expected = np.where(t > 60.0 + 1e-9, -70.0 + (v60 + 70.0) * np.exp(-(t - 60.0) / 10.0), expected)
    np.testing.assert_allclose(run.values["v"], expected, atol=1e-9)
    np.testing.assert_array_equal(run.current[[199, 200, 599, 600]], [0.0, 1000.0, 1000.0, 0.0])


def test_suprathreshold_step_fires_only_while_on():
    run = trace(get_model("iaf_psc_exp"), duration=0.3, stimuli=(Step(600.0, onset=0.1, offset=0.2),))
    spikes = run.spike_times
    assert len(spikes) > 5 and spikes.min() > 100.0 and spikes.max() <= 200.1
    assert run.values["V_m"].max() < -55.0 + 1e-9


def test_sine_and_ramp_drive_the_membrane():
    sine = trace(get_model("lif"), duration=0.2, stimuli=(Sine(500.0, frequency=10.0),))
    v = sine.values["v"]
    assert v[:1000].max() > -70 + 3.0 and v[1000:2000].min() < -70 - 3.0  # follows the half-waves
    ramp = trace(get_model("lif"), duration=0.3, stimuli=(Ramp(4000.0, onset=0.0, offset=0.3),))
    isi = np.diff(ramp.spike_times)
    assert len(isi) > 3 and np.all(np.diff(isi) <= 1e-9)  # the rate only rises


def test_spike_train_into_a_chosen_receptor():
    model = get_model("iaf_psc_exp")
    train = regular_spikes(100.0, "50 pA", onset=0.01, offset=0.05, port=receptor_port(model, "in"))
    run = trace(model, duration=0.06, spikes=(train,), spike_delay=1e-3)
    assert np.all(run.values["I_syn_ex"] == 0.0)
    # Each spike sent at s arrives at s + 1 ms, where I_syn_in jumps by the weight.
    k = int(round(0.011 / DT)) - 1
    assert run.values["I_syn_in"][k - 1] == 0.0 and run.values["I_syn_in"][k] == pytest.approx(50.0)
    assert run.values["V_m"][-1] > -70.0


def test_fixed_point_trace_reports_its_format():
    q = QFormat.parse("Q8.8")
    run = trace(get_model("lif"), duration=0.05, stimuli=(Constant(500.0),), fixed=q)
    assert run.fmt == q
    assert np.all(run.values["v"] * 256 == np.round(run.values["v"] * 256))


def test_model_without_current_input_refuses_a_current():
    spec = ModelSpec(equations="dv/dt = -v/(10*ms) : volt")
    with pytest.raises(ModelError, match=r"this model has no current input$"):
        trace(spec, duration=0.01, stimuli=(Constant(1.0),))
