"""The FPGA boards a network can be built for, one line each, from amaranth-boards.

A :class:`Board` names its amaranth-boards platform class and how openFPGALoader
calls it (``openFPGALoader -b LOADER``); everything else about the board (FPGA,
package, speed grade, clock, pins, UART, LEDs) is read from the platform class,
never restated here.  The one thing amaranth-boards does not know is how big
each device is, so :data:`CAPACITY` lists it per device; after place and route
the report takes the device's size from nextpnr's own utilisation report.

Adding a board is adding one line to :data:`BOARDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.build import Platform
from amaranth_boards.ice40_hx8k_b_evn import ICE40HX8KBEVNPlatform
from amaranth_boards.icebreaker import ICEBreakerPlatform
from amaranth_boards.icesugar import ICESugarPlatform
from amaranth_boards.orangecrab_r0_2 import OrangeCrabR0_2_25FPlatform
from amaranth_boards.ulx3s import ULX3S_85F_Platform

from engine.errors import NeuroCoreError

__all__ = ["BOARDS", "CAPACITY", "Board", "Capacity", "UnknownBoard", "find_board"]


class UnknownBoard(NeuroCoreError):
    """A board name that is not in :data:`BOARDS`; the message lists the known ones."""


@dataclass(frozen=True)
class Capacity:
    """What a device holds: logic cells (one LUT4 each), flip-flops, block RAMs (iCE40 4-kbit
    SB_RAM40_4K, ECP5 18-kbit DP16KD), SPRAMs (iCE40UP 256-kbit SB_SPRAM256KA) and multipliers
    (iCE40UP SB_MAC16, ECP5 MULT18X18D)."""

    luts: int
    ffs: int
    brams: int
    sprams: int
    dsps: int
    bram_bits: int  # bits of one block RAM

    @property
    def ram_bits(self) -> int:
        """Block RAM bits of the device (SPRAM not counted)."""
        return self.brams * self.bram_bits


# The vendors' data sheets (Lattice iCE40 UltraPlus DS1056, iCE40 LP/HX DS1040, ECP5 DS1044).
CAPACITY: dict[str, Capacity] = {
    "iCE40UP5K": Capacity(luts=5280, ffs=5280, brams=30, sprams=4, dsps=8, bram_bits=4096),
    "iCE40HX8K": Capacity(luts=7680, ffs=7680, brams=32, sprams=0, dsps=0, bram_bits=4096),
    "LFE5U-25F": Capacity(luts=24288, ffs=24288, brams=56, sprams=0, dsps=28, bram_bits=18432),
    "LFE5U-85F": Capacity(luts=83640, ffs=83640, brams=208, sprams=0, dsps=156, bram_bits=18432),
}


@dataclass(frozen=True)
class Board:
    """A board: its name here, its amaranth-boards platform and openFPGALoader's name for it."""

    name: str
    platform_class: type[Platform]
    loader: str  # `openFPGALoader -b LOADER`; "" where openFPGALoader cannot program the board
    target_hz: float  # the core's clock (a PLL makes it when the board's oscillator differs; hdl/board_top.py)
    by_hand: str = ""  # how the bitstream reaches a board openFPGALoader cannot program

    def platform(self) -> Platform:
        """A fresh platform instance (a platform builds one design only)."""
        return self.platform_class()

    @property
    def device(self) -> str:
        """The FPGA, as amaranth-boards names it (``iCE40UP5K``, ``LFE5U-85F``)."""
        return self.platform_class.device

    @property
    def package(self) -> str:
        return self.platform_class.package

    @property
    def family(self) -> str:
        """``"ice40"`` or ``"ecp5"``."""
        return self.platform().family.lower()

    @property
    def clock_hz(self) -> float:
        """The frequency of the board's default clock (its oscillator)."""
        return float(self.platform().default_clk_frequency)

    @property
    def capacity(self) -> Capacity:
        return CAPACITY[self.device]

    def has_resource(self, name: str) -> bool:
        """Whether the board has a resource ``name`` (``"uart"``, ``"led"``, ...) number 0."""
        return (name, 0) in self.platform().resources


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board("icebreaker", ICEBreakerPlatform, "ice40_generic", 24e6),
    Board("icesugar", ICESugarPlatform, "", 24e6, "copy it onto the USB drive the board's iCELink mounts"),
    Board("ice40-hx8k", ICE40HX8KBEVNPlatform, "ice40_generic", 24e6),
    Board("ulx3s", ULX3S_85F_Platform, "ulx3s", 50e6),
    Board("orangecrab", OrangeCrabR0_2_25FPlatform, "orangeCrab", 48e6),
)}


def find_board(name: str) -> Board:
    """The board called ``name``.

    Raises
    ------
    UnknownBoard
        For a name not in :data:`BOARDS` (the message lists the known boards).
    """
    try:
        return BOARDS[name]
    except KeyError:
        raise UnknownBoard(f"unknown board `{name}` (known: {', '.join(BOARDS)})") from None
