"""The delivery's tables read from the board's SPI flash into the core before its first step.

A core built with ``tables="loaded"`` (:class:`~hdl.core.NetworkCore`) keeps its row pointers and
synapses in RAM without initial contents (on the iCE40UP, its SPRAM).  :class:`FlashLoader` fills
them after configuration: it wakes the flash (``0xAB``), reads from :data:`FLASH_OFFSET` with the
plain ``0x03`` read command at half the core's clock, and writes every word of
:meth:`~hdl.core.NetworkCore.table_image` through the core's load port.  :func:`flash_image` is the
bytes to write at that offset (each word little-endian in :func:`word_bytes` bytes).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.core import NetworkCore

__all__ = ["FLASH_OFFSET", "FlashLoader", "flash_image", "word_bytes"]

FLASH_OFFSET = 0x100000  # 1 MiB: past the bitstream of every supported iCE40 (at most 135 kB)
READ, WAKE = 0x03, 0xAB
WAKE_CLOCKS = 256  # the flash needs 3 us after the wake command (tRES1); 10 us at 24 MHz


def word_bytes(core: NetworkCore) -> int:
    return -(-core.layout.image_bits // 8)


def flash_image(core: NetworkCore) -> bytes:
    """The bytes :class:`FlashLoader` reads for ``core``'s tables (write them at :data:`FLASH_OFFSET`)."""
    size = word_bytes(core)
    return b"".join(int(w).to_bytes(size, "little") for w in core.table_image())


class FlashLoader(wiring.Component):
    """Reads ``core``'s tables from SPI flash into its load port once after reset.

    Ports: ``cs``, ``sck``, ``copi`` (out), ``cipo`` (in) of the flash; ``done`` once every word is written.
    """

    def __init__(self, core: NetworkCore, offset: int = FLASH_OFFSET):
        if core.tables != "loaded":
            self._MustUse__silence = True  # refused: no half-built component to warn about
            raise ValueError("the core keeps its tables in block RAM: there is nothing to load")
        self.core, self.offset = core, offset
        super().__init__(wiring.Signature({"cs": Out(1), "sck": Out(1), "copi": Out(1), "cipo": In(1),
                                           "done": Out(1)}))

    def elaborate(self, platform):
        m = Module()
        core = self.core
        words, size = len(core.table_image()), word_bytes(core)
        command = Signal(32)  # shifted out MSB first
        bits = Signal(range(33))
        byte, nbits = Signal(8), Signal(range(9))
        word = Signal(size * 8)
        nbytes = Signal(range(size + 1))
        addr = Signal(range(words + 1))
        wait = Signal(range(WAKE_CLOCKS + 1))
        m.d.comb += [core.load_valid.eq(0), core.load_addr.eq(addr), core.load_data.eq(word)]
        with m.FSM(name="flash"):
            with m.State("WAKE"):
                m.d.sync += [self.cs.eq(1), command.eq(WAKE << 24), bits.eq(8)]
                m.next = "SEND"
            with m.State("SEND"):  # one bit per two clocks: data on the falling edge, sampled on the rising
                with m.If(bits == 0):
                    m.d.sync += [self.cs.eq(0), wait.eq(0)]
                    m.next = "PAUSE"
                with m.Elif(~self.sck):
                    m.d.sync += [self.copi.eq(command[31]), self.sck.eq(1)]
                with m.Else():
                    m.d.sync += [self.sck.eq(0), command.eq(command << 1), bits.eq(bits - 1)]
            with m.State("PAUSE"):
                m.d.sync += wait.eq(wait + 1)
                with m.If(wait == WAKE_CLOCKS):
                    m.d.sync += [self.cs.eq(1), command.eq((READ << 24) | self.offset), bits.eq(32)]
                    m.next = "SEND_READ"
            with m.State("SEND_READ"):
                with m.If(bits == 0):
                    m.d.sync += [nbits.eq(0), nbytes.eq(0)]
                    m.next = "READ_BITS"
                with m.Elif(~self.sck):
                    m.d.sync += [self.copi.eq(command[31]), self.sck.eq(1)]
                with m.Else():
                    m.d.sync += [self.sck.eq(0), command.eq(command << 1), bits.eq(bits - 1)]
            with m.State("READ_BITS"):
                with m.If(addr == words):
                    m.d.sync += [self.cs.eq(0), self.sck.eq(0), self.done.eq(1)]
                    m.next = "DONE"
                with m.Elif(nbits == 8):
                    m.d.sync += [word.eq(Cat(word[8:], byte)), nbits.eq(0), nbytes.eq(nbytes + 1)]
                    m.next = "BYTE"
                with m.Elif(~self.sck):
                    m.d.sync += self.sck.eq(1)
                with m.Else():
                    m.d.sync += [self.sck.eq(0), byte.eq(Cat(self.cipo, byte[:7])), nbits.eq(nbits + 1)]
            with m.State("BYTE"):
                with m.If(nbytes == size):
                    m.d.comb += core.load_valid.eq(1)
                    m.d.sync += [addr.eq(addr + 1), nbytes.eq(0)]
                m.next = "READ_BITS"
            with m.State("DONE"):
                pass
        return m
