"""Long analyses stop when asked and report their progress."""

import threading

import numpy as np
import pytest

from engine.analysis.common import Cancelled
from engine.analysis.fi_curve import fi_curve
from engine.analysis.precision import narrowest_format
from engine.models import get_model

LIF = get_model("iaf_psc_exp")


def test_a_set_cancel_event_stops_the_format_search():
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        narrowest_format(LIF, 1.0, duration=0.05, cancel=stop)


def test_a_set_cancel_event_stops_the_fi_curve():
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        fi_curve(LIF, np.linspace(0, 600, 5), duration=0.05, cancel=stop)


def test_the_fi_curve_reports_progress_up_to_completion():
    seen = []
    fi_curve(LIF, np.linspace(0, 600, 5), duration=0.05, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= p <= 1 for p in seen)
