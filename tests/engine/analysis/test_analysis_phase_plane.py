"""Phase planes: FitzHugh-Nagumo nullclines against their formulas; marching squares."""

import numpy as np
import pytest

from engine.analysis.common import AnalysisError, checked
from engine.analysis.contour import zero_contour
from engine.analysis.phase_plane import derivatives, phase_plane
from engine.models import get_model

FHN = get_model("fitzhugh_nagumo")


def test_fitzhugh_nagumo_nullclines_are_the_cubic_and_the_line():
    # dv/dt = (v - v^3/3 - u + I + I_stim)/tau, du/dt = (v + a - b u)/tau_w with a = 0.8, b = 0.7 here.
    a, b, i_const, i_stim = 0.8, 0.7, 0.1, 0.4
    plane = phase_plane(FHN, "v", "u", x_range=(-2.5, 2.5), y_range=(-1.5, 2.5), resolution=101,
                        current=i_stim, duration=0.1, overrides={"a": str(a), "b": str(b), "I": str(i_const)})
    assert (plane.x_unit, plane.y_unit, plane.time_unit) == ("1", "1", "ms")
    v, u = plane.x_nullcline[..., 0], plane.x_nullcline[..., 1]
    cubic = v - v ** 3 / 3 + i_const + i_stim
    assert np.max(np.abs(u - cubic)) < 2e-3
    # The cubic is traced across the whole plotted range of v where it lies inside the u range.
    inside = np.linspace(-2.2, 2.2, 23)
    inside = inside[(inside - inside ** 3 / 3 + 0.5 > -1.5) & (inside - inside ** 3 / 3 + 0.5 < 2.5)]
    assert all(np.min(np.abs(v - x)) < 0.05 for x in inside)
    # Its extrema: a local minimum at v = -1 and a maximum at v = 1.
    near = lambda x: u.ravel()[np.argmin(np.abs(v.ravel() - x))]
    assert near(-1.0) == pytest.approx(-2 / 3 + 0.5, abs=2e-3) and near(1.0) == pytest.approx(2 / 3 + 0.5, abs=2e-3)
    v, u = plane.y_nullcline[..., 0], plane.y_nullcline[..., 1]
    np.testing.assert_allclose(u, (v + a) / b, atol=1e-9)
    assert v.min() < -1.8 and v.max() > 0.9  # the line spans u = -1.5 .. 2.5, i.e. v = -1.85 .. 0.95


def test_vector_field_is_the_right_hand_side():
    plane = phase_plane(FHN, "v", "u", x_range=(-2, 2), y_range=(-1, 2), resolution=5, duration=0.0,
                        current=0.5)
    V, U = np.meshgrid(plane.x, plane.y)
    np.testing.assert_allclose(plane.dx, (V - V ** 3 / 3 - U + 0.5) / 1.0, atol=1e-12)
    np.testing.assert_allclose(plane.dy, (V + 0.7 - 0.8 * U) / 12.5, atol=1e-12)
    assert len(plane.trajectory) == 0


def test_trajectory_settles_on_the_limit_cycle_and_sets_the_range():
    plane = phase_plane(FHN, "v", "u", current=0.5, duration=0.3, start={"v": 0.0, "u": 0.0})
    assert plane.trajectory.shape == (3000, 2) and len(plane.spike_times) >= 3
    assert plane.x[0] < plane.trajectory[:, 0].min() and plane.x[-1] > plane.trajectory[:, 0].max()
    assert plane.trajectory[0] == pytest.approx([0.5 * 1e-1, 0.0], abs=0.06)  # one step from (0, 0)
    assert plane.trajectory[-1000:, 0].max() > 1.5 and plane.trajectory[-1000:, 0].min() < -1.5


def test_other_states_are_held_for_the_field():
    model = checked(get_model("iaf_psc_exp"))
    d = derivatives(model, {"V_m": np.array([-70.0, -60.0]), "I_syn_ex": 250.0})
    # dV/dt = -(V - E_L)/tau_m + I/C_m, per ms; I_syn_in held at its initial 0.
    np.testing.assert_allclose(d["V_m"], [1.0, 0.0])
    np.testing.assert_allclose(d["I_syn_ex"], [-125.0, -125.0])
    plane = phase_plane(get_model("iaf_psc_exp"), "V_m", "I_syn_ex", held={"I_syn_in": -100.0},
                        x_range=(-80, -50), y_range=(0, 500), resolution=7, duration=0.0)
    assert plane.held == {"I_syn_in": -100.0}
    np.testing.assert_allclose(plane.dx[0, 0], -(-80 + 70) / 10 + (0 - 100) / 250)


def test_bad_variables_are_refused():
    with pytest.raises(AnalysisError, match=r"^`w` is not a state variable \(choose from v, u\)$"):
        phase_plane(FHN, "v", "w")
    with pytest.raises(AnalysisError, match=r"^a phase plane needs two different state variables$"):
        phase_plane(FHN, "v", "v")


def test_marching_squares_on_a_circle_and_a_saddle():
    x, y = np.linspace(-2, 2, 41), np.linspace(-2, 2, 31)
    X, Y = np.meshgrid(x, y)
    circle = zero_contour(x, y, X ** 2 + Y ** 2 - 0.9)  # no grid point on the curve
    r = np.hypot(circle[..., 0], circle[..., 1])
    assert np.all(np.abs(r - np.sqrt(0.9)) < 0.01)
    # Segments join up: every end point is shared by exactly two segments (a closed curve).
    ends = np.round(circle.reshape(-1, 2), 9)
    _, counts = np.unique(ends, axis=0, return_counts=True)
    assert np.all(counts == 2)
    saddle = zero_contour(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([[1.0, -1.0], [-1.0, 3.0]]))
    assert saddle.shape == (2, 2, 2)
    # The centre (mean 0.5) is positive like corners a and c: the contour cuts off b and d.
    np.testing.assert_allclose(sorted(map(tuple, saddle.reshape(-1, 2))), [(0.0, 0.5), (0.25, 1.0),
                                                                            (0.5, 0.0), (1.0, 0.25)])
