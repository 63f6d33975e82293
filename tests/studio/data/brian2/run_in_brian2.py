"""Run a Brian2 script of this folder with Brian2 itself (numpy target, dt = 0.1 ms) and save its monitors.

    python run_in_brian2.py SCRIPT.py OUT.npz

The script defines ``M`` (a StateMonitor of ``v``) and ``S`` (a SpikeMonitor); saved are ``t`` and ``v`` in
seconds and volts, and ``spike_times`` in seconds.  Run by tests/studio/test_brian2_compare.py in the peers
environment, the only place Brian2 is installed.
"""

import sys

import brian2
import numpy as np

brian2.prefs.codegen.target = "numpy"
brian2.defaultclock.dt = 0.1 * brian2.ms
script, out = sys.argv[1], sys.argv[2]
namespace = {"__name__": "__main__"}
with open(script) as f:
    exec(compile(f.read(), script, "exec"), namespace)
monitor, spikes = namespace["M"], namespace["S"]
np.savez(out, t=np.asarray(monitor.t), v=np.asarray(monitor.v[0]), spike_times=np.asarray(spikes.t))
