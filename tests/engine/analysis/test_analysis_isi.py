"""ISI statistics, spike-triggered average, rate sensitivity and rate maps."""

import numpy as np
import pytest

from engine.analysis.common import AnalysisError
from engine.analysis.isi import isi_stats, rate_map, rate_sensitivity, spike_triggered_average
from engine.analysis.stimulus import Constant, Noise
from engine.analysis.traces import trace
from engine.models import get_model

DT = 1e-4
LIF = get_model("lif")


def test_isi_histogram_mean_and_cv():
    stats = isi_stats(np.array([0.0, 10.0, 30.0]), bins=4, max_isi=40.0)
    np.testing.assert_array_equal(stats.isi, [10.0, 20.0])
    np.testing.assert_array_equal(stats.edges, [0, 10, 20, 30, 40])
    np.testing.assert_array_equal(stats.counts, [0, 1, 1, 0])
    assert stats.mean == 15.0 and stats.cv == pytest.approx(5.0 / 15.0)
    regular = isi_stats(trace(LIF, duration=0.2, stimuli=(Constant(3000.0),)).spike_times)
    assert regular.cv == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(isi_stats(np.array([5.0])).cv)


def test_spike_triggered_average_is_aligned_to_the_step_grid():
    stimulus = np.arange(1000, dtype=float)  # value = step index
    sta = spike_triggered_average(stimulus, np.array([20.0, 50.0]), DT, before=0.001, after=0.0005)
    # A spike at 20 ms ends step 199; the sample at lag 0 is the one starting then, index 200.
    np.testing.assert_allclose(sta.lags, np.arange(-10, 6) * 0.1)
    np.testing.assert_allclose(sta.average, (np.arange(190, 206) + np.arange(490, 506)) / 2)
    assert sta.count == 2
    edge = spike_triggered_average(stimulus, np.array([0.5, 99.9]), DT, before=0.001, after=0.0005)
    assert edge.count == 0 and np.all(np.isnan(edge.average))


def test_spike_triggered_average_of_noise_rises_before_spikes():
    run = trace(LIF, duration=2.0, stimuli=(Noise(1800.0, 800.0, seed=2, interval=1e-3),))
    assert len(run.spike_times) > 20
    sta = spike_triggered_average(run.current, run.spike_times, DT, before=0.02)
    assert sta.average[-50:].mean() > run.current.mean() + 100.0  # depolarising input just before a spike


def test_sensitivity_signs_and_single_run_agreement():
    sens = rate_sensitivity(LIF, current=3000.0, parameters=["tau", "v_th", "R", "t_ref"], duration=0.5)
    assert sens.units == ("ms", "mV", "GOhm", "ms")
    signs = dict(zip(sens.parameters, np.sign(sens.sensitivity)))
    assert signs == {"tau": -1, "v_th": 1, "R": 1, "t_ref": -1}  # v_th = -50 mV: +10 % is -55 mV, lower
    # Every variant agrees with its own single-neuron run (v_th per neuron, tau folded).
    for q, name in enumerate(sens.parameters):
        for factor, rate in ((0.9, sens.rate_minus[q]), (1.1, sens.rate_plus[q])):
            value = float(sens.values[q] * factor)
            unit = sens.units[q]
            single = trace(LIF, duration=0.5, stimuli=(Constant(3000.0),), overrides={name: f"{value!r} {unit}"})
            assert rate == len(single.spike_times) / 0.5, name
    assert sens.base_rate == len(trace(LIF, duration=0.5, stimuli=(Constant(3000.0),)).spike_times) / 0.5


def test_sensitivity_is_nan_without_firing():
    sens = rate_sensitivity(LIF, current=0.0, parameters=["tau"], duration=0.05)
    assert sens.base_rate == 0 and np.isnan(sens.sensitivity[0])


def test_rate_map_over_current_and_a_parameter():
    currents = np.array([1000.0, 2500.0, 4000.0])
    taus = np.array([5.0, 10.0])
    grid = rate_map(LIF, "I_stim", currents, "tau", taus, duration=0.3)
    assert grid.rates.shape == (2, 3) and (grid.x_unit, grid.y_unit) == ("pA", "ms")
    for j, tau in enumerate(taus):
        for i, current in enumerate(currents):
            single = trace(LIF, duration=0.3, stimuli=(Constant(current),), overrides={"tau": f"{tau} ms"})
            assert grid.rates[j, i] == len(single.spike_times) / 0.3
    with pytest.raises(AnalysisError, match=r"^a rate map needs two different parameters$"):
        rate_map(LIF, "tau", taus, "tau", taus)
