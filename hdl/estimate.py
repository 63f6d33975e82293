# amaranth: UnusedElaboratable=no
"""How much of a board's FPGA a network core needs, estimated from its plan before any synthesis.

:func:`estimate_resources` reads what the generator already knows without
running a tool: every memory of the core (:func:`hdl.generate.memories`)
packed into the device's block RAMs, the multipliers of each datapath
(:class:`~hdl.datapath.DatapathResources`) in the device's DSP blocks, and
logic from the datapaths' pipeline bits and memory widths.  It takes a fraction
of a second (the core is elaborated, not converted to Verilog), so the studio
follows edits with it; synthesis (:mod:`hdl.board_build`) gives the real counts.

The logic model is linear and calibrated on Yosys ``synth_ice40`` runs of the
example cores (see ``LUTS_PER_BIT``); DSP blocks are counted for every
multiplier of the datapaths, an upper bound (Yosys removes some: hil_demo in
Q16.16 lists 10 DSP blocks' worth and uses 6).  It is meant to say early that a
design will not fit, and by what, not to predict the last LUT.
"""

from __future__ import annotations

from dataclasses import dataclass

from hdl.boards import Board
from hdl.core import NetworkCore
from hdl.design import NetworkPlan
from hdl.generate import BLOCK_RAM_SHAPES, block_rams, memories

__all__ = ["RESOURCES", "ResourceEstimate", "estimate_resources"]

# The board resources in the order they are shown, with the names people read.
RESOURCES = {"luts": "LUT", "ffs": "FF", "brams": "BRAM", "sprams": "SPRAM", "dsps": "DSP"}
# ECP5 DP16KD shapes (words x bits); iCE40 SB_RAM40_4K shapes are hdl.generate.BLOCK_RAM_SHAPES.
ECP5_BLOCK_RAM_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
# Multiplier operand widths one DSP block takes (iCE40 SB_MAC16, ECP5 MULT18X18D).
DSP_WIDTH = {"ice40": 16, "ecp5": 18}
# Logic per bit of datapath pipeline and memory word, and the control around them (sequencer, delivery,
# counters, the board's top): fitted to synth_ice40 of hil_demo in Q8.8 (1,376 LUT4, 1,237 flip-flops)
# and Q16.16 (2,108 LUT4, 1,697 flip-flops).
LUTS_PER_BIT, LUTS_BASE = 1.9, 170
FFS_PER_BIT, FFS_BASE = 1.2, 480


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
            caveat = " (an upper bound: Yosys often removes or narrows a multiplier)" if self.over == ["dsps"] else ""
            return f"does not fit the {self.device} of the {self.board}: needs about {', '.join(parts)}{caveat}"
        shares = {k: self.used[k] / self.available[k] for k in RESOURCES if self.available[k]}
        tight = max(shares, key=shares.get)
        return f"fits the {self.device} of the {self.board} (about {shares[tight]:.0%} of its {RESOURCES[tight]}s)"

    def to_json(self) -> dict:
        return {"board": self.board, "device": self.device, "used": dict(self.used),
                "available": dict(self.available), "over": self.over, "neurons": self.neurons,
                "synapses": self.synapses, "memory_bits": self.memory_bits}


def _dsps(widths: tuple[int, int], family: str) -> int:
    size = DSP_WIDTH[family]
    return -(-widths[0] // size) * -(-widths[1] // size)


def estimate_resources(plan: NetworkPlan, board: Board, core: NetworkCore | None = None) -> ResourceEstimate:
    """The resources the core of ``plan`` needs on ``board`` (``core``: the elaborated core, if at hand)."""
    core = core or NetworkCore(plan)
    family = board.family
    capacity = board.capacity
    mems = memories(plan, core)
    shapes = BLOCK_RAM_SHAPES if family == "ice40" else ECP5_BLOCK_RAM_SHAPES
    datapaths = [unit.datapath.resources for unit in core.units]
    multipliers = [m for d in datapaths for m in d.multipliers]
    bits = sum(d.pipeline_register_bits for d in datapaths) + sum(m["width"] for m in mems)
    luts = LUTS_BASE + LUTS_PER_BIT * bits
    dsps = sum(_dsps(m, family) for m in multipliers) if capacity.dsps else 0
    if not capacity.dsps:  # multipliers become LUT logic: about one LUT per partial-product bit
        luts += sum(a * b for a, b in multipliers)
    used = {"luts": round(luts), "ffs": round(FFS_BASE + FFS_PER_BIT * bits),
            "brams": sum(block_rams(m["words"], m["width"], shapes) for m in mems), "sprams": 0, "dsps": dsps}
    available = {k: getattr(capacity, k) for k in RESOURCES}
    return ResourceEstimate(board.name, board.device, used, available, plan.n_neurons, plan.n_synapses,
                            sum(m["bits"] for m in mems))
