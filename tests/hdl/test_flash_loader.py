# amaranth: UnusedElaboratable=no
"""The flash loader in Amaranth's simulator, against a model of a SPI flash holding the tables' image."""

import pytest
from amaranth.sim import Simulator

from engine.fixedpoint import QFormat
from engine.network.build import build_network
from engine.network.connect import Rule
from engine.network.definitions import NetworkDef, PopulationDef, ProjectionDef
from hdl.core import NetworkCore
from hdl.design import plan_network
from hdl.flash_loader import FLASH_OFFSET, FlashLoader, flash_image, word_bytes
from tests.engine.network.test_simulation import CUBA_LIF


def _core(tables: str = "loaded") -> NetworkCore:
    pops = (PopulationDef("E", CUBA_LIF, 16), PopulationDef("I", CUBA_LIF, 4))
    projections = (ProjectionDef("EI", "E", "I", Rule("pairwise_bernoulli", p=0.5), "1.6 mV", "0.3 ms",
                                 on_pre="ge += w"),
                   ProjectionDef("IE", "I", "E", Rule("pairwise_bernoulli", p=0.5), "-9 mV", "0.1 ms",
                                 on_pre="gi += w"))
    network = build_network(NetworkDef(pops, projections, (), seed=3), QFormat.parse("Q8.8"))
    return NetworkCore(plan_network(network, "small"), tables=tables)


def test_the_loader_writes_every_word_of_the_image_read_from_flash():
    core = _core()
    loader = FlashLoader(core)
    image = flash_image(core)
    assert len(image) == len(core.table_image()) * word_bytes(core)
    written, commands = [], []

    async def flash_and_core(ctx):
        sck = selected = 0
        command, nbits, address, out = 0, 0, None, []
        for _ in range(40 * len(image) + 2000):
            await ctx.tick()
            if ctx.get(core.load_valid):
                written.append((ctx.get(core.load_addr), ctx.get(core.load_data)))
            cs, now = ctx.get(loader.cs), ctx.get(loader.sck)
            if not cs:
                if selected and nbits:
                    commands.append((command >> max(nbits - 8, 0), nbits))
                selected, command, nbits, address = 0, 0, 0, None
            elif address is None and not sck and now:  # the flash samples on the rising edge
                selected = 1
                command, nbits = command << 1 | ctx.get(loader.copi), nbits + 1
                if nbits == 32 and command >> 24 == 0x03:
                    address = command & 0xFFFFFF
                    out = [b >> (7 - k) & 1 for b in image[address - FLASH_OFFSET:] for k in range(8)]
            elif address is not None and sck and not now and out:  # and shifts out on the falling edge
                ctx.set(loader.cipo, out.pop(0))
            sck = now
            if ctx.get(loader.done):
                break

    sim = Simulator(loader)
    sim.add_clock(1e-6)
    sim.add_testbench(flash_and_core)
    sim.run()
    assert commands[0] == (0xAB, 8)  # wake the flash, then read from the tables' offset
    assert [a for a, _ in written] == list(range(len(core.table_image())))
    assert [d for _, d in written] == core.table_image()


def test_a_core_with_its_tables_in_block_ram_has_nothing_to_load():
    with pytest.raises(ValueError, match=r"^the core keeps its tables in block RAM: there is nothing to load$"):
        FlashLoader(_core("rom"))
