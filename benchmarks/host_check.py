"""Whether the machine's processors are separate cores right now: copies of a core-bound loop side by side
against one copy alone.

Under a hypervisor two virtual processors can be placed, for a spell, on the two hardware threads of one
physical core.  A loop that keeps a core's floating-point units busy then takes up to twice as long when two
copies run side by side, and no program's two-thread speed-up comes near 2 (docs/performance.md, "Two
threads, fast and slow").  ``run_all.py`` runs this check before and after the runs on several threads and
prints it beside the scaling table, so that a reader can tell a slow spell of the host from a slow engine.

Run alone::

    .venv/bin/python benchmarks/host_check.py [--copies 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from engine.run.native_tier import compiler

# Sixty-four independent multiply-adds per turn: more chains than a core's units can overlap, so the loop is
# bound by the units themselves (a hardware thread beside it on the same core has to share them), not by the
# latency of one chain.  It prints the seconds its turns took.
PROBE_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    long turns = atol(argv[1]);
    volatile double seed = 1.0;
    double a[64], m = 0.999999999, c = 1e-9, sum = 0.0;
    for (int i = 0; i < 64; i++) a[i] = seed + i * 1e-9;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long n = 0; n < turns; n++)
        for (int i = 0; i < 64; i++) a[i] = a[i] * m + c;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 0; i < 64; i++) sum += a[i];
    printf("%.6f %g\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), sum);
    return 0;
}
"""
TURNS = 150_000_000
# Side by side taking at most this much longer than alone: the copies had cores of their own.
SEPARATE_CORES = 1.15


def build_probe(folder: Path) -> Path | None:
    """The probe compiled into ``folder``, or None without a C compiler."""
    cc = compiler()
    if cc is None:
        return None
    source, binary = folder / "probe.c", folder / "probe"
    source.write_text(PROBE_C)
    subprocess.run([*cc, "-O3", "-march=native", "-ffp-contract=fast", str(source), "-o", str(binary)],
                   check=True, capture_output=True, timeout=120)
    return binary


def _seconds(processes: list[subprocess.Popen]) -> list[float]:
    return [float(p.communicate(timeout=120)[0].split()[0]) for p in processes]


def check(probe: Path, copies: int = 2) -> dict:
    """One copy of the probe alone, then ``copies`` side by side: their times, and the slower side-by-side copy
    against the copy alone (1 on separate cores; up to ``copies`` on one core's hardware threads)."""
    def start() -> subprocess.Popen:
        return subprocess.Popen([str(probe), str(TURNS)], stdout=subprocess.PIPE, text=True)

    alone = _seconds([start()])[0]
    together = _seconds([start() for _ in range(copies)])
    slowdown = max(together) / alone
    return {"copies": copies, "alone_s": alone, "side_by_side_s": together, "slowdown": slowdown,
            "separate_cores": slowdown <= SEPARATE_CORES}


def describe(result: dict, when: str) -> str:
    """One line for a report."""
    verdict = ("separate cores" if result["separate_cores"]
               else "SHARING CORES: multi-thread figures of this spell are the host's, not the engine's")
    return (f"host check {when}: {result['copies']} copies of a core-bound loop side by side took "
            f"{result['slowdown']:.2f}x one alone ({result['alone_s']:.2f} s): {verdict}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=min(2, os.cpu_count() or 1),
                   help="copies side by side (default: 2, or 1 on a one-processor machine)")
    p.add_argument("--json", action="store_true", help="print the median of three checks as JSON")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ncs-host-check-") as folder:
        probe = build_probe(Path(folder))
        if probe is None:
            print("host check: no C compiler (NCS_CC, CC or cc)", file=sys.stderr)
            return 1
        runs = sorted((check(probe, args.copies) for _ in range(3)), key=lambda r: r["slowdown"])
    result = {**runs[1], "slowdowns": [r["slowdown"] for r in runs]}
    print(json.dumps(result) if args.json else describe(result, "now"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
