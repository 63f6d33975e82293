"""Stimulus protocols sampled on the step grid."""

import numpy as np
import pytest

from engine.analysis.stimulus import (Constant, Noise, PulseTrain, Ramp, Sine, Step, current_array,
                                      poisson_spikes, receptor_port, regular_spikes)
from engine.analysis.common import AnalysisError
from engine.models import get_model

DT = 1e-4


def test_step_is_on_from_onset_to_offset():
    i = Step(50.0, onset=0.01, offset=0.02, baseline=5.0).current(300, DT)
    assert np.all(i[:100] == 5.0) and np.all(i[100:200] == 50.0) and np.all(i[200:] == 5.0)


def test_ramp_rises_linearly_then_stops():
    i = Ramp(100.0, onset=0.01, offset=0.02).current(300, DT)
    assert np.all(i[:100] == 0) and np.all(i[200:] == 0)
    np.testing.assert_allclose(i[100:200], np.arange(100), atol=1e-9)


def test_sine_has_mean_amplitude_and_frequency():
    i = Sine(10.0, frequency=100.0, mean=3.0).current(1000, DT)  # 10 full periods
    assert i.mean() == pytest.approx(3.0, abs=1e-9)
    assert i.max() == pytest.approx(13.0) and i.min() == pytest.approx(-7.0)
    np.testing.assert_allclose(i[:100], i[100:200], atol=1e-9)


def test_pulse_train_counts_and_widths():
    i = PulseTrain(20.0, width=0.002, period=0.01, onset=0.005, count=3).current(1000, DT)
    on = np.flatnonzero(i)
    assert len(on) == 3 * 20
    assert list(on[::20]) == [50, 150, 250]


def test_noise_is_seeded_with_the_asked_statistics():
    a = Noise(100.0, 20.0, seed=3).current(50_000, DT)
    assert np.array_equal(a, Noise(100.0, 20.0, seed=3).current(50_000, DT))
    assert not np.array_equal(a, Noise(100.0, 20.0, seed=4).current(50_000, DT))
    assert a.mean() == pytest.approx(100.0, abs=0.5) and a.std() == pytest.approx(20.0, rel=0.02)
    held = Noise(0.0, 1.0, interval=1e-3).current(100, DT)
    assert len(np.unique(held)) == 10


def test_protocols_add_up():
    total = current_array((Constant(1.0), Step(2.0, onset=0.005)), 100, DT)
    assert total[0] == 1.0 and total[-1] == 3.0


def test_bad_protocols_are_refused():
    with pytest.raises(AnalysisError, match=r"^a ramp needs offset > onset$"):
        Ramp(1.0, onset=0.02, offset=0.01).current(10, DT)
    with pytest.raises(AnalysisError, match=r"^a pulse train needs"):
        PulseTrain(1.0, width=0.02, period=0.01).current(10, DT)


def test_spike_trains_and_receptor_ports():
    model = get_model("iaf_psc_exp")
    assert receptor_port(model, "in") == 2
    with pytest.raises(AnalysisError, match=r"^`gaba` is not a receptor of the model \(it has: ex, in\)$"):
        receptor_port(model, "gaba")
    train = regular_spikes(100.0, "10 pA", onset=0.01, offset=0.05, port=2)
    np.testing.assert_allclose(train.times, [0.01, 0.02, 0.03, 0.04])
    assert train.port == 2 and train.weight == "10 pA"
    p = poisson_spikes(1000.0, "1 pA", offset=1.0, seed=1)
    assert 900 < len(p.times) < 1100 and list(p.times) == sorted(p.times)
