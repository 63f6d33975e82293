"""CUBA, COBA and Brunel (2000) in NEST 3.x, one thread (or ``--threads N``), resolution 0.1 ms.

Run in the peers environment (``make peers``)::

    .venv-peers/bin/python benchmarks/peers/nest_bench.py cuba --duration 1 --repeat 3

Each run resets the kernel, builds the network (``build_s`` includes
``nest.Prepare``, where NEST finishes its connection tables) and times
``nest.Run`` alone (``wall_s``).  One JSON record per run on stdout.

CUBA's synapses in Brian2 are exponentially decaying voltage kicks added to
dv/dt as ge/taum; ``iaf_psc_exp`` gives the same membrane equation when
I_syn/C_m = ge/taum, so a kick of w mV is a current jump of w*C_m/taum pA.
COBA's conductances are in units of the leak (g_L = 10 nS), and so is its
constant drive I = 20 mV (I_e = I*g_L = 200 pA).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("PYNEST_QUIET", "1")  # NEST prints its banner on stdout when imported

import nest
from peer_common import BRUNEL, brunel_poisson_rate_hz, emit, json_stdout, parser

DT_MS = 0.1


def cuba() -> dict:
    c_m, tau_m = 250.0, 20.0
    pop = nest.Create("iaf_psc_exp", 4000, params={
        "C_m": c_m, "tau_m": tau_m, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0,
        "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0})
    pop.V_m = nest.random.uniform(-60.0, -50.0)
    e, i = pop[:3200], pop[3200:]
    rule = {"rule": "pairwise_bernoulli", "p": 0.02}
    nest.Connect(e, pop, rule, {"weight": 1.62 * c_m / tau_m, "delay": DT_MS})
    nest.Connect(i, pop, rule, {"weight": -9.0 * c_m / tau_m, "delay": DT_MS})
    return {"E": e, "I": i}


def coba() -> dict:
    g_l = 10.0
    pop = nest.Create("iaf_cond_exp", 4000, params={
        "C_m": 200.0, "g_L": g_l, "E_L": -60.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0,
        "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 20.0 * g_l})
    pop.V_m = nest.random.uniform(-60.0, -50.0)
    e, i = pop[:3200], pop[3200:]
    rule = {"rule": "pairwise_bernoulli", "p": 0.02}
    nest.Connect(e, pop, rule, {"weight": 6.0, "delay": DT_MS})
    nest.Connect(i, pop, rule, {"weight": -67.0, "delay": DT_MS})
    return {"E": e, "I": i}


def brunel() -> dict:
    b = BRUNEL
    pop = nest.Create("iaf_psc_delta", b["N_E"] + b["N_I"], params={
        "C_m": 1.0, "tau_m": b["tau_m"], "t_ref": b["t_ref"], "E_L": b["E_L"], "V_reset": b["V_reset"],
        "V_m": b["E_L"], "V_th": b["V_th"]})
    e, i = pop[:b["N_E"]], pop[b["N_E"]:]
    noise = nest.Create("poisson_generator", params={"rate": brunel_poisson_rate_hz() * b["C_E"]})
    nest.Connect(noise, pop, syn_spec={"weight": b["J"], "delay": b["delay"]})
    nest.Connect(e, pop, {"rule": "fixed_indegree", "indegree": b["C_E"]},
                 {"weight": b["J"], "delay": b["delay"]})
    nest.Connect(i, pop, {"rule": "fixed_indegree", "indegree": b["C_I"]},
                 {"weight": -b["g"] * b["J"], "delay": b["delay"]})
    return {"E": e, "I": i}


NETWORKS = {"cuba": cuba, "coba": coba, "brunel": brunel}


def run_once(name: str, duration_s: float, seed: int, threads: int = 1) -> dict:
    nest.ResetKernel()
    nest.set(resolution=DT_MS, local_num_threads=threads, rng_seed=seed, print_time=False)
    start = time.perf_counter()
    pops = NETWORKS[name]()
    recorders = {}
    for pop_name, pop in pops.items():
        recorders[pop_name] = nest.Create("spike_recorder")
        nest.Connect(pop, recorders[pop_name])
    nest.Prepare()
    built = time.perf_counter()
    nest.Run(duration_s * 1e3)
    wall = time.perf_counter() - built
    nest.Cleanup()
    return {"wall_s": wall, "build_s": built - start,
            "spikes": {p: int(r.n_events) for p, r in recorders.items()},
            "sizes": {p: len(pop) for p, pop in pops.items()}}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="NEST's local_num_threads")
    args = p.parse_args()
    out = json_stdout()
    nest.verbosity = nest.VerbosityLevel.ERROR
    for _ in range(args.repeat):
        r = run_once(args.benchmark, args.duration, args.seed, args.threads)
        emit(out, "nest", args.benchmark, args.duration, r["wall_s"], r["build_s"], r["spikes"], r["sizes"])


if __name__ == "__main__":
    main()
