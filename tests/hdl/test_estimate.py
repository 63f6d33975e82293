"""The resource estimate of a core against a board's device, before synthesis."""

from __future__ import annotations

import pytest

from engine.fixedpoint import QFormat
from hdl.boards import find_board
from hdl.design import plan_network
from hdl.estimate import estimate_resources
from studio.project.project_file import EXAMPLES, load_network


def _plan(name: str, fmt: str):
    _, network = load_network(EXAMPLES / f"{name}.ncsproj", fmt=QFormat.parse(fmt))
    return plan_network(network, name)


def test_hil_demo_fits_the_icebreaker():
    estimate = estimate_resources(_plan("hil_demo", "Q8.8"), find_board("icebreaker"))
    assert estimate.fits
    assert estimate.available == {"luts": 5280, "ffs": 5280, "brams": 30, "sprams": 4, "dsps": 8}
    # Yosys synth_ice40 of this core: 1,376 LUT4, 1,237 flip-flops, 22 SB_RAM40_4K, 6 SB_MAC16.
    assert 1376 * 0.8 <= estimate.used["luts"] <= 1376 * 1.2
    assert 1237 * 0.8 <= estimate.used["ffs"] <= 1237 * 1.2
    assert 22 <= estimate.used["brams"] <= 24
    assert (estimate.neurons, estimate.synapses) == (200, 4000)
    assert estimate.verdict().startswith("fits the iCE40UP5K of the icebreaker (about ")


def test_cuba_exceeds_the_up5k_block_ram_and_the_verdict_names_it():
    estimate = estimate_resources(_plan("cuba", "Q8.8"), find_board("icebreaker"))
    assert estimate.over == ["brams"]
    assert estimate.verdict().startswith("does not fit the iCE40UP5K of the icebreaker: needs about 1,")
    assert estimate.verdict().endswith(" BRAM of 30")


@pytest.mark.parametrize("board, brams", [("icebreaker", 23), ("ulx3s", 9)])
def test_block_rams_are_packed_into_the_devices_own_shapes(board, brams):
    # iCE40 4-kbit blocks vs ECP5 18-kbit blocks: the same memories need fewer of the larger ones.
    assert estimate_resources(_plan("hil_demo", "Q8.8"), find_board(board)).used["brams"] == brams


def test_without_dsp_blocks_multipliers_become_logic():
    plan = _plan("hil_demo", "Q8.8")
    with_dsps = estimate_resources(plan, find_board("icebreaker"))
    without = estimate_resources(plan, find_board("ice40-hx8k"))
    assert without.used["dsps"] == 0 and with_dsps.used["dsps"] > 0
    assert without.used["luts"] > with_dsps.used["luts"]
