"""Equation-engine speed: population step cost and equation-to-trace latency.

Run: ``.venv/bin/python benchmarks/engine_speed.py [--json]``.

* ``population``: 4000 ``iaf_psc_exp`` neurons without synapses under a constant
  current, float64, one core: nanoseconds per neuron per step, for the fused
  linear kernel and for the general VM.
* ``cuba_loop``: the step loop of the CUBA example (4000 neurons, 320,000
  synapses, 1 s simulated per repeat, one thread): its processor time per
  simulated second (median of repeats; the devices' time around it is not
  counted).
* ``edit_to_trace``: a changed equation string (a new time constant each time)
  to 1 s of single-neuron trace at dt = 0.1 ms: parse, check, build the IR,
  compile and run (median of repeats).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from engine.equations.model import ModelSpec
from engine.models import get_model
from engine.population_vm import PopulationVM
from engine.run.neuron import prepare, simulate_neuron
from engine.run.simulation import Simulation
from studio.project.project_file import load_network

DT = 1e-4


def population_ns_per_neuron_step(fused: bool, n: int = 4000, steps: int = 10_000, repeats: int = 5) -> float:
    ir = prepare(get_model("iaf_psc_exp"), DT, {"I_e": "376 pA"})[2]
    best = float("inf")
    for _ in range(repeats):
        pop = PopulationVM(ir, n, fused=fused)
        start = time.perf_counter()
        pop.run(steps)
        best = min(best, time.perf_counter() - start)
    return best / (n * steps) * 1e9


def cuba_loop_cpu_s(repeats: int = 5) -> float:
    _, network = load_network(Path(__file__).resolve().parent.parent / "resources" / "examples" / "cuba.ncsproj")
    sim = Simulation(network)
    return statistics.median(sim.run(1.0).cpu_s for _ in range(repeats))


def edit_to_trace_ms(repeats: int = 40) -> float:
    times = []
    for k in range(repeats):
        spec = ModelSpec(
            equations=f"dv/dt = (v_rest - v + R*I)/({10.0 + 0.1 * k}*ms) : volt (unless refractory)\n"
                      "v_rest : volt\nR : ohm\nI : amp\nv_th : volt\nv_reset : volt",
            threshold="v > v_th", reset="v = v_reset", refractory="2 ms",
            parameters={"v_rest": "-65 mV", "R": "100 Mohm", "I": "200 pA", "v_th": "-50 mV",
                        "v_reset": "-65 mV"},
            initial={"v": "v_rest"},
        )
        start = time.perf_counter()
        simulate_neuron(spec, duration=1.0, dt=DT)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {
        "population_fused_ns_per_neuron_step": population_ns_per_neuron_step(True),
        "population_vm_ns_per_neuron_step": population_ns_per_neuron_step(False),
        "cuba_loop_cpu_s_per_sim_s": cuba_loop_cpu_s(),
        "edit_to_trace_ms_median": edit_to_trace_ms(),
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:40s} {value:8.3f}")


if __name__ == "__main__":
    main()
