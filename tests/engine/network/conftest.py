"""Shared pieces of the network tests: a probe model that makes device input readable, and a runner."""

import pytest

from engine.equations.model import ModelSpec, Receptor
from engine.network.build import build_network
from engine.run.simulation import Simulation

# Q integrates the injected current exactly (dQ = dt*I/C, so with C = 1 pF and dt = 0.1 ms a
# current of I pA adds 0.1*I mV) and jumps by the weight of every arriving spike; it never fires.
PROBE = ModelSpec(
    equations="dQ/dt = I_stim/C : volt\nC : farad\nI_stim : amp",
    parameters={"C": "1 pF"},
    receptors={"in": Receptor("Q += w")},
    current_input="I_stim",
    method="exact",
)


@pytest.fixture
def probe() -> ModelSpec:
    return PROBE


@pytest.fixture
def simulate():
    """Build ``net``, run it for ``ms`` milliseconds in chunks of ``chunk_steps`` and return the Simulation."""

    def run(net, ms: float, chunk_steps: int = 100) -> Simulation:
        sim = Simulation(build_network(net), chunk_steps=chunk_steps)
        sim.run(ms * 1e-3)
        return sim

    return run
