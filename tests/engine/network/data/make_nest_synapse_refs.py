"""NEST 3.10 references for tests/engine/network/test_synapse_rules.py: the weight every pre spike transmits
through one tsodyks2_synapse, tsodyks_synapse or stdp_triplet_synapse connection.

Pre and post neurons are parrot_neurons that fire at the stamps of each case's trains (spike_generator
times one step earlier, delay one step); the plastic connection goes into the post parrot's port 1,
which does not repeat spikes, and a weight_recorder takes the weight of every spike it transmits.  Run
with the peers environment from the repo root; it writes nest_synapses.npz into the folder given (default:
next to this file; ~1 s):

    .venv-peers/bin/python tests/engine/network/data/make_nest_synapse_refs.py
"""

import json
import sys
from pathlib import Path

import nest
import numpy as np

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
DT = 0.1


def _train(seed: int, n: int, shortest: int, longest: int, first: int = 20) -> list[float]:
    """``n`` spike stamps (ms, on the 0.1 ms grid) with intervals drawn from ``shortest`` to ``longest`` steps."""
    steps = first + np.cumsum(np.random.default_rng(seed).integers(shortest, longest + 1, n))
    return [round(float(s) * DT, 1) for s in steps]


PRE = _train(1, 40, 20, 600)
# Post spikes around the pre spikes (some exactly a delay after one, some at the same step) and on their own.
POST = sorted(set(_train(2, 25, 30, 700) + [round(t + d, 1) for t, d in zip(PRE[::4], (1.5, 0.0, 1.4, 1.6, -1.5,
                                                                                      3.0, 1.5, 0.5, -0.2, 1.5))]))
# name: (synapse model, its parameters, weight, delay, the post neuron's trace time constants)
CASES = {
    "tsodyks2_depressing": ("tsodyks2_synapse", {"U": 0.4, "u": 0.4, "x": 1.0, "tau_rec": 300.0, "tau_fac": 0.0},
                            2.5, 1.0, {}),
    "tsodyks2_facilitating": ("tsodyks2_synapse", {"U": 0.1, "u": 0.25, "x": 0.75, "tau_rec": 100.0,
                                                   "tau_fac": 500.0}, 2.5, 2.0, {}),
    "tsodyks_depressing": ("tsodyks_synapse", {"U": 0.5, "tau_psc": 3.0, "tau_rec": 400.0, "tau_fac": 0.0},
                           2.5, 1.0, {}),
    "tsodyks_facilitating": ("tsodyks_synapse", {"U": 0.15, "tau_psc": 5.0, "tau_rec": 130.0, "tau_fac": 530.0,
                                                 "u": 0.1}, 2.5, 1.0, {}),
    "triplet": ("stdp_triplet_synapse", {"tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 5e-3,
                                         "Aminus": 7e-3, "Aplus_triplet": 6.2e-3, "Aminus_triplet": 2.3e-4,
                                         "Wmax": 2.0, "Kplus": 0.0, "Kplus_triplet": 0.0},
                1.0, 1.5, {"tau_minus": 33.7, "tau_minus_triplet": 125.0}),
}


def run(model, params, weight, delay, post_traces):
    """The stamps of the pre spikes the connection transmitted and the weight of each."""
    nest.ResetKernel()
    nest.resolution = DT
    nest.local_num_threads = 1
    pre, post = nest.Create("parrot_neuron"), nest.Create("parrot_neuron", params=post_traces)
    for neuron, train in ((pre, PRE), (post, POST)):
        gen = nest.Create("spike_generator", params={"spike_times": [round(t - DT, 1) for t in train]})
        nest.Connect(gen, neuron, syn_spec={"delay": DT})
    spikes = nest.Create("spike_recorder")
    nest.Connect(pre + post, spikes)
    recorder = nest.Create("weight_recorder")
    nest.CopyModel(model, "recorded", {"weight_recorder": recorder})
    nest.Connect(pre, post, syn_spec={"synapse_model": "recorded", "weight": weight, "delay": delay,
                                      "receptor_type": 1, **params})
    nest.Simulate(max(PRE + POST) + 10.0)
    ev = spikes.events
    for neuron, train in ((pre, PRE), (post, POST)):
        fired = np.sort(ev["times"][ev["senders"] == neuron.global_id])
        assert np.allclose(fired, train), "the parrots do not fire at the stamps asked"
    return np.asarray(recorder.events["times"]), np.asarray(recorder.events["weights"])


def main():
    data = {"pre": np.asarray(PRE), "post": np.asarray(POST)}
    for name, case in CASES.items():
        data[f"{name}.times"], data[f"{name}.weights"] = run(*case)
    data["cases"] = np.asarray(json.dumps({k: list(v) for k, v in CASES.items()}))
    np.savez(OUT / "nest_synapses.npz", **data)


if __name__ == "__main__":
    main()
