"""The Potjans & Diesmann (2014) cortical microcircuit in NEST 3.x, as NEST's own PyNEST example had it.

Run in the peers environment::

    .venv-peers/bin/python benchmarks/peers/nest_microcircuit.py --scale 0.1 --threads 2 --seed 55

``scale`` multiplies the neuron numbers and the in-degrees alike (the example's ``N_scaling`` and
``K_scaling``); below 1 the weights grow by 1/sqrt(scale) and a DC input keeps each population's mean
input, from the full model's rates.  Connections: fixed_total_number per pair of populations, weights
normal (10 %) redrawn to keep their sign, delays normal (50 %) redrawn above half a step; Poisson
background of 8 Hz per external input.  The build (create, connect, ``nest.Prepare``) and the run of
``duration`` seconds are timed apart (also in processor time, all threads); one JSON record on
stdout with the rates of each population counted after ``skip`` seconds, the synapse count and the peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

os.environ.setdefault("PYNEST_QUIET", "1")

import nest
import numpy as np
from peer_common import json_stdout

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
FULL_SIZES = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
FULL_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])  # the example's, at full scale
CONN_PROBS = np.array([  # [target, source]
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_STD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
PSP_E, G, BG_RATE, DT_MS = 0.15, -4.0, 8.0, 0.1
# NEST stores at most this many connections per virtual process and synapse model; the full-scale model on
# two threads has more (about 300 million), so there excitatory and inhibitory sources get a copy each of
# static_synapse (smaller networks keep the one model, as the example has it)
CONNECTIONS_PER_MODEL_AND_VP = 134_217_726


def psc_per_psp() -> float:
    """The current (pA) of an exponential PSC whose PSP peaks at 1 mV."""
    sub = 1.0 / (TAU_SYN - TAU_M)
    pre = TAU_M * TAU_SYN / C_M * sub
    frac = (TAU_M / TAU_SYN) ** sub
    return 1.0 / (pre * (frac ** TAU_M - frac ** TAU_SYN))


def parameters(scale: float) -> dict:
    """Sizes, synapse numbers, mean weights (pA), external weight and DC (pA) at ``scale``."""
    prod = np.outer(FULL_SIZES, FULL_SIZES).astype(float)
    full_synapses = np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)
    psp = np.tile([PSP_E, PSP_E * G], (8, 4))
    psp[0, 2] *= 2.0  # L4E -> L23E
    w_full = psp * psc_per_psp()
    w_ext_full = PSP_E * psc_per_psp()
    indegree = full_synapses / FULL_SIZES[:, None]
    input_rec = np.sum(w_full * indegree * FULL_RATES, axis=1)
    dc = 0.001 * TAU_SYN * (1.0 - np.sqrt(scale)) * (input_rec + w_ext_full * K_EXT * BG_RATE)
    return {"sizes": np.round(FULL_SIZES * scale).astype(int),
            "synapses": np.round(full_synapses * scale * scale).astype(int),
            "weights": w_full / np.sqrt(scale), "w_ext": w_ext_full / np.sqrt(scale),
            "k_ext": np.round(K_EXT * scale).astype(int), "dc": dc}


def synapse_models(total: int) -> tuple[str, str]:
    """The synapse models of excitatory and inhibitory sources: static_synapse for both, or a copy for each
    where one model would hold more connections per virtual process than NEST can."""
    if total <= CONNECTIONS_PER_MODEL_AND_VP * nest.total_num_virtual_procs:
        return "static_synapse", "static_synapse"
    nest.CopyModel("static_synapse", "static_synapse_ex")
    nest.CopyModel("static_synapse", "static_synapse_in")
    return "static_synapse_ex", "static_synapse_in"


def build(scale: float) -> tuple[list, list]:
    p = parameters(scale)
    models = synapse_models(int(p["synapses"].sum()))
    pops, recorders = [], []
    for i in range(8):
        pop = nest.Create("iaf_psc_exp", p["sizes"][i], params={
            "C_m": C_M, "tau_m": TAU_M, "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN, "E_L": -65.0,
            "V_th": -50.0, "V_reset": -65.0, "t_ref": 2.0, "I_e": p["dc"][i]})
        pop.V_m = nest.random.normal(V0_MEAN[i], V0_STD[i])
        pops.append(pop)
        recorders.append(nest.Create("spike_recorder"))
        nest.Connect(pop, recorders[-1])
        noise = nest.Create("poisson_generator", params={"rate": BG_RATE * p["k_ext"][i]})
        nest.Connect(noise, pop, "all_to_all", {"weight": p["w_ext"], "delay": 1.5})
    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            w = p["weights"][i, j]
            mean_delay = 1.5 if j % 2 == 0 else 0.75
            syn = {"synapse_model": models[j % 2],
                   "weight": nest.math.redraw(nest.random.normal(mean=w, std=abs(0.1 * w)),
                                              min=0.0 if w > 0 else -np.inf, max=np.inf if w > 0 else 0.0),
                   "delay": nest.math.redraw(nest.random.normal(mean=mean_delay, std=0.5 * mean_delay),
                                             min=0.5 * DT_MS, max=np.inf)}
            nest.Connect(source, target, {"rule": "fixed_total_number", "N": int(p["synapses"][i, j])}, syn)
    return pops, recorders


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    ap.add_argument("--skip", type=float, default=0.2, help="seconds left out of the rates (start transient)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=55)
    args = ap.parse_args()
    out = json_stdout()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    nest.ResetKernel()
    nest.set(resolution=DT_MS, local_num_threads=args.threads, rng_seed=args.seed, print_time=False)
    t0, build_cpu = time.perf_counter(), time.process_time()
    pops, recorders = build(args.scale)
    nest.Prepare()
    build_cpu = time.process_time() - build_cpu
    t1, cpu = time.perf_counter(), time.process_time()
    nest.Run(args.duration * 1e3)
    t2, cpu = time.perf_counter(), time.process_time() - cpu
    nest.Cleanup()
    rates = {}
    for name, pop, rec in zip(POPULATIONS, pops, recorders):
        times = np.asarray(rec.get("events")["times"])
        rates[name] = float(np.count_nonzero(times > args.skip * 1e3) / (len(pop) * (args.duration - args.skip)))
    n_syn = nest.num_connections
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.write(json.dumps({
        "engine": "nest", "benchmark": "microcircuit", "scale": args.scale, "seed": args.seed,
        "threads": args.threads, "n_neurons": int(sum(len(p) for p in pops)), "n_synapses": int(n_syn),
        "build_s": t1 - t0, "build_cpu_s": build_cpu, "wall_s": t2 - t1, "cpu_s": cpu, "sim_s": args.duration,
        "rates_hz": rates,
        "peak_rss_bytes": peak, "bytes_per_synapse": (peak - rss_before) / max(n_syn, 1)}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
