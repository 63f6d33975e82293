"""Whether the machine's processors are separate cores right now, and how far apart: copies of a core-bound
loop side by side against one copy alone, and a cache line's round trip between two threads.

Under a hypervisor two virtual processors can be placed, for a spell, on the two hardware threads of one
physical core.  A loop that keeps a core's floating-point units busy then takes up to twice as long when two
copies run side by side, and no program's two-thread speed-up comes near 2.  They can also be placed on cores
that share no cache, where every hand-over between threads (a barrier, a spike list) takes five or six times
longer (docs/performance.md, seventh session).  ``run_all.py`` runs this check before and after the runs on
several threads and prints it beside the scaling table, so that a reader can tell a slow spell of the host
from a slow engine.

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

# "compute TURNS": sixty-four independent multiply-adds per turn, more chains than a core's units can overlap, so
# the loop is bound by the units themselves (a hardware thread beside it on the same core has to share them),
# not by the latency of one chain; it prints the seconds its turns took.  "round-trip N": two threads hand a
# cache line to and fro N times; it prints the nanoseconds per round trip, what every barrier between the
# engine's threads costs at least (tens of ns between cores that share a cache, hundreds across sockets).
PROBE_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
static int ball __attribute__((aligned(64)));
static long trips;
static void *partner(void *unused) {
    for (long i = 0; i < trips; i++) {
        while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 1) {}
        __atomic_store_n(&ball, 0, __ATOMIC_RELEASE);
    }
    return unused;
}
int main(int argc, char **argv) {
    long count = atol(argv[2]);
    if (strcmp(argv[1], "round-trip") == 0) {
        pthread_t other;
        trips = count;
        pthread_create(&other, NULL, partner, NULL);
        double t0 = seconds();
        for (long i = 0; i < count; i++) {
            __atomic_store_n(&ball, 1, __ATOMIC_RELEASE);
            while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 0) {}
        }
        double t1 = seconds();
        pthread_join(other, NULL);
        printf("%.3f\n", 1e9 * (t1 - t0) / count);
        return 0;
    }
    volatile double seed = 1.0;
    double a[64], m = 0.999999999, c = 1e-9, sum = 0.0;
    for (int i = 0; i < 64; i++) a[i] = seed + i * 1e-9;
    double t0 = seconds();
    for (long n = 0; n < count; n++)
        for (int i = 0; i < 64; i++) a[i] = a[i] * m + c;
    double t1 = seconds();
    for (int i = 0; i < 64; i++) sum += a[i];
    printf("%.6f %g\n", t1 - t0, sum);
    return 0;
}
"""
TURNS = 150_000_000
ROUND_TRIPS = 2_000_000
# Side by side taking at most this much longer than alone: the copies had cores of their own.
SEPARATE_CORES = 1.15


def build_probe(folder: Path) -> Path | None:
    """The probe compiled into ``folder``, or None without a C compiler."""
    cc = compiler()
    if cc is None:
        return None
    source, binary = folder / "probe.c", folder / "probe"
    source.write_text(PROBE_C)
    subprocess.run([*cc, "-O3", "-march=native", "-ffp-contract=fast", "-pthread", str(source), "-o", str(binary)],
                   check=True, capture_output=True, timeout=120)
    return binary


def _seconds(processes: list[subprocess.Popen]) -> list[float]:
    return [float(p.communicate(timeout=120)[0].split()[0]) for p in processes]


def check(probe: Path, copies: int = 2) -> dict:
    """One copy of the compute loop alone, then ``copies`` side by side: their times, and the slower side-by-side
    copy against the copy alone (1 on separate cores; up to ``copies`` on one core's hardware threads); and
    the round trip of a cache line between two threads (with two or more copies)."""
    def start() -> subprocess.Popen:
        return subprocess.Popen([str(probe), "compute", str(TURNS)], stdout=subprocess.PIPE, text=True)

    alone = _seconds([start()])[0]
    together = _seconds([start() for _ in range(copies)])
    slowdown = max(together) / alone
    trip = None
    if copies > 1:
        trip = float(subprocess.run([str(probe), "round-trip", str(ROUND_TRIPS)], capture_output=True, text=True,
                                    check=True, timeout=120).stdout)
    return {"copies": copies, "alone_s": alone, "side_by_side_s": together, "slowdown": slowdown,
            "separate_cores": slowdown <= SEPARATE_CORES, "round_trip_ns": trip}


def describe(result: dict, when: str) -> str:
    """One line for a report."""
    verdict = ("separate cores" if result["separate_cores"]
               else "SHARING CORES: multi-thread figures of this spell are the host's, not the engine's")
    trip = "" if result["round_trip_ns"] is None else f"; a cache line's round trip {result['round_trip_ns']:.0f} ns"
    return (f"host check {when}: {result['copies']} copies of a core-bound loop side by side took "
            f"{result['slowdown']:.2f}x one alone ({result['alone_s']:.2f} s): {verdict}{trip}")


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
