"""Our engine against Brian2 (cython, cpp_standalone) and NEST on CUBA, COBA and Brunel, in one run.

Run: ``make bench``, or::

    .venv/bin/python benchmarks/run_all.py --peers-python .venv-peers/bin/python \\
        [--duration 1s] [--brunel-duration 0.3s] [--only cuba coba microcircuit] [--repeat 3] [--skip-peers] \\
        [--threads 2] [--scale 0.05]

``microcircuit`` is the Potjans–Diesmann model beside NEST with 2 threads at ``--scale``
(``benchmarks/microcircuit.py``, which also measures several scales); its table follows the others.

Every engine runs in its own process: ours through ``ncstudio bench NAME
--json`` (one process per repeat), the peers through
``benchmarks/peers/{brian2,nest}_bench.py`` in the peers environment (one
process doing every repeat).  Run and build times are the median over the
repeats, the run time with its spread (fastest and slowest run); peak memory
is the process tree's maximum resident set (``os.wait4``), for Brian2's
cpp_standalone the larger of its Python side and the binary.

Our run time is the whole run call: the step loop, the devices' work around it
(drawing Poisson counts in NumPy before each chunk, taking samples) and the
Python between chunks, as NEST's and Brian2's run times include their
generators; ``dev s/sim s`` shows the devices' part of it.

Brian2's cpp_standalone reports its run time as processor time (``std::clock``)
where the others report wall time; on a quiet machine the two agree, on a busy
one the comparison favours Brian2.  Our rows also carry ``cpu_s``, the run's
processor time, for that comparison.

With ``--threads N`` (default 2) ours and NEST (``local_num_threads``) also run on N
threads, in rows of their own beside the one-thread rows, and a scaling table
gives each one's speed-up (one-thread run time / N-thread run time).

Beside every multi-thread measurement ``host_check.py`` runs copies of a
core-bound loop side by side against one alone and times a cache line's round
trip between two threads: under a hypervisor the two virtual processors can,
for a spell, share one physical core or sit on cores far apart, and the report
says which spell each measurement met.

Prints one table (the ratio is peer run time / our run time on as many
threads, so > 1 means we are faster), checks our rates against the band the peers span, states our
targets (reported, never asserted), and writes everything to
``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import host_check
import microcircuit

from engine.equations.units import SECOND
from studio.cli.arguments import positive, quantity

ROOT = Path(__file__).resolve().parent.parent
PEER_SCRIPTS = ROOT / "benchmarks" / "peers"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
BENCHMARKS = ("cuba", "coba", "brunel")
OURS = "ours"
# engine -> (script, extra arguments)
PEERS = {
    "brian2-cython": ("brian2_bench.py", ["--mode", "cython"]),
    "brian2-cpp": ("brian2_bench.py", ["--mode", "cpp_standalone"]),
    "nest": ("nest_bench.py", []),
}
# A rate of ours outside the peers' band by more than this fraction of the band's centre is flagged.
# The band is one seed per engine; across seeds 1-6 each engine's CUBA and COBA rates spread by
# about +-6 % (CUBA E: 5.2-6.1 Hz, COBA E: 19.9-22.6 Hz in all three engines), so a single-seed
# check only catches gross errors.
RATE_TOLERANCE = 0.05


@dataclass
class Measurement:
    """One engine on one benchmark, reduced over its repeats."""

    engine: str
    benchmark: str
    sim_s: float
    n_neurons: int
    wall_s: float  # median over the repeats
    wall_min_s: float
    wall_max_s: float
    cpu_s: float | None  # median processor time of the run loop (ours only)
    devices_s: float | None  # median time our devices took around the loop (Poisson counts...), ours only
    build_s: float
    compile_s: float | None
    spikes: dict[str, int]
    rates_hz: dict[str, float]
    peak_rss_mb: float
    runs: list[dict] = field(repr=False)
    threads: int = 1

    @property
    def run_per_sim_s(self) -> float:
        return self.wall_s / self.sim_s

    @property
    def mean_rate_hz(self) -> float:
        return sum(self.spikes.values()) / (self.n_neurons * self.sim_s)


class BenchmarkFailed(RuntimeError):
    """A benchmark process exited with an error."""


def run_process(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[str, float]:
    """Run ``cmd`` in the repository (or ``cwd``); its stdout and the peak RSS (MB) of its process tree."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            tail = "".join(err.readlines()[-15:])
            raise BenchmarkFailed(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
        return out.read(), usage.ru_maxrss / 1024  # kilobytes on Linux


def summarise(engine: str, records: list[dict], peak_rss_mb: float, threads: int = 1) -> Measurement:
    """Median run and build times over the repeats, with the run time's spread; counts from the first run
    (every run has the same seed)."""
    first = records[0]
    compile_times = [r["compile_s"] for r in records if "compile_s" in r]
    walls = [r.get("run_s", r["wall_s"]) for r in records]  # ours: the whole run call; the peers': their run
    cpus = [r["cpu_s"] for r in records if "cpu_s" in r]
    devices = [r["devices_s"] for r in records if "devices_s" in r]
    return Measurement(
        engine=engine, benchmark=first["benchmark"], sim_s=first["sim_s"], n_neurons=first["n_neurons"],
        wall_s=statistics.median(walls), wall_min_s=min(walls), wall_max_s=max(walls),
        cpu_s=statistics.median(cpus) if cpus else None,
        devices_s=statistics.median(devices) if devices else None, build_s=statistics.median(r["build_s"] for r in records),
        compile_s=max(compile_times) if compile_times else None,
        spikes=first["spikes"], rates_hz=first["rates_hz"], peak_rss_mb=peak_rss_mb, runs=records, threads=threads)


def measure_ours(name: str, duration_s: float, repeat: int, env: dict[str, str], threads: int = 1) -> Measurement:
    """``repeat`` timed runs after an untimed short one, which leaves the native tier's kernels compiled in
    its cache (as a user's first run does; Brian2's compilation is not in its run time either)."""
    bench = [sys.executable, "-m", "studio.cli.main", "bench", name, "--threads", str(threads), "--json"]
    run_process([*bench, "--duration", "10 ms"], env)
    records, peaks = [], []
    for _ in range(repeat):
        stdout, peak = run_process([*bench, "--duration", f"{duration_s} s"], env)
        records.append(json.loads(stdout))
        peaks.append(peak)
    return summarise(OURS, records, max(peaks), threads)


def measure_peer(engine: str, name: str, duration_s: float, repeat: int, python: str,
                 env: dict[str, str], threads: int = 1) -> Measurement:
    script, extra = PEERS[engine]
    if threads > 1:
        extra = [*extra, "--threads", str(threads)]
    stdout, peak = run_process([python, str(PEER_SCRIPTS / script), name, "--duration", str(duration_s),
                                "--repeat", str(repeat), *extra], env)
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if len(records) != repeat:
        raise BenchmarkFailed(f"{script} {name} {' '.join(extra)}: expected {repeat} records, got {len(records)}")
    return summarise(engine, records, peak, threads)


def find(rows: list[Measurement], name: str, engine: str, threads: int = 1) -> Measurement | None:
    """The row of ``engine`` on benchmark ``name`` with ``threads`` threads, if measured."""
    return next((m for m in rows if m.benchmark == name and m.engine == engine and m.threads == threads), None)


def rate_checks(rows: list[Measurement]) -> list[dict]:
    """Per benchmark and population: our rate against the band [min, max] of the peers' rates; ``in_band``
    whether it lies in it, ``within`` whether it lies in it widened by RATE_TOLERANCE."""
    checks = []
    for name in BENCHMARKS:
        ours = find(rows, name, OURS)
        peers = [m for m in rows if m.benchmark == name and m.engine != OURS]
        if ours is None or not peers:
            continue
        for pop, rate in ours.rates_hz.items():
            band = [m.rates_hz[pop] for m in peers if pop in m.rates_hz]
            if not band:
                continue
            lo, hi = min(band), max(band)
            slack = RATE_TOLERANCE * (lo + hi) / 2
            checks.append({"benchmark": name, "population": pop, "ours_hz": rate, "peers_min_hz": lo,
                           "peers_max_hz": hi, "in_band": lo <= rate <= hi,
                           "within": lo - slack <= rate <= hi + slack})
    return checks


def target_checks(rows: list[Measurement], threads: int = 1) -> list[dict]:
    """Our speed and memory targets, as measured here (reported, not asserted)."""
    def find_row(name: str, engine: str) -> Measurement | None:
        return find(rows, name, engine)

    targets = []

    def add(text: str, value: float, limit: float, at_least: bool = False) -> None:
        targets.append({"target": text, "value": value, "limit": limit,
                        "met": value >= limit if at_least else value <= limit})

    cuba, cpp, nest = find_row("cuba", OURS), find_row("cuba", "brian2-cpp"), find_row("cuba", "nest")
    if cuba and cpp:
        add("CUBA run time / Brian2 cpp_standalone run time", cuba.wall_s / cpp.wall_s, 0.8)
    if cuba and nest:
        add("CUBA run time / NEST run time", cuba.wall_s / nest.wall_s, 0.2)
    coba, coba_cpp = find_row("coba", OURS), find_row("coba", "brian2-cpp")
    if coba and coba_cpp:
        add("COBA run time / Brian2 cpp_standalone run time", coba.wall_s / coba_cpp.wall_s, 0.8)
    for m in rows:
        if m.engine == OURS and m.threads == 1:
            add(f"{m.benchmark.upper()} build time (s)", m.build_s, 0.5)
    brunel, brunel_nest = find_row("brunel", OURS), find_row("brunel", "nest")
    if brunel:
        add("Brunel peak memory (MB)", brunel.peak_rss_mb, 300.0)
    if brunel and brunel_nest:
        add("Brunel run time / NEST run time", brunel.wall_s / brunel_nest.wall_s, 0.5)
    brunel_n = find(rows, "brunel", OURS, threads)
    if brunel and brunel_n and threads > 1:
        add(f"Brunel speed-up on {threads} threads", brunel.wall_s / brunel_n.wall_s, 1.7, at_least=True)
    return targets


def microcircuit_target(circuit: dict, threads: int) -> dict | None:
    """Our microcircuit's speed-up on ``threads`` threads against one (target 1.7), from its rows."""
    ours = {r["threads"]: r for r in circuit["rows"] if r["engine"] == OURS}
    if threads < 2 or 1 not in ours or threads not in ours:
        return None
    value = ours[1]["run_s_per_sim_s"] / ours[threads]["run_s_per_sim_s"]
    return {"target": f"microcircuit speed-up on {threads} threads (scale {ours[1]['scale']:g})", "value": value,
            "limit": 1.7, "met": value >= 1.7}


def target_line(t: dict) -> str:
    return f"target {t['target']}: {t['value']:.3g} (limit {t['limit']:g}): {'met' if t['met'] else 'not met'}"


def ratio(m: Measurement, rows: list[Measurement]) -> float | None:
    """A peer's run time over ours on as many threads."""
    ours = find(rows, m.benchmark, OURS, m.threads)
    if ours is None or m.engine == OURS:
        return None
    return m.wall_s / ours.wall_s


def scaling(rows: list[Measurement]) -> list[dict]:
    """Each engine's speed-up on more threads: its one-thread run time over its N-thread run time."""
    out = []
    for m in rows:
        one = find(rows, m.benchmark, m.engine)
        if m.threads > 1 and one is not None:
            out.append({"benchmark": m.benchmark, "engine": m.engine, "threads": m.threads,
                        "one_thread_s": one.run_per_sim_s, "threads_s": m.run_per_sim_s,
                        "speedup": one.wall_s / m.wall_s})
    return out


def table(rows: list[Measurement]) -> str:
    head = (f"{'benchmark':<9} {'engine':<13} {'thr':>3} {'sim s':>5} {'run s/sim s':>11} {'[min-max]':>15} {'build s':>8} "
            f"{'compile s':>9} {'dev s/sim s':>11} "
            f"{'spikes':>9} {'rate Hz (mean; E / I)':>24} {'peak MB':>8} {'peer/ours':>9}")
    lines = [head, "-" * len(head)]
    for m in rows:
        r = ratio(m, rows)
        pops = " / ".join(f"{v:.2f}" for v in m.rates_hz.values())
        lines.append(
            f"{m.benchmark:<9} {m.engine:<13} {m.threads:>3} {m.sim_s:>5g} {m.run_per_sim_s:>11.3f} "
            f"{f'[{m.wall_min_s / m.sim_s:.3f}-{m.wall_max_s / m.sim_s:.3f}]':>15} {m.build_s:>8.2f} "
            f"{'-' if m.compile_s is None else f'{m.compile_s:.1f}':>9} "
            f"{'-' if m.devices_s is None else f'{m.devices_s / m.sim_s:.3f}':>11} {sum(m.spikes.values()):>9} "
            f"{f'{m.mean_rate_hz:.2f} ({pops})':>24} {m.peak_rss_mb:>8.0f} {'-' if r is None else f'{r:.2f}':>9}")
    return "\n".join(lines)


def _rate_verdict(check: dict) -> str:
    """Where our rate lies: in the peers' band, outside it within the tolerance, or outside both."""
    if check["in_band"]:
        return "within the peers' band"
    if check["within"]:
        return f"outside the peers' band by less than {RATE_TOLERANCE:.0%} of its centre"
    return "OUTSIDE the peers' band"


def report(rows: list[Measurement], rates: list[dict], targets: list[dict], scales: list[dict],
           hosts: list[dict]) -> str:
    rate_lines = [f"rate {c['benchmark']} {c['population']}: ours {c['ours_hz']:.2f} Hz, peers "
                  f"{c['peers_min_hz']:.2f}-{c['peers_max_hz']:.2f} Hz: " + _rate_verdict(c) for c in rates]
    target_lines = [target_line(t) for t in targets]
    scale_lines = [f"scaling {c['benchmark']} {c['engine']}: {c['one_thread_s']:.3f} s on 1 thread, "
                   f"{c['threads_s']:.3f} s on {c['threads']}: {c['speedup']:.2f}x" for c in scales]
    host_lines = [host_check.describe(h, h["when"]) for h in hosts]
    sections = [table(rows), "\n".join(scale_lines + host_lines), "\n".join(rate_lines), "\n".join(target_lines)]
    return "\n\n".join(s for s in sections if s)


def main(argv: list[str] | None = None) -> int:
    seconds = positive(quantity(SECOND))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"),
                   help="Python of the environment with brian2 and nest (make peers)")
    p.add_argument("--duration", type=seconds, default=1.0, metavar="T", help="simulated time of CUBA and COBA")
    p.add_argument("--brunel-duration", type=seconds, default=0.3, metavar="T",
                   help="simulated time of Brunel (NEST needs ~20 s per simulated second)")
    p.add_argument("--only", nargs="+", choices=(*BENCHMARKS, "microcircuit"),
                   default=[*BENCHMARKS, "microcircuit"])
    p.add_argument("--scale", type=float, default=microcircuit.DEFAULT_SCALE,
                   help="scale of the microcircuit (1 is its full 77,169 neurons)")
    p.add_argument("--repeat", type=int, default=3, help="runs per engine; the median counts")
    p.add_argument("--skip-peers", action="store_true", help="run ours only")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="also run ours and NEST on N threads, beside the one-thread runs (default: 2 where the "
                        "machine has two cores; 1 runs one thread only)")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error(f"--threads must be at least 1, not {args.threads}")
    if not args.skip_peers and not Path(args.peers_python).is_file():
        p.error(f"{args.peers_python} does not exist; run `make peers` first or pass --skip-peers")

    # Every engine gets one OpenMP and one BLAS thread: none uses them in its loop, and idle BLAS threads spin on
    # the cores the runs' own threads need (engine/__init__.py).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    rows, failed, hosts = [], [], []
    probe_dir = tempfile.TemporaryDirectory(prefix="ncs-host-check-")
    probe = host_check.build_probe(Path(probe_dir.name)) if args.threads > 1 else None

    def check_host(when: str) -> None:
        if probe is not None:
            hosts.append({"when": when, **host_check.check(probe, min(args.threads, os.cpu_count() or 1))})

    for name in [b for b in BENCHMARKS if b in args.only]:
        duration = args.brunel_duration if name == "brunel" else args.duration
        engines = [(OURS, 1)] + ([] if args.skip_peers else [(peer, 1) for peer in PEERS])
        if args.threads > 1:
            engines += [(OURS, args.threads)] + ([] if args.skip_peers else [("nest", args.threads)])
        for engine, threads in engines:
            print(f"{name}: {engine} on {threads} thread(s) ({args.repeat} x {duration:g} s) ...", file=sys.stderr,
                  flush=True)
            if engine == OURS and threads > 1:
                check_host(f"before {name} on {threads} threads")
            try:
                if engine == OURS:
                    rows.append(measure_ours(name, duration, args.repeat, env, threads))
                else:
                    rows.append(measure_peer(engine, name, duration, args.repeat, args.peers_python, env, threads))
            except BenchmarkFailed as exc:
                failed.append(f"{name}/{engine}/{threads}")
                print(f"{name}: {engine} on {threads} thread(s) failed: {exc}", file=sys.stderr)

    check_host("after the runs on several threads")
    rates, targets, scales = rate_checks(rows), target_checks(rows, args.threads), scaling(rows)
    print(report(rows, rates, targets, scales, hosts))
    circuit = None
    if "microcircuit" in args.only:
        check_host("before the microcircuit")
        try:
            text, circuit = microcircuit.run([args.scale], args.duration, microcircuit.SKIP_S, args.repeat,
                                             sorted({1, args.threads}),
                                             None if args.skip_peers else args.peers_python)
            print("\n" + text)
            if probe is not None:
                print(host_check.describe(hosts[-1], hosts[-1]["when"]))
            speedup = microcircuit_target(circuit, args.threads)
            if speedup is not None:
                targets.append(speedup)
                print(target_line(speedup))
        except RuntimeError as exc:
            failed.append("microcircuit")
            print(f"microcircuit failed: {exc}", file=sys.stderr)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "repeat": args.repeat,
        "rows": [{**asdict(m), "run_per_sim_s": m.run_per_sim_s, "mean_rate_hz": m.mean_rate_hz,
                  "peer_over_ours": ratio(m, rows)} for m in rows],
        "rate_checks": rates,
        "scaling": scales,
        "host_checks": hosts,
        "targets": targets,
        "microcircuit": circuit,
        "failed": failed,
    }
    probe_dir.cleanup()
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(RESULTS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
