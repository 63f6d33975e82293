"""One-click characterisation and the frequency response, checked against what theory and the presets say."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from engine.analysis.characterise import PATTERNS, characterise, classify
from engine.analysis.common import Cancelled
from engine.analysis.fi_curve import fi_curve
from engine.analysis.frequency_response import frequency_response, rate_modulation
from engine.models import LIBRARY

NAN = float("nan")
TONIC = {"spikes": 20.0, "rate_hz": 22.0, "latency_ms": 8.0, "isi_mean_ms": 45.0, "isi_cv": 0.02,
         "adaptation_index": 0.0, "isi_ratio": 1.0, "burst_gap": 1.1, "burst_short_fraction": 0.5}


@pytest.mark.parametrize("changes, pattern", [
    ({}, "tonic"),
    ({"spikes": 0.0}, "silent"),
    ({"spikes": 1.0}, "phasic"),
    ({"latency_ms": 300.0}, "delayed"),
    ({"burst_gap": 8.0, "burst_short_fraction": 0.7}, "bursting"),
    ({"rate_hz": 180.0}, "fast-spiking"),
    ({"adaptation_index": 0.2}, "adapting"),
    ({"isi_ratio": 3.0}, "adapting"),
    ({"isi_cv": 0.6}, "irregular"),
])
def test_the_decision_table_names_each_pattern_with_the_features_that_decided_it(changes, pattern):
    found, reasons = classify({**TONIC, **changes})
    assert found == pattern and found in PATTERNS and reasons
    assert all(isinstance(r, str) and r for r in reasons)


def test_a_bursting_feature_set_with_long_intervals_only_is_not_bursting():
    assert classify({**TONIC, "burst_gap": 8.0, "burst_short_fraction": 0.95})[0] != "bursting"


def test_the_lif_rheobase_and_f_i_curve_follow_the_analytic_solution():
    found = characterise(LIBRARY["iaf_psc_exp"])
    # NEST's defaults: C_m 250 pF, tau_m 10 ms, E_L -70 mV, V_th -55 mV, t_ref 2 ms.
    assert found.rheobase == pytest.approx(250 * 15 / 10, abs=1.0)
    r, theta, tau, t_ref = 40e6, 15e-3, 10e-3, 2e-3
    current = found.fi_currents[1:] * 1e-12
    analytic = 1 / (t_ref + tau * np.log(r * current / (r * current - theta)))
    # On a 0.1 ms grid each interval ends up to one step late; a rate counts whole spikes.
    assert np.all(found.fi_rates[1:] <= analytic + 1)
    assert np.all(found.fi_rates[1:] >= 1 / (1 / analytic + 1e-4) - 1)
    assert found.max_rate == pytest.approx(analytic.max(), rel=0.05)
    assert found.pattern == "fast-spiking" and found.isi_cv < 0.01
    assert set(found.state_ranges) == {"V_m", "I_syn_ex", "I_syn_in"}
    assert found.state_ranges["V_m"][1] <= -55.0 and found.state_ranges["V_m"][2] == "mV"
    names = [name for name, _ in found.sensitive]
    assert len(names) == 5 and names[0] == "V_th"


@pytest.mark.parametrize("preset, pattern", [
    ({"c": "-50 mV", "d": "2 mV"}, "bursting"),  # Izhikevich's chattering cell
    ({"a": "0.1", "d": "2 mV"}, "fast-spiking"),  # Izhikevich's fast-spiking interneuron
])
def test_izhikevich_presets_are_recognised(preset, pattern):
    assert characterise(LIBRARY["izhikevich"], overrides=preset).pattern == pattern


def test_adex_adapts_and_an_unreachable_threshold_is_silent():
    adex = characterise(LIBRARY["aeif_cond_exp"])
    assert adex.pattern == "adapting" and adex.features["isi_ratio"] >= 2
    silent = characterise(LIBRARY["iaf_psc_exp"], overrides={"V_th": "100000 mV"})
    assert silent.pattern == "silent" and math.isnan(silent.rheobase)
    assert silent.as_dict()["rheobase"] is None


def test_rate_modulation_recovers_a_known_sinusoidal_rate():
    rng = np.random.default_rng(0)
    t = np.arange(0.0, 200.0, 1e-4)
    rate = 20 + 10 * np.sin(2 * np.pi * 5 * t + np.radians(30))
    spikes = t[rng.random(len(t)) < rate * 1e-4] * 1e3
    mean, amplitude, phase = rate_modulation(spikes, 5.0, 0.0, 200e3)
    assert mean == pytest.approx(20, rel=0.02)
    assert amplitude == pytest.approx(10, rel=0.1) and phase == pytest.approx(30, abs=6)


def test_the_slow_frequency_gain_of_a_lif_is_the_slope_of_its_f_i_curve():
    lif = LIBRARY["iaf_psc_exp"]
    response = frequency_response(lif, [0.5, 20.0], mean=600.0, amplitude=20.0, min_duration=8.0)
    slope = np.diff(fi_curve(lif, [580.0, 620.0], duration=8.0).rates)[0] / 40.0
    assert response.gain[0] == pytest.approx(slope, rel=0.15)
    assert response.mean_rate[0] == pytest.approx(fi_curve(lif, [600.0], duration=8.0).rates[0], rel=0.02)
    assert abs(response.phase[0]) < 10 and response.current_unit == "pA"


def test_a_frequency_sweep_is_cancellable_and_reports_progress():
    cancel, seen = threading.Event(), []

    def progress(fraction):
        seen.append(fraction)
        cancel.set()

    with pytest.raises(Cancelled):
        frequency_response(LIBRARY["iaf_psc_exp"], [1.0, 2.0, 5.0], mean=600.0, amplitude=50.0,
                           cancel=cancel, progress=progress)
    assert seen == [pytest.approx(1 / 3)]
