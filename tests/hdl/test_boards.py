"""The board list (hdl/boards.py): every fact read from amaranth-boards, unknown names refused."""

from __future__ import annotations

import re

import pytest

from hdl.boards import BOARDS, CAPACITY, UnknownBoard, find_board


def test_the_supported_boards_and_what_amaranth_boards_says_about_them():
    seen = {name: (b.device, b.package, b.family, b.clock_hz, b.loader) for name, b in BOARDS.items()}
    assert seen == {
        "icebreaker": ("iCE40UP5K", "SG48", "ice40", 12e6, "ice40_generic"),
        "icesugar": ("iCE40UP5K", "SG48", "ice40", 12e6, ""),
        "ice40-hx8k": ("iCE40HX8K", "CT256", "ice40", 12e6, "ice40_generic"),
        "ulx3s": ("LFE5U-85F", "BG381", "ecp5", 25e6, "ulx3s"),
        "orangecrab": ("LFE5U-25F", "MG285", "ecp5", 48e6, "orangeCrab"),
    }


def test_every_board_has_its_device_capacity():
    for board in BOARDS.values():
        assert board.device in CAPACITY
    up5k = find_board("icebreaker").capacity
    assert (up5k.luts, up5k.ffs, up5k.brams, up5k.sprams, up5k.dsps) == (5280, 5280, 30, 4, 8)
    assert up5k.ram_bits == 30 * 4096


def test_board_resources_come_from_the_platform():
    assert find_board("icebreaker").has_resource("uart")
    assert not find_board("orangecrab").has_resource("uart")  # USB only: no UART pins


def test_an_unknown_board_is_refused_with_the_known_ones():
    with pytest.raises(UnknownBoard, match=re.escape(
            "unknown board `icebreakr` (known: icebreaker, icesugar, ice40-hx8k, ulx3s, orangecrab)")):
        find_board("icebreakr")
