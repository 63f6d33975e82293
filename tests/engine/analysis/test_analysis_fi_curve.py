"""f-I curves against the analytic LIF rate; rheobase."""

import numpy as np
import pytest

from engine.analysis.common import AnalysisError
from engine.analysis.fi_curve import fi_curve
from engine.models import get_model

DT = 1e-4


def lif_period(current, r, tau, t_ref, e_l, v_th, v_reset):
    """Analytic ISI (ms) of a LIF held at v_reset for t_ref after a spike (times in ms, mV, pA, GOhm)."""
    ri = r * current
    return t_ref + tau * np.log((ri + e_l - v_reset) / (ri + e_l - v_th))


@pytest.mark.parametrize("name, r, tau, t_ref, e_l, v_th, v_reset", [
    # lif: dv/dt = (v_rest - v + R I)/tau, fires when v > v_th, held at v_reset for t_ref.
    ("lif", 0.01, 10.0, 2.0, -70.0, -50.0, -70.0),
    # iaf_psc_exp: R = tau_m/C_m = 10 ms/250 pF; fires when V_m >= V_th, held at V_reset for t_ref.
    ("iaf_psc_exp", 10.0 / 250.0, 10.0, 2.0, -70.0, -55.0, -70.0),
])
def test_lif_rates_match_the_analytic_formula(name, r, tau, t_ref, e_l, v_th, v_reset):
    rheobase = (v_th - e_l) / r
    currents = np.linspace(0.0, 3.0 * rheobase, 16)
    curve = fi_curve(get_model(name), currents, duration=0.3, tolerance=0.01 * rheobase)
    assert curve.current_unit == "pA"
    above = currents > rheobase * 1.02
    assert np.all(curve.rates[currents <= rheobase] == 0)
    period = lif_period(currents[above], r, tau, t_ref, e_l, v_th, v_reset)
    # Threshold is tested at the end of each step, so an ISI is the analytic one rounded up to the grid.
    lag = 1e3 / curve.steady_rates[above] - period
    assert np.all(lag > -1e-6) and np.all(lag <= DT * 1e3 + 1e-6)
    # Over the run, every spike but the first follows after one period.
    counts = np.round(curve.rates[above] * 0.3)
    assert np.all(np.abs(counts - np.floor(300.0 / (period + DT * 1e3))) <= 1)
    # The analytic rheobase (no firing at or below it, in any time).
    lo, hi = curve.rheobase_bracket
    assert lo <= rheobase + 1e-9 <= hi + 1e-6 and hi - lo <= 0.01 * rheobase
    assert curve.rheobase == hi


def test_fi_curve_of_fifty_currents_runs_as_one_population():
    curve = fi_curve(get_model("lif"), np.linspace(0, 6000, 50), duration=0.2)
    assert curve.currents.shape == curve.rates.shape == curve.steady_rates.shape == (50,)
    assert np.all(np.diff(curve.rates) >= 0)


def test_no_current_fires_gives_no_rheobase():
    curve = fi_curve(get_model("lif"), [0.0, 100.0], duration=0.05)
    assert np.isnan(curve.rheobase) and np.all(curve.rates == 0)


def test_the_lowest_current_firing_leaves_the_bracket_open():
    curve = fi_curve(get_model("lif"), [3000.0, 4000.0], duration=0.05)
    assert curve.rheobase == 3000.0 and np.isnan(curve.rheobase_bracket[0])


def test_empty_currents_are_refused():
    with pytest.raises(AnalysisError, match=r"^an f-I curve needs at least one current$"):
        fi_curve(get_model("lif"), [], duration=0.05)
