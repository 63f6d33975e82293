"""Playground speed without drawing: equation edit to trace, and f-I curves.

Run: ``.venv/bin/python benchmarks/playground_speed.py [--repeats N]``; prints JSON.

* ``keystroke_to_trace_ms``: a changed equation string (a new constant in the
  right-hand side at every repeat, so nothing is cached) to 1 s of
  single-neuron trace at dt = 0.1 ms under a step current, through
  :func:`engine.analysis.traces.trace`: parse, check, build the IR, compile,
  run, record every state.  A LIF (exact integration, the fused kernel) and an
  Izhikevich neuron (Euler, the general VM).
* ``fi_curve_ms``: :func:`engine.analysis.fi_curve.fi_curve` of 50 currents x 1 s
  at dt = 0.1 ms, rheobase refinement included, for library models.

Medians (and minima) over repeats; the issue's targets are 50 ms (with drawing)
and 1 s.  The machine's load average is printed alongside: on a shared machine
the numbers are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from engine.analysis.fi_curve import fi_curve
from engine.analysis.stimulus import Step
from engine.analysis.traces import trace
from engine.equations.model import ModelSpec
from engine.models import get_model

DT = 1e-4

EDITED = {
    "lif": lambda k: ModelSpec(
        equations=f"dv/dt = (v_rest - v + R*(I + I_stim))/({10.0 + 0.01 * k}*ms) : volt (unless refractory)\n"
                  "v_rest : volt\nR : ohm\nI : amp\nI_stim : amp\nv_th : volt\nv_reset : volt",
        threshold="v > v_th", reset="v = v_reset", refractory="2 ms", method="exact",
        parameters={"v_rest": "-70 mV", "R": "10 Mohm", "I": "0 nA", "v_th": "-50 mV", "v_reset": "-70 mV"},
        initial={"v": "v_rest"}, current_input="I_stim"),
    "izhikevich": lambda k: ModelSpec(
        equations=f"dv/dt = (0.04/mV*v**2 + 5*v + 140*mV - u + I_stim*Mohm)/ms : volt\n"
                  f"du/dt = {0.02 + 1e-5 * k}*(0.2*v - u)/ms : volt\nI_stim : amp",
        threshold="v >= 30*mV", reset="v = -65*mV\nu += 8*mV", method="euler",
        initial={"v": "-70 mV", "u": "-14 mV"}, current_input="I_stim"),
}
FI_MODELS = {"lif": (0.0, 6000.0), "iaf_psc_exp": (0.0, 1000.0), "izhikevich": (0.0, 30.0)}


def keystroke_to_trace(kind: str, repeats: int) -> list[float]:
    times = []
    for k in range(repeats):
        spec = EDITED[kind](k)
        start = time.perf_counter()
        trace(spec, duration=1.0, dt=DT, stimuli=(Step(2500.0 if kind == "lif" else 10e3, onset=0.1),))
        times.append(time.perf_counter() - start)
    return times


def fi_times(name: str, repeats: int) -> list[float]:
    lo, hi = FI_MODELS[name]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fi_curve(get_model(name), np.linspace(lo, hi, 50), duration=1.0, dt=DT)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(times) * 1e3, 2), "min": round(min(times) * 1e3, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    results = {
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "keystroke_to_trace_ms": {kind: summary(keystroke_to_trace(kind, args.repeats)) for kind in EDITED},
        "fi_curve_50x1s_ms": {name: summary(fi_times(name, max(3, args.repeats // 4))) for name in FI_MODELS},
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
