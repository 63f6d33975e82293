"""NEST 3.10 device timing references for tests/engine/network/test_devices.py.

Every case drives one neuron (NEST defaults unless given) through one device
and records V_m every 0.1 ms for 30 ms (the sample at t is the state at the
end of the step (t-0.1, t]).  Run with the peers environment from the repo
root; it overwrites nest_devices.npz next to this file (~1 s):

    .venv-peers/bin/python tests/engine/network/data/make_nest_device_refs.py
"""

import json
import sys
from pathlib import Path

import nest
import numpy as np

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
T = 30.0
# A V_m that only counts spikes: iaf_psc_delta that neither leaks nor fires.
COUNTER = {"model": "iaf_psc_delta", "neuron": {"tau_m": 1e9, "V_th": 1e9}, "weight": 1.0}

# name: (device, device parameters, connection delay, neuron model and parameters)
CASES = {
    "dc_window": ("dc_generator", {"amplitude": 450.0, "start": 1.0, "stop": 2.0}, 0.1, {}),
    "dc_window_delay": ("dc_generator", {"amplitude": 450.0, "start": 1.0, "stop": 2.0}, 0.5, {}),
    "ac": ("ac_generator", {"amplitude": 300.0, "offset": 100.0, "frequency": 100.0, "phase": 30.0}, 0.1, {}),
    "ac_window": ("ac_generator", {"amplitude": 300.0, "frequency": 100.0, "start": 1.0, "stop": 2.0}, 0.1, {}),
    "step": ("step_current_generator", {"amplitude_times": [1.0, 2.5, 4.0],
                                        "amplitude_values": [200.0, -100.0, 400.0]}, 0.1, {}),
    "step_window": ("step_current_generator", {"amplitude_times": [0.5, 1.5], "amplitude_values": [200.0, 400.0],
                                               "start": 1.0, "stop": 2.0}, 0.1, {}),
    "noise_window": ("noise_generator", {"mean": 200.0, "std": 0.0, "dt": 0.1, "start": 1.0, "stop": 2.0}, 0.1, {}),
    "poisson": ("poisson_generator", {"rate": 1e5}, 0.1, COUNTER),
    "poisson_window": ("poisson_generator", {"rate": 1e5, "start": 1.0, "stop": 2.0}, 0.1, COUNTER),
    "poisson_window_delay": ("poisson_generator", {"rate": 1e5, "start": 1.0, "stop": 2.0}, 0.5, COUNTER),
    "spike_window": ("spike_generator", {"spike_times": [0.5, 1.0, 1.1, 2.0, 2.1], "start": 1.0, "stop": 2.0},
                     0.1, COUNTER),
}


def run(device, params, delay, neuron):
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.local_num_threads = 1
    n = nest.Create(neuron.get("model", "iaf_psc_exp"), params=neuron.get("neuron", {}))
    g = nest.Create(device, params=params)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    syn = {"delay": delay}
    if "weight" in neuron:
        syn["weight"] = neuron["weight"]
    nest.Connect(g, n, syn_spec=syn)
    nest.Connect(mm, n)
    nest.Simulate(T + 2.0)  # multimeter data lag one min_delay; cut at T
    t = np.asarray(mm.events["times"])
    return np.asarray(mm.events["V_m"])[t <= T + 1e-9]


def main():
    data = {name: run(*case) for name, case in CASES.items()}
    meta = {"nest_version": nest.__version__, "T": T, "dt": 0.1,
            "cases": {name: {"device": c[0], "params": c[1], "delay": c[2], "neuron": c[3]}
                      for name, c in CASES.items()}}
    np.savez_compressed(OUT / "nest_devices.npz", meta=json.dumps(meta), **data)


if __name__ == "__main__":
    main()
