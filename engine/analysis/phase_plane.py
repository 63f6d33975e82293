"""Phase plane of two state variables: vector field, nullclines and a trajectory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.analysis.common import AnalysisError, Model, checked
from engine.analysis.contour import zero_contour
from engine.analysis.stimulus import Constant
from engine.analysis.traces import trace
from engine.equations import expr as E
from engine.equations.ir import noise_in
from engine.equations.model import CheckedModel
from engine.equations.units import SECOND


@dataclass(frozen=True)
class PhasePlane:
    """The plane of ``x_name`` (``x_unit``) and ``y_name`` (``y_unit``).

    ``dx[j, i]``, ``dy[j, i]`` are the time derivatives at ``(x[i], y[j])`` in
    unit per ``time_unit``, the other state variables held at ``held``;
    ``x_nullcline``/``y_nullcline`` are segments ``(m, 2, 2)`` where ``dx``/``dy``
    is zero; ``trajectory`` is ``(steps, 2)`` of a free run at times
    ``trajectory_t`` (ms), all variables evolving, with spikes at
    ``spike_times`` (ms).
    """

    x_name: str
    y_name: str
    x_unit: str
    y_unit: str
    time_unit: str
    x: np.ndarray
    y: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    x_nullcline: np.ndarray
    y_nullcline: np.ndarray
    held: Mapping[str, float]
    trajectory: np.ndarray
    trajectory_t: np.ndarray
    spike_times: np.ndarray


def derivatives(model: CheckedModel, states: Mapping[str, np.ndarray | float], *, current: float = 0.0,
                dt: float = 1e-4) -> dict[str, np.ndarray]:
    """Every state's right-hand side evaluated at ``states`` (arrays of one shape; missing states: initial values).

    Values are in the model's units (state unit per unit of time); the
    neuron counts as not refractory, noise ``xi`` as zero, and ``current`` is
    the value of the current input.
    """
    shape = np.broadcast_shapes(*(np.shape(v) for v in states.values())) if states else ()
    n = int(np.prod(shape))
    env: dict[str, np.ndarray | float] = {k: p.value for k, p in model.parameters.items()}
    env.update({"t": 0.0, "dt": model.system.to_system(dt, SECOND), "i": 0.0, "N": 1.0, "lastspike": -1e9,
                "not_refractory": 1.0})
    env.update({n: 0.0 for s in model.states.values() for n in noise_in(s.rhs)})
    if model.spec.current_input:
        env[model.spec.current_input] = current
    env.update(model.initial)
    env.update({k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).ravel() for k, v in states.items()})
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        return {name: E.evaluate_array(s.rhs, env, n, rng).reshape(shape) for name, s in model.states.items()}


def phase_plane(model: Model, x: str, y: str, *, x_range: tuple[float, float] | None = None,
                y_range: tuple[float, float] | None = None, resolution: int = 41,
                held: Mapping[str, float] | None = None, start: Mapping[str, float] | None = None,
                current: float = 0.0, duration: float = 0.2, dt: float = 1e-4,
                overrides: Mapping[str, str] | None = None) -> PhasePlane:
    """The phase plane of state variables ``x`` and ``y`` of ``model``.

    Parameters
    ----------
    x_range, y_range
        Plotted ranges (model units); by default the range of the trajectory
        widened by 20 % (or the initial value +- 1 without a trajectory).
    resolution
        Grid points per axis for the vector field and the nullclines.
    held
        Values (model units) of the other state variables for the field and
        nullclines, and the trajectory's start; default: initial values.
    start
        Start of the trajectory for ``x`` and ``y`` (default: initial values).
    current
        Constant injected current (model current unit) for field and trajectory.
    duration
        Seconds of trajectory (0: none).
    """
    cm = checked(model, overrides)
    for name in (x, y):
        if name not in cm.states:
            raise AnalysisError(f"`{name}` is not a state variable (choose from {', '.join(cm.states)})")
    if x == y:
        raise AnalysisError("a phase plane needs two different state variables")
    held_values = {k: float(v) for k, v in cm.initial.items() if k not in (x, y)}
    held_values.update({k: float(v) for k, v in (held or {}).items() if k not in (x, y)})
    traj, traj_t, spikes = np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    if duration > 0:
        run = trace(model, duration=duration, dt=dt, stimuli=(Constant(current),) if current else (),
                    overrides=overrides, initial={**(held or {}), **(start or {})})
        traj = np.stack([run.values[x], run.values[y]], axis=1)
        traj_t, spikes = run.t, run.spike_times
    xs = np.linspace(*(x_range or _auto_range(traj[:, 0], cm.initial[x])), resolution)
    ys = np.linspace(*(y_range or _auto_range(traj[:, 1], cm.initial[y])), resolution)
    X, Y = np.meshgrid(xs, ys)
    d = derivatives(cm, {**held_values, x: X, y: Y}, current=current, dt=dt)
    t_unit = cm.system.unit_name(SECOND)
    return PhasePlane(x, y, cm.display_unit(x), cm.display_unit(y), t_unit, xs, ys, d[x], d[y],
                      zero_contour(xs, ys, d[x]), zero_contour(xs, ys, d[y]), held_values, traj, traj_t, spikes)


def _auto_range(values: np.ndarray, initial: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return initial - 1.0, initial + 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.2 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad
