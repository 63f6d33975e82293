# amaranth: UnusedElaboratable=no
"""An SC projection's unit in Amaranth's simulator equals the engine's ScProjection, and the manifest
names every stream."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator

from engine.fixedpoint import QFormat
from engine.network.build import build_network
from engine.network.sc_projection import ScProjection
from hdl.design import plan_network
from hdl.core import NetworkCore
from hdl.generate import manifest_of, memories
from hdl.netcosim import cosimulate_plan
from hdl.sc_delivery import ScProjectionUnit, value_bits
from studio.project.network_def import network_def
from studio.project.project_file import read_project

ROOT = Path(__file__).resolve().parents[2]
SC_DEMO = ROOT / "resources" / "examples" / "sc_demo.ncsproj"


def _network():
    return build_network(network_def(read_project(SC_DEMO), []), QFormat.parse("Q16.16"))


def test_the_unit_delivers_what_the_engine_computes_emission_after_emission():
    network = _network()
    plan = network.sc["IE"].plan
    engine = ScProjection(plan, network.sc["IE"].target_size)
    source_size = network.projections["IE"].source.size
    dut = ScProjectionUnit(plan, source_size, 5, value_bits(plan))
    emissions = [[5], [], [0, 3, 7], list(range(8))]
    delivered: list[dict[int, int]] = []

    async def bench(ctx):
        for active in emissions:
            for neuron in active:
                ctx.set(dut.activate, 1)
                ctx.set(dut.activate_neuron, neuron)
                await ctx.tick()
            ctx.set(dut.activate, 0)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.out_ready, 1)
            got = {}
            while not ctx.get(dut.done):
                if ctx.get(dut.out_valid):
                    got[ctx.get(dut.out_target)] = ctx.get(dut.out_value)
                await ctx.tick()
            delivered.append(got)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    for active, got in zip(emissions, delivered):
        mask = np.zeros(source_size, dtype=bool)
        mask[active] = True
        expected = engine.emit(mask)
        if expected is None:
            assert got == {}
            continue
        assert got == {int(j): int(expected[j]) for j in plan.targets}
        assert any(got.values())


def test_the_manifest_names_each_projections_streams_and_tables():
    network = _network()
    plan = plan_network(network, "sc_demo")
    core = NetworkCore(plan)
    manifest = manifest_of(plan, core, "sc_demo", "sc_demo.ncsproj", {})
    streams = {(s["projection"], s["stream"]): (s["source"], s["seed"], s["length"]) for s in manifest["sc_streams"]}
    assert streams[("IE", "data")] == ("halton", 4099, 64)
    assert streams[("EE", "data")][0] == "lfsr16" and streams[("EE", "select")][0] == "halton"
    for name in ("EE", "EI", "IE"):
        assert streams[(name, "data")][0] != streams[(name, "select")][0]  # never one sequence for both
    assert [q["arithmetic"] for q in manifest["projections"]] == ["sc, L = 256", "sc, L = 128", "sc, L = 64", "fixed"]
    names = {m["name"] for m in memories(plan, core)}
    assert {"delivery.sc_EE.targets", "delivery.sc_EE.inputs", "delivery.sc_IE.inputs"} <= names


@pytest.mark.slow
@pytest.mark.tools("verilator")
def test_sc_demo_is_bit_exact_from_the_command_line_and_a_wrong_seed_is_caught():
    result = subprocess.run([sys.executable, "-m", "studio.cli.main", "cosim", "resources/examples/sc_demo.ncsproj",
                             "--duration", "300 ms", "--json"], cwd=ROOT, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bit_exact"] is True and report["first_divergence"] is None and report["steps"] == 3000
    assert report["spikes_rtl"] == report["spikes_engine"] > 1000
    network = _network()
    plan = plan_network(network, "sc_demo_wrong_seed")
    wrong = dataclasses.replace(plan.projections[0], sc=dataclasses.replace(plan.projections[0].sc, seed=1))
    plan = dataclasses.replace(plan, projections=(wrong, *plan.projections[1:]))
    report = cosimulate_plan(plan, network, 300)
    assert not report.bit_exact and report.first_divergence["population"] == "E"
