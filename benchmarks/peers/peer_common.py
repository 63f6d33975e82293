"""What the peer benchmark scripts share: the command line, quiet stdout, JSON records.

Both peers write banners and compiler chatter on file descriptor 1, so the
scripts move everything to stderr and keep a private copy of stdout for the
JSON records (one object per run, one per line).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import IO

BENCHMARKS = ("cuba", "coba", "brunel")

# Brunel (2000) as in NEST's brunel_delta_nest.py.
BRUNEL = {
    "N_E": 10_000, "N_I": 2_500, "C_E": 1_000, "C_I": 250,
    "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 0.0, "V_th": 20.0,
    "J": 0.1, "g": 5.0, "eta": 2.0, "delay": 1.5,
}


def brunel_poisson_rate_hz() -> float:
    """Rate of each of the C_E external Poisson inputs: eta * theta / (J * C_E * tau_m)."""
    b = BRUNEL
    return b["eta"] * b["V_th"] / (b["J"] * b["C_E"] * b["tau_m"]) * 1e3


def parser(description: str) -> argparse.ArgumentParser:
    """The command line shared by the peer scripts."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("benchmark", choices=BENCHMARKS)
    p.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    p.add_argument("--repeat", type=int, default=1, help="runs, each printed as one JSON line")
    p.add_argument("--seed", type=int, default=1)
    return p


def json_stdout() -> IO[str]:
    """A private copy of stdout for the records; fd 1 then points at stderr."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return out


def emit(out: IO[str], engine: str, benchmark: str, sim_s: float, wall_s: float, build_s: float,
         spikes: dict[str, int], sizes: dict[str, int], **extra: float) -> None:
    """Write one run's record: times in seconds, spike counts and mean rates per population."""
    record = {
        "engine": engine, "benchmark": benchmark, "sim_s": sim_s, "n_neurons": sum(sizes.values()),
        "wall_s": wall_s, "build_s": build_s,
        "spikes": spikes,
        "rates_hz": {name: spikes[name] / (sizes[name] * sim_s) for name in spikes},
        **extra,
    }
    out.write(json.dumps(record) + "\n")
    out.flush()
