"""CUBA, COBA and Brunel (2000) in Brian2, cython runtime or cpp_standalone, dt 0.1 ms.

Run in the peers environment (``make peers``)::

    .venv-peers/bin/python benchmarks/peers/brian2_bench.py cuba --mode cpp_standalone --repeat 3

One JSON record per run on stdout.  Times, the same meaning in both modes:

* ``wall_s``: the simulation loop alone (``device._last_run_time``: Brian2's
  ``Network.run`` loop in cython mode, the loop inside the generated ``main``
  in cpp_standalone mode);
* ``build_s``: network construction (cython: creating groups and synapses in
  Python; cpp_standalone: the binary's time outside its loop, which creates
  the synapses and writes the results);
* ``compile_s``: code generation and compilation (cython: ``before_run``,
  cached on disk after the first time; cpp_standalone: everything before the
  binary runs, once, shared by all repeats).

CUBA and COBA use a 0.1 ms synaptic delay so that all engines have the same
minimal delay; COBA has the constant drive I = 20 mV of the Brette et al.
(2007) version (resources/examples/coba.ncsproj), without which it is silent.
Brunel's delta synapses and Poisson input are ignored while the target is
refractory, as in NEST's ``iaf_psc_delta``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2 import Hz, ms, mV
from peer_common import BRUNEL, brunel_poisson_rate_hz, emit, json_stdout, parser

DT = 0.1 * ms
SYN_DELAY = 0.1 * ms


def cuba(seed: int) -> tuple[list, dict[str, tuple[int, int]], dict]:
    b2.seed(seed)
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV, "Vr": -60 * mV, "El": -49 * mV,
          "we": 1.62 * mV, "wi": -9.0 * mV}
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    p = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact",
                       namespace=ns, name="P")
    p.v = "Vr + rand() * (Vt - Vr)"
    ce = b2.Synapses(p, p, on_pre="ge += we", delay=SYN_DELAY, namespace=ns, name="Ce")
    ci = b2.Synapses(p, p, on_pre="gi += wi", delay=SYN_DELAY, namespace=ns, name="Ci")
    ce.connect("i<3200", p=0.02)
    ci.connect("i>=3200", p=0.02)
    return [p, ce, ci], {"E": (0, 3200), "I": (3200, 4000)}, ns


def coba(seed: int) -> tuple[list, dict[str, tuple[int, int]], dict]:
    b2.seed(seed)
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV, "Vr": -60 * mV, "El": -60 * mV,
          "Ee": 0 * mV, "Ei": -80 * mV, "I": 20 * mV, "we": 0.6, "wi": 6.7}
    eqs = """
    dv/dt  = (ge*(Ee-v)+gi*(Ei-v)-(v-El)+I)/taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    p = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                       method="exponential_euler", namespace=ns, name="P")
    p.v = "Vr + rand() * (Vt - Vr)"
    ce = b2.Synapses(p, p, on_pre="ge += we", delay=SYN_DELAY, namespace=ns, name="Ce")
    ci = b2.Synapses(p, p, on_pre="gi += wi", delay=SYN_DELAY, namespace=ns, name="Ci")
    ce.connect("i<3200", p=0.02)
    ci.connect("i>=3200", p=0.02)
    return [p, ce, ci], {"E": (0, 3200), "I": (3200, 4000)}, ns


def fixed_indegree(rng: np.random.Generator, sources: tuple[int, int], n_targets: int,
                   indegree: int) -> tuple[np.ndarray, np.ndarray]:
    """NEST's fixed_indegree (autapses and multapses allowed): pre and post index arrays."""
    pre = rng.integers(sources[0], sources[1], size=n_targets * indegree, dtype=np.int32)
    post = np.repeat(np.arange(n_targets, dtype=np.int32), indegree)
    return pre, post


def brunel(seed: int) -> tuple[list, dict[str, tuple[int, int]], dict]:
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    b = BRUNEL
    n = b["N_E"] + b["N_I"]
    ns = {"tau": b["tau_m"] * ms, "theta": b["V_th"] * mV, "Vr": b["V_reset"] * mV, "El": b["E_L"] * mV,
          "J": b["J"] * mV, "g": b["g"]}
    p = b2.NeuronGroup(n, "dv/dt = -(v-El)/tau : volt (unless refractory)", threshold="v>theta",
                       reset="v = Vr", refractory=b["t_ref"] * ms, method="exact", namespace=ns,
                       name="P")
    p.v = "El"
    synapses = []
    for label, (lo, hi), indegree, weight in (("Ce", (0, b["N_E"]), b["C_E"], "J"),
                                              ("Ci", (b["N_E"], n), b["C_I"], "-g*J")):
        s = b2.Synapses(p, p, on_pre=f"v_post += {weight}*int(not_refractory_post)",
                        delay=b["delay"] * ms, namespace=ns, name=label)
        pre, post = fixed_indegree(rng, (lo, hi), n, indegree)
        s.connect(i=pre, j=post)
        synapses.append(s)
    drive = b2.PoissonInput(p, "v", N=b["C_E"], rate=brunel_poisson_rate_hz() * Hz,
                            weight="J*int(not_refractory)")
    return [p, drive, *synapses], {"E": (0, b["N_E"]), "I": (b["N_E"], n)}, ns


NETWORKS = {"cuba": cuba, "coba": coba, "brunel": brunel}


def construct(name: str, seed: int) -> tuple[b2.Network, b2.SpikeMonitor, dict, dict]:
    b2.defaultclock.dt = DT
    objects, pops, ns = NETWORKS[name](seed)
    monitor = b2.SpikeMonitor(objects[0], name="spikes")
    return b2.Network(*objects, monitor), monitor, pops, ns


def counts(monitor: b2.SpikeMonitor, pops: dict[str, tuple[int, int]]) -> dict[str, int]:
    per_neuron = np.bincount(np.asarray(monitor.i), minlength=max(hi for _, hi in pops.values()))
    return {name: int(per_neuron[lo:hi].sum()) for name, (lo, hi) in pops.items()}


def sizes(pops: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {name: hi - lo for name, (lo, hi) in pops.items()}


def run_cython(out, name: str, duration_s: float, repeat: int, seed: int) -> None:
    b2.prefs.codegen.target = "cython"
    for _ in range(repeat):
        start = time.perf_counter()
        net, monitor, pops, ns = construct(name, seed)
        built = time.perf_counter()
        net.run(duration_s * b2.second, namespace=ns)
        total = time.perf_counter() - built
        wall = b2.device._last_run_time
        emit(out, "brian2-cython", name, duration_s, wall, built - start, counts(monitor, pops), sizes(pops),
             compile_s=total - wall)


def run_cpp(out, name: str, duration_s: float, repeat: int, seed: int) -> None:
    directory = Path(tempfile.gettempdir()) / f"ncs-bench-brian2-{name}"
    b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    start = time.perf_counter()
    net, monitor, pops, ns = construct(name, seed)
    net.run(duration_s * b2.second, namespace=ns)
    b2.device.build(directory=str(directory), compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - start
    for _ in range(repeat):
        b2.device.run(directory=str(directory), with_output=False)
        wall = b2.device._last_run_time
        emit(out, "brian2-cpp", name, duration_s, wall, b2.device.timers["run_binary"] - wall,
             counts(monitor, pops), sizes(pops), compile_s=compile_s)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("cython", "cpp_standalone"), default="cython")
    args = p.parse_args()
    out = json_stdout()
    b2.prefs.logging.console_log_level = "ERROR"
    runner = run_cython if args.mode == "cython" else run_cpp
    runner(out, args.benchmark, args.duration, args.repeat, args.seed)


if __name__ == "__main__":
    main()
