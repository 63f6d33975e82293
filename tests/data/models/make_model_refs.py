"""Reference traces of the classic library models, from hand-written right-hand sides.

Independent of the engine: each model's equations are written out again below
in plain NumPy (ms, mV, nA, Mohm, pF, nS, pA) and integrated with
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10) under a constant input.

Threshold-and-reset models follow clock-driven timing, as the engine does: a
crossing of the cut-off at t* inside step (k dt, (k+1) dt] of the engine's step
``dt`` resets v at (k+1) dt, v is held there for t_ref, then integration resumes.
Models without a reset record upward crossings of ``v_th``.

Run from the repository root (overwrites tests/data/models/<name>.npz, ~10 s)::

    .venv/bin/python tests/data/models/make_model_refs.py
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
from scipy.integrate import solve_ivp

OUT = os.path.dirname(os.path.abspath(__file__))
GRID = 0.1  # ms, sample spacing of the stored traces
RTOL, ATOL = 1e-10, 1e-12


def lif(p):
    return lambda t, y: [(p["v_rest"] - y[0] + p["R"] * p["I"]) / p["tau"]]


def quadratic_if(p):
    return lambda t, y: [((y[0] - p["v_rest"]) * (y[0] - p["v_c"]) / (p["v_c"] - p["v_rest"])
                          + p["R"] * p["I"]) / p["tau"]]


def exponential_if(p):
    return lambda t, y: [(p["v_rest"] - y[0] + p["delta_t"] * math.exp((y[0] - p["v_t"]) / p["delta_t"])
                          + p["R"] * p["I"]) / p["tau"]]


def fitzhugh_nagumo(p):
    def f(t, y):
        v, u = y
        return [v - v ** 3 / 3 - u + p["I"], (v + p["a"] - p["b"] * u) / p["tau_w"]]
    return f


def morris_lecar(p):
    def f(t, y):
        v, n = y
        m_inf = 0.5 * (1 + math.tanh((v - p["v1"]) / p["v2"]))
        n_inf = 0.5 * (1 + math.tanh((v - p["v3"]) / p["v4"]))
        rate = p["phi"] * math.cosh((v - p["v3"]) / (2 * p["v4"]))
        i_ion = p["g_L"] * (v - p["E_L"]) + p["g_Ca"] * m_inf * (v - p["E_Ca"]) + p["g_K"] * n * (v - p["E_K"])
        return [(p["I"] - i_ion) / p["C"], rate * (n_inf - n)]
    return f


def hindmarsh_rose(p):
    def f(t, y):
        x, yy, z = y
        return [yy - p["a"] * x ** 3 + p["b"] * x ** 2 - z + p["I"],
                p["c"] - p["d"] * x ** 2 - yy,
                p["r"] * (p["s"] * (x - p["x_R"]) - z)]
    return f


# name: (rhs factory, numeric parameters, initial state, state names, engine overrides, engine dt, duration, spec)
CASES = {
    "lif": (lif, dict(v_rest=-70.0, v_th=-50.0, v_reset=-70.0, tau=10.0, R=10.0, t_ref=2.0, I=2.5),
            [-70.0], ["v"], {"I": "2.5 nA"}, 0.1, 200.0, dict(cut="v_th", reset="v_reset")),
    "quadratic_if": (quadratic_if, dict(v_rest=-65.0, v_c=-50.0, v_peak=0.0, v_reset=-70.0, tau=10.0, R=10.0,
                                        t_ref=2.0, I=1.0),
                     [-65.0], ["v"], {"I": "1 nA"}, 0.01, 200.0, dict(cut="v_peak", reset="v_reset")),
    "exponential_if": (exponential_if, dict(v_rest=-65.0, v_t=-50.0, delta_t=2.0, v_peak=-40.0, v_reset=-70.0,
                                            tau=10.0, R=10.0, t_ref=2.0, I=2.0),
                       [-65.0], ["v"], {"I": "2 nA"}, 0.01, 200.0, dict(cut="v_peak", reset="v_reset")),
    "fitzhugh_nagumo": (fitzhugh_nagumo, dict(a=0.7, b=0.8, tau_w=12.5, I=0.5, v_th=1.0),
                        [-1.2, -0.625], ["v", "u"], {"I": "0.5"}, 0.01, 200.0, dict(cut="v_th")),
    "morris_lecar": (morris_lecar, dict(C=20.0, g_L=2.0, g_Ca=4.4, g_K=8.0, E_L=-60.0, E_Ca=120.0, E_K=-84.0,
                                        v1=-1.2, v2=18.0, v3=2.0, v4=30.0, phi=0.04, I=100.0, v_th=0.0),
                     None, ["v", "n"], {"I": "100 pA"}, 0.05, 300.0, dict(cut="v_th")),
    "hindmarsh_rose": (hindmarsh_rose, dict(a=1.0, b=3.0, c=1.0, d=5.0, r=0.006, s=4.0, x_R=-1.6, I=2.0,
                                            x_th=1.0),
                       [-1.6, 1.0 - 5.0 * 1.6 ** 2, 0.0], ["x", "y", "z"], {"I": "2"}, 0.01, 300.0,
                       dict(cut="x_th")),
}


def _crossing(level: float):
    def event(t, y):
        return y[0] - level
    event.direction = 1.0
    return event


def reference(name: str) -> dict:
    """Sampled trajectory and crossing times of one case."""
    factory, p, y0, names, overrides, dt, duration, spec = CASES[name]
    if y0 is None:  # Morris-Lecar starts at E_L with its gate at steady state
        y0 = [p["E_L"], 0.5 * (1 + math.tanh((p["E_L"] - p["v3"]) / p["v4"]))]
    rhs = factory(p)
    grid = np.round(np.arange(1, int(round(duration / GRID)) + 1) * GRID, 10)
    samples = np.full((len(grid), len(names)), np.nan)
    level = p[spec["cut"]]
    crossings: list[float] = []
    if "reset" not in spec:
        sol = solve_ivp(rhs, (0.0, duration), y0, method="DOP853", rtol=RTOL, atol=ATOL, t_eval=grid,
                        events=_crossing(level))
        samples[:] = sol.y.T
        crossings = list(sol.t_events[0])
    else:
        event = _crossing(level)
        event.terminal = True
        t0, y = 0.0, list(y0)
        while t0 < duration:
            sol = solve_ivp(rhs, (t0, duration), y, method="DOP853", rtol=RTOL, atol=ATOL, dense_output=True,
                            events=event)
            t_end = sol.t_events[0][0] if sol.t_events[0].size else duration
            free = (grid > t0 + 1e-9) & (grid <= t_end + 1e-9)
            if sol.t_events[0].size:
                free &= grid < t_end
            samples[free] = sol.sol(grid[free]).T
            if not sol.t_events[0].size:
                break
            crossings.append(t_end)
            t_reset = math.ceil(t_end / dt - 1e-9) * dt
            t0 = t_reset + p["t_ref"]
            held = (grid >= t_reset - 1e-9) & (grid <= t0 + 1e-9)
            samples[held] = p[spec["reset"]]
            y = [p[spec["reset"]]]
    assert not np.isnan(samples).any(), name
    meta = dict(model=name, overrides=overrides, dt_ms=dt, duration_ms=duration, grid_ms=GRID,
                reset="reset" in spec, t_ref_ms=p.get("t_ref", 0.0), params=p, solver="DOP853",
                rtol=RTOL, atol=ATOL)
    out = {"t": grid, "spike_times": np.array(crossings), "meta": np.array(json.dumps(meta))}
    out.update({n: samples[:, i] for i, n in enumerate(names)})
    return out


def main() -> None:
    for name in CASES:
        data = reference(name)
        path = os.path.join(OUT, f"{name}.npz")
        np.savez_compressed(path, **data)
        st = data["spike_times"]
        print(f"{name:16s} {len(st):3d} spikes, first {np.round(st[:4], 3).tolist()}  {os.path.getsize(path) // 1024} kB")


if __name__ == "__main__":
    main()
