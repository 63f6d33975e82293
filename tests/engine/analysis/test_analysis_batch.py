"""Variants of a model as one population: per-neuron parameters, folding, initial values."""

import threading

import numpy as np
import pytest

from engine.analysis.batch import estimate_seconds, plan, run_batch
from engine.analysis.common import AnalysisError, Cancelled
from engine.equations.model import ModelSpec
from engine.models import get_model


def test_parameters_stay_per_neuron_unless_exact_integration_needs_them_constant():
    lif = get_model("lif")
    p = plan(lif, 6, 1e-4, parameters={"tau": [5, 5, 10, 10, 20, 20], "v_th": [-50, -45] * 3})
    assert p.folded == ("tau",) and p.per_neuron == {"v_th"}
    assert [list(g) for g in p.groups()] == [[0, 1], [2, 3], [4, 5]]
    fhn = plan(get_model("fitzhugh_nagumo"), 3, 1e-4, parameters={"tau_w": [5, 10, 20]})
    assert fhn.folded == () and len(fhn.groups()) == 1


def test_initial_values_follow_a_varied_parameter():
    run = run_batch(get_model("iaf_psc_exp"), 3, duration=1e-4, parameters={"E_L": [-75.0, -70.0, -65.0]},
                    record="V_m")
    np.testing.assert_allclose(run.record[0], [-75.0, -70.0, -65.0])  # V_m starts at E_L and stays there


def test_refractory_period_per_neuron():
    t_ref = np.array([1.0, 2.0, 5.0])
    run = run_batch(get_model("iaf_psc_exp"), 3, duration=0.2, parameters={"t_ref": t_ref}, current=1000.0)
    for j in range(3):
        isi = np.diff(run.spike_times(j))
        assert len(isi) > 5 and np.ptp(isi) < 1e-9
    periods = [np.diff(run.spike_times(j))[0] for j in range(3)]
    np.testing.assert_allclose(np.diff(periods), np.diff(t_ref), atol=1e-9)


def test_transient_is_discarded_and_rates_count_the_rest():
    run = run_batch(get_model("lif"), 2, duration=0.1, transient=0.05, current=[0.0, 3000.0], record="v")
    assert run.record.shape == (1000, 2) and run.first_step == 500 and run.duration == pytest.approx(0.1)
    assert np.all(run.spike_steps >= 500)
    assert run.rates()[0] == 0 and run.rates()[1] == run.counts()[1] / 0.1 > 0


def test_errors_and_cancellation():
    with pytest.raises(AnalysisError, match=r"^`nope` is not a parameter of the model$"):
        run_batch(get_model("lif"), 1, duration=0.01, parameters={"nope": 1.0})
    with pytest.raises(AnalysisError, match=r"^the model has no current input"):
        run_batch(ModelSpec(equations="dv/dt = -v/(10*ms) : volt"), 1, duration=0.01, current=1.0)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        run_batch(get_model("lif"), 1, duration=0.01, cancel=stop)


def test_cost_estimate_is_positive():
    shared = estimate_seconds(get_model("lif"), 50, duration=1.0, parameters={"v_th": np.linspace(-55, -45, 50)})
    assert shared > 0
