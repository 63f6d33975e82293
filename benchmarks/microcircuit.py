"""The Potjans–Diesmann cortical microcircuit, ours beside NEST, at one or more scales.

Run::

    .venv/bin/python benchmarks/microcircuit.py --scale 0.1 0.25 --repeat 3 \\
        --peers-python .venv-peers/bin/python [--threads 1 2] [--duration 1s]

Each run is its own process: ours builds ``resources/examples/microcircuit.ncsproj`` with its
``scale`` constant set and runs it; NEST runs ``benchmarks/peers/nest_microcircuit.py`` (the same
model as NEST's PyNEST example had it); each engine runs on every thread count of ``--threads``.  Build and run times are the
median over ``repeat`` runs (with their processor time, all threads, beside its wall time: on a
shared machine the two differ), each with its own seed (55, 56, ...), so the rates' spread is the
seed-to-seed spread; peak memory is the process's maximum resident set, and bytes per synapse
is what the process grew by while building and running, over the synapses it holds.  Rates are
counted after ``--skip`` (the start transient).  Prints one table and the rate check (each of our
population rates, the mean over our seeds, against the band NEST's seeds span, at the first scale) and writes
``benchmarks/results/microcircuit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from engine.equations.units import SECOND
from studio.cli.arguments import positive, quantity

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "microcircuit.ncsproj"
NEST_SCRIPT = ROOT / "benchmarks" / "peers" / "nest_microcircuit.py"
RESULTS = ROOT / "benchmarks" / "results" / "microcircuit.json"
FIRST_SEED = 55
DEFAULT_SCALE = 0.05  # small enough for `make bench`: NEST needs about half a minute per run
SKIP_S = 0.2
NEST_THREADS = 2
# Broad bands (Hz) around the full-scale rates as published (Potjans & Diesmann 2014) and as NEST's
# example records them (0.9, 3.0, 4.4, 5.9, 7.6, 8.6, 1.1, 7.8): a rate at full scale is "in range"
# within these bounds.
PUBLISHED_RANGE_HZ = {"L23E": (0.3, 2.0), "L23I": (1.5, 5.0), "L4E": (2.5, 7.0), "L4I": (3.5, 9.0),
                      "L5E": (4.5, 11.0), "L5I": (5.0, 12.0), "L6E": (0.3, 2.5), "L6I": (4.5, 11.0)}


def run_ours(scale: float, duration_s: float, skip_s: float, seed: int, threads: int = 1) -> dict:
    """Build and run the example at ``scale`` in this process; the record NEST's script also writes."""
    from engine.run.simulation import Simulation, batch_chunk_steps
    from studio.project.project_file import build_project, project_network, read_project

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    doc = read_project(EXAMPLE)
    doc = replace(doc, constants={**doc.constants, "scale": scale})
    start, build_cpu = time.perf_counter(), time.process_time()
    network = build_project(EXAMPLE, doc, project_network(EXAMPLE, doc, seed))
    built, build_cpu = time.perf_counter(), time.process_time() - build_cpu
    sim = Simulation(network, batch_chunk_steps(network), threads=threads)
    cpu = time.process_time()
    sim.run(duration_s)
    ran = time.perf_counter()
    cpu = time.process_time() - cpu
    rates = {}
    for name, pop in network.populations.items():
        times_ms, _ = sim.spikes(name)
        rates[name] = float((times_ms > skip_s * 1e3).sum() / (pop.size * (duration_s - skip_s)))
    n_syn = sum(p.n_connections for p in network.projections.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"engine": "ours", "benchmark": "microcircuit", "scale": scale, "seed": seed, "threads": threads,
            "n_neurons": sum(p.size for p in network.populations.values()), "n_synapses": n_syn,
            "build_s": built - start, "build_cpu_s": build_cpu, "wall_s": ran - built, "cpu_s": cpu,
            "sim_s": duration_s, "rates_hz": rates,
            "peak_rss_bytes": peak, "bytes_per_synapse": (peak - rss_before) / max(n_syn, 1),
            "stored_bytes_per_synapse": sum(p.nbytes for p in network.projections.values()) / max(n_syn, 1)}


def child(cmd: list[str], env: dict[str, str]) -> dict:
    """The JSON record a measuring process prints last."""
    out = subprocess.run(cmd, check=False, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {out.returncode}:\n{out.stderr[-2000:]}")
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def measure(engine: str, scale: float, duration_s: float, skip_s: float, repeat: int, threads: int,
            peers_python: str) -> list[dict]:
    """``repeat`` runs of one engine at one scale, seeds 55, 56, ..."""
    records = []
    for seed in range(FIRST_SEED, FIRST_SEED + repeat):
        common = ["--scale", str(scale), "--seed", str(seed), "--threads", str(threads)]
        if engine == "ours":
            cmd = [sys.executable, str(Path(__file__)), "--child", *common, "--duration", f"{duration_s} s",
                   "--skip", f"{skip_s} s"]
            env = {"OMP_NUM_THREADS": "1"}
        else:
            cmd = [peers_python, str(NEST_SCRIPT), *common, "--duration", str(duration_s), "--skip", str(skip_s)]
            # NEST's threads meet at a barrier every step; spinning there while the machine is busy made its
            # runs ten times slower here (docs/performance.md), so they sleep.
            env = {"OMP_WAIT_POLICY": "PASSIVE"}
        print(f"microcircuit: {engine} scale {scale:g} threads {threads} seed {seed} ...", file=sys.stderr, flush=True)
        records.append(child(cmd, env))
    return records


def summary(records: list[dict]) -> dict:
    """Medians of times and memory over the runs of one engine at one scale, the rates' range over seeds."""
    first = records[0]
    pops = first["rates_hz"]
    return {"engine": first["engine"], "scale": first["scale"], "threads": first["threads"], "runs": len(records),
            "n_neurons": first["n_neurons"], "n_synapses": first["n_synapses"],
            "build_s": statistics.median(r["build_s"] for r in records),
            "build_cpu_s": statistics.median(r["build_cpu_s"] for r in records),
            "run_s_per_sim_s": statistics.median(r["wall_s"] / r["sim_s"] for r in records),
            "cpu_s_per_sim_s": statistics.median(r["cpu_s"] / r["sim_s"] for r in records),
            "peak_mb": statistics.median(r["peak_rss_bytes"] for r in records) / 2**20,
            "bytes_per_synapse": statistics.median(r["bytes_per_synapse"] for r in records),
            "rates_hz": {p: [r["rates_hz"][p] for r in records] for p in pops}}


def rate_check(ours: dict, nest: dict) -> list[str]:
    """Each of our population rates against the band NEST's seeds span: our mean over seeds inside it
    ("within"), else our seeds' band meeting it ("overlaps"), else "OUTSIDE"; with two or more seeds on each
    side, also the difference of the means in standard errors (Welch's)."""
    lines = []
    for pop, rates in ours["rates_hz"].items():
        band = nest["rates_hz"][pop]
        lo, hi = min(band), max(band)
        mean = statistics.mean(rates)
        verdict = "within" if lo <= mean <= hi else "overlaps" if min(rates) <= hi and max(rates) >= lo else "OUTSIDE"
        lines.append(f"rate {pop}: ours {mean:.2f} Hz ({', '.join(f'{r:.2f}' for r in rates)}), NEST "
                     f"{lo:.2f}-{hi:.2f} Hz ({', '.join(f'{r:.2f}' for r in band)}): {verdict}"
                     + _difference(rates, band))
    return lines


def _difference(ours: list[float], nest: list[float]) -> str:
    """Our mean less NEST's, in Hz and in standard errors of that difference ("" with fewer than two seeds)."""
    if min(len(ours), len(nest)) < 2:
        return ""
    diff = statistics.mean(ours) - statistics.mean(nest)
    error = (statistics.variance(ours) / len(ours) + statistics.variance(nest) / len(nest)) ** 0.5
    return f"; ours - NEST {diff:+.3f} Hz" + (f" ({diff / error:+.1f} standard errors)" if error > 0 else "")


def published_check(row: dict) -> list[str]:
    """A full-scale run's rates against the published range."""
    lines = []
    for pop, rates in row["rates_hz"].items():
        lo, hi = PUBLISHED_RANGE_HZ[pop]
        mean = statistics.mean(rates)
        lines.append(f"rate {pop} at full scale ({row['engine']}, {row['threads']} thread{'s' * (row['threads'] > 1)}): "
                     f"{mean:.2f} Hz, published range {lo:g}-{hi:g} Hz: "
                     f"{'in range' if lo <= mean <= hi else 'OUT OF RANGE'}")
    return lines


def speedups(rows: list[dict]) -> list[str]:
    """Each engine's speed-up at each scale: its one-thread run time over its run time on more threads."""
    one = {(r["engine"], r["scale"]): r for r in rows if r["threads"] == 1}
    return [f"speed-up {r['engine']} at scale {r['scale']:g} on {r['threads']} threads: "
            f"{one[r['engine'], r['scale']]['run_s_per_sim_s'] / r['run_s_per_sim_s']:.2f}x"
            for r in rows if r["threads"] > 1 and (r["engine"], r["scale"]) in one]


def table(rows: list[dict]) -> str:
    head = (f"{'scale':>5} {'engine':<6} {'thr':>3} {'runs':>4} {'neurons':>8} {'synapses':>12} {'build s':>8} "
            f"{'cpu s':>6} {'run s/sim s':>11} {'cpu s/sim s':>11} {'peak MB':>8} {'B/syn':>6}  "
            "rates Hz (mean over seeds)")
    lines = [head, "-" * len(head)]
    for r in rows:
        rates = " ".join(f"{statistics.mean(v):.2f}" for v in r["rates_hz"].values())
        lines.append(f"{r['scale']:>5g} {r['engine']:<6} {r['threads']:>3} {r['runs']:>4} {r['n_neurons']:>8} "
                     f"{r['n_synapses']:>12,} {r['build_s']:>8.1f} {r['build_cpu_s']:>6.1f} "
                     f"{r['run_s_per_sim_s']:>11.2f} {r['cpu_s_per_sim_s']:>11.2f} "
                     f"{r['peak_mb']:>8.0f} {r['bytes_per_synapse']:>6.1f}  {rates}")
    return "\n".join(lines)


def run(scales: list[float], duration_s: float, skip_s: float, repeat: int, threads: list[int],
        peers_python: str | None) -> tuple[str, dict]:
    """Measure every engine at every scale on every thread count; the printed report and the results."""
    rows = []
    for scale in scales:
        for engine in ("ours", "nest") if peers_python else ("ours",):
            for n in threads:
                rows.append(summary(measure(engine, scale, duration_s, skip_s, repeat, n, peers_python or "")))
    first = [r for r in rows if r["scale"] == scales[0] and r["threads"] == threads[-1]]
    checks = rate_check(first[0], first[1]) if len(first) == 2 else []
    checks += [line for r in rows if r["scale"] == 1.0 for line in published_check(r)]
    checks += speedups(rows)
    report = "\n\n".join(s for s in (table(rows), "\n".join(checks)) if s)
    return report, {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
                    "duration_s": duration_s, "skip_s": skip_s, "rows": rows, "checks": checks}


def main(argv: list[str] | None = None) -> int:
    seconds = positive(quantity(SECOND))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, nargs="+", default=[DEFAULT_SCALE], help="scales to measure (1 is full size)")
    p.add_argument("--duration", type=seconds, default=1.0, metavar="T", help="simulated time of each run")
    p.add_argument("--skip", type=seconds, default=SKIP_S, metavar="T", help="start transient left out of the rates")
    p.add_argument("--repeat", type=int, default=3, help="runs per engine and scale, each with its own seed")
    p.add_argument("--threads", type=int, nargs="+", default=[NEST_THREADS],
                   help="thread counts each engine runs on (default: 2)")
    p.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"),
                   help="Python of the environment with nest (make peers)")
    p.add_argument("--skip-peers", action="store_true", help="run ours only")
    p.add_argument("--seed", type=int, default=FIRST_SEED, help=argparse.SUPPRESS)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_ours(args.scale[0], args.duration, args.skip, args.seed, args.threads[0])))
        return 0
    peers = None if args.skip_peers else args.peers_python
    if peers is not None and not Path(peers).is_file():
        p.error(f"{peers} does not exist; run `make peers` first or pass --skip-peers")
    report, results = run(args.scale, args.duration, args.skip, args.repeat, args.threads, peers)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
