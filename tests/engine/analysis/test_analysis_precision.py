"""Float64 against fixed point: overflow reports, spike matching, the narrowest format."""

import numpy as np
import pytest

from engine.analysis.precision import compare_precision, match_spikes, narrowest_format
from engine.analysis.stimulus import Constant, Step, regular_spikes
from engine.analysis.traces import trace
from engine.fixedpoint import QFormat
from engine.models import get_model

Q88 = QFormat.parse("Q8.8")


def test_q8_8_overlay_of_large_synaptic_currents_reports_the_overflow():
    # 400 pA spikes every 2 ms pile up in I_syn_ex (tau 2 ms) far beyond Q8.8's +-128.
    model = get_model("iaf_psc_exp")
    train = regular_spikes(500.0, "400 pA", offset=0.1)
    report = compare_precision(model, Q88, duration=0.15, spikes=(train,))
    assert report.overflows["I_syn_ex"] > 0 and "V_m" not in report.overflows
    assert report.ranges["I_syn_ex"][1] > 128.0
    assert report.clipped_inputs == {"weight 400 pA": 50}  # and each weight itself was cut to 127.996 pA
    assert report.fixed.values["I_syn_ex"].max() == pytest.approx(Q88.store_max / Q88.one)
    assert len(report.reference.spike_times) > 0 and len(report.spikes.missing) > 0


def test_large_step_current_is_reported_as_clipped_input():
    report = compare_precision(get_model("iaf_psc_exp"), Q88, duration=0.05,
                               stimuli=(Step(1000.0, onset=0.01),))
    assert report.clipped_inputs == {"current": 400}


def test_error_traces_and_spike_times_in_a_wide_format():
    model = get_model("fitzhugh_nagumo")
    fmt = QFormat.parse("Q4.20")
    report = compare_precision(model, fmt, duration=0.2, stimuli=(Constant(0.5),), window_ms=1.0)
    for name in ("v", "u"):
        np.testing.assert_array_equal(report.errors[name], report.fixed.values[name] - report.reference.values[name])
    assert report.max_errors["v"] < 0.05 and report.overflows == {} and report.clipped_inputs == {}
    assert report.spikes.within(0.2) and len(report.spikes.differences) == len(report.reference.spike_times) >= 3


def test_spike_matching_pairs_in_order_within_the_window():
    m = match_spikes(np.array([10.0, 20.0, 30.0, 40.0]), np.array([10.2, 19.5, 35.0, 40.1, 50.0]), 1.0)
    np.testing.assert_allclose(m.reference, [10.0, 20.0, 40.0])
    np.testing.assert_allclose(m.differences, [0.2, -0.5, 0.1])
    np.testing.assert_allclose(m.missing, [30.0])
    np.testing.assert_allclose(m.extra, [35.0, 50.0])
    assert m.max_difference == pytest.approx(0.5) and not m.within(1.0)
    assert match_spikes(np.array([1.0]), np.array([1.3]), 0.5).within(0.3)


def test_narrowest_format_keeps_spike_times_within_the_tolerance():
    model, stimuli = get_model("iaf_psc_exp"), (Constant(500.0),)
    found = narrowest_format(model, 0.5, duration=0.15, stimuli=stimuli)
    assert found.largest_value == 500.0 and found.integer_bits == 10  # 500 needs 9 bits and a sign
    assert found.fmt is not None and found.fmt.total - found.fmt.frac == 10
    assert [t.fmt.frac for t in found.trials] == list(range(len(found.trials)))
    assert not any(t.ok for t in found.trials[:-1]) and found.trials[-1].ok
    ref = trace(model, duration=0.15, stimuli=stimuli)
    assert compare_precision(model, found.fmt, duration=0.15, stimuli=stimuli, window_ms=0.5,
                             reference=ref).spikes.within(0.5)
    narrower = QFormat(found.fmt.total - 1, found.fmt.frac - 1, min(2 * found.fmt.total - 2, 32))
    assert not compare_precision(model, narrower, duration=0.15, stimuli=stimuli, window_ms=0.5,
                                 reference=ref).spikes.within(0.5)


def test_no_format_when_the_width_runs_out():
    found = narrowest_format(get_model("iaf_psc_exp"), 0.0, duration=0.1, stimuli=(Constant(500.0),), max_total=12)
    assert found.fmt is None and len(found.trials) == 3
