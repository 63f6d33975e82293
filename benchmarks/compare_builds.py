"""Two builds of the engine on one benchmark, taking turns, beside Brian2's cpp_standalone.

Run::

    .venv/bin/python benchmarks/compare_builds.py BEFORE_TREE AFTER_TREE [--benchmark coba] [--rounds 5] \\
        [--duration 2s] [--peers-python .venv-peers/bin/python]

Each tree is a checkout of the project with its ext/ built.  Every round runs
``ncstudio bench NAME --json`` once from each tree, each in a process of its
own (the trees take turns, so a change in the machine's load falls on both),
then Brian2's cpp_standalone once (``benchmarks/peers/brian2_bench.py``,
skipped with ``--skip-peers``).  Prints each one's run time per simulated
second, median [min-max] over the rounds, as ``make bench`` counts it (ours:
the step loop plus the devices around it; Brian2: its loop's processor time),
ours also in processor time, the ratio to Brian2, whether the trees' spike
counts agree, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from run_all import PEER_SCRIPTS, PEERS, ROOT, run_process

from engine.equations.units import SECOND
from studio.cli.arguments import positive, quantity


def _ours(tree: Path, name: str, duration_s: float, env: dict[str, str]) -> dict:
    stdout, _ = run_process([sys.executable, "-m", "studio.cli.main", "bench", name, "--duration",
                             f"{duration_s} s", "--json"], {**env, "PYTHONPATH": str(tree)}, cwd=tree)
    return json.loads(stdout)


def _brian2(python: str, name: str, duration_s: float, env: dict[str, str]) -> dict:
    script, extra = PEERS["brian2-cpp"]
    stdout, _ = run_process([python, str(PEER_SCRIPTS / script), name, "--duration", str(duration_s),
                             "--repeat", "1", *extra], env)
    return next(json.loads(line) for line in stdout.splitlines() if line.startswith("{"))


def _spread(values: list[float], sim_s: float) -> str:
    return (f"{statistics.median(values) / sim_s:.3f} [{min(values) / sim_s:.3f}-{max(values) / sim_s:.3f}]"
            f" s/sim s")


def _times(record: dict) -> tuple[float, float]:
    """A run's wall and processor time: the whole run call's, or in a tree from before ``run_s`` (whose
    ``cpu_s`` was the loop's alone) the loop's and the devices' around it."""
    if "run_s" in record:
        return record["run_s"], record["cpu_s"]
    devices = record.get("devices_s", 0.0)
    return record["wall_s"] + devices, record.get("cpu_s", 0.0) + devices


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path, help="the tree of the build before the change")
    p.add_argument("after", type=Path, help="the tree of the build after it")
    p.add_argument("--benchmark", default="coba", choices=("cuba", "coba", "brunel"))
    p.add_argument("--rounds", type=int, default=5, help="runs of each (at least 5 for a median with a spread)")
    p.add_argument("--duration", type=positive(quantity(SECOND)), default=2.0, metavar="T")
    p.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    p.add_argument("--skip-peers", action="store_true")
    args = p.parse_args(argv)
    for tree in (args.before, args.after):
        if not (tree / "studio" / "cli" / "main.py").is_file():
            p.error(f"{tree} is not a checkout of the project")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {"before": [], "after": [], "brian2-cpp": []}
    for k in range(args.rounds):
        print(f"round {k + 1} of {args.rounds} ...", file=sys.stderr, flush=True)
        runs["before"].append(_ours(args.before, args.benchmark, args.duration, env))
        runs["after"].append(_ours(args.after, args.benchmark, args.duration, env))
        if not args.skip_peers:
            runs["brian2-cpp"].append(_brian2(args.peers_python, args.benchmark, args.duration, env))
    load_after = os.getloadavg()
    walls = {who: [_times(r)[0] for r in rs] for who, rs in runs.items() if rs}
    cpus = {who: [_times(r)[1] for r in runs[who]] for who in ("before", "after")}
    peer = statistics.median(walls["brian2-cpp"]) if "brian2-cpp" in walls else None
    print(f"{args.benchmark}, {args.duration:g} s simulated, {args.rounds} rounds; load average "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after")
    for who, values in walls.items():
        line = f"  {who:<10} {_spread(values, args.duration)}"
        if who in cpus:
            line += f"; processor {_spread(cpus[who], args.duration)}"
            if peer is not None:
                line += (f"; / Brian2 cpp_standalone {statistics.median(values) / peer:.2f}x"
                         f" (processor {statistics.median(cpus[who]) / peer:.2f}x)")
        print(line)
    same = runs["before"][0]["spikes"] == runs["after"][0]["spikes"]
    print(f"  spike counts {'agree' if same else 'DIFFER'}: before {runs['before'][0]['spikes']}, "
          f"after {runs['after'][0]['spikes']}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
