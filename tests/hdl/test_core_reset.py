# amaranth: UnusedElaboratable=no
"""A resettable core, in Amaranth's simulator: after ``reset`` it steps exactly as it did from power-up."""

from amaranth.sim import Simulator

from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.network.build import build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from hdl.core import NetworkCore
from hdl.design import plan_network

STEPS = 40


def _core() -> NetworkCore:
    """Random initial potentials (the ROM beside the state), recurrent delays and a Poisson drive: every
    kind of memory and register a reset must restore."""
    model = get_model("iaf_psc_exp")
    definition = NetworkDef(
        populations=(PopulationDef("E", model, 12, initial={"V_m": "E_L + rand()*(V_th - E_L)"}),),
        projections=(ProjectionDef("EE", "E", "E", Rule("fixed_indegree", k=3), "200 pA", "0.3 ms"),),
        devices=(DeviceDef("drive", "poisson_generator", "E", {"rate": "40 kHz"}, weight="30 pA", delay="0.2 ms"),),
        dt="0.1 ms", seed=4)
    plan = plan_network(build_network(definition, fmt=QFormat.parse("Q16.16")), "reset")
    return NetworkCore(plan, resettable=True)


def _run(core: NetworkCore, reset_after: int | None) -> list[list[tuple]]:
    """The spikes of each of ``STEPS`` steps, twice over when ``reset_after`` steps are followed by a reset."""
    runs: list[list[tuple]] = [[]]

    async def bench(ctx):
        for run in range(2 if reset_after else 1):
            for _ in range(reset_after or STEPS):
                ctx.set(core.step_req, 1)
                await ctx.tick()
                ctx.set(core.step_req, 0)
                step = []
                while True:
                    if ctx.get(core.spike_valid):
                        step.append((ctx.get(core.step), ctx.get(core.spike_neuron)))
                    if ctx.get(core.step_done):
                        break
                    await ctx.tick()
                runs[-1].append(step)
                await ctx.tick()
            if run == 0 and reset_after:
                assert ctx.get(core.step) == reset_after
                ctx.set(core.reset, 1)
                await ctx.tick()
                ctx.set(core.reset, 0)
                await ctx.tick().until(~core.busy)
                assert (ctx.get(core.step), ctx.get(core.spike_count)) == (0, 0)
                runs.append([])

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return runs


def test_after_a_reset_the_core_repeats_its_first_steps_spike_for_spike():
    first, again = _run(_core(), reset_after=STEPS)
    assert sum(map(len, first)) > 10  # the network is lively
    assert again == first


def test_a_reset_midway_restores_the_initial_state_and_the_generators():
    (unreset,) = _run(_core(), reset_after=None)
    first, again = _run(_core(), reset_after=STEPS // 2)
    assert first == unreset[:STEPS // 2]
    assert again == unreset[:STEPS // 2]
