"""A UART: 8N1 receiver and transmitter with byte streams, for a board's serial port.

Both sides count a bit as ``divisor`` clocks (:func:`uart_divisor`).  The
default rate is 3 Mbaud (an FT2232H, as on the iCEBreaker, runs it from its
12 MHz clock with divisor 4); when the clock is not close to a multiple of
it, :func:`uart_baud` falls back to the next standard rate the clock divides
within 1 % (a 25 MHz clock: 1 Mbaud).  The receiver synchronises ``rx`` with
two flip-flops, checks the start bit half a bit in, samples every bit in its
middle and checks the stop bit; a byte with a bad stop bit is dropped and
counted (``framing_errors``), a byte that arrives before the previous one was
taken replaces it and is counted (``overruns``).

The bytes travel as :mod:`amaranth.lib.stream` streams (``payload``, ``valid``,
``ready``): the receiver's ``o`` and the transmitter's ``i``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["BAUD_RATES", "DEFAULT_BAUD", "UARTReceiver", "UARTTransmitter", "uart_baud", "uart_divisor"]

DEFAULT_BAUD = 3_000_000
BAUD_RATES = (3_000_000, 2_000_000, 1_000_000, 921_600, 460_800, 230_400, 115_200)
MIN_DIVISOR = 4  # clocks per bit: the receiver samples half a bit after the start edge
MAX_ERROR = 0.01  # relative baud error both ends tolerate with margin (8N1 allows ~4 % in total)


def uart_divisor(clock_hz: float, baud: int) -> int:
    """Clocks per bit for ``baud`` at ``clock_hz`` (rounded)."""
    return int(round(clock_hz / baud))


def uart_baud(clock_hz: float, wanted: int = DEFAULT_BAUD) -> int:
    """The fastest standard rate up to ``wanted`` that ``clock_hz`` divides within 1 %.

    Raises
    ------
    ValueError
        When the clock is too slow for any of :data:`BAUD_RATES`.
    """
    for baud in (b for b in BAUD_RATES if b <= wanted):
        divisor = uart_divisor(clock_hz, baud)
        if divisor >= MIN_DIVISOR and abs(clock_hz / divisor - baud) <= MAX_ERROR * baud:
            return baud
    raise ValueError(f"a {clock_hz / 1e6:g} MHz clock divides none of the UART rates up to {wanted} baud")


def _check_divisor(divisor: int) -> int:
    if divisor < MIN_DIVISOR:
        raise ValueError(f"a UART bit needs at least {MIN_DIVISOR} clocks, not {divisor}")
    return int(divisor)


class UARTTransmitter(wiring.Component):
    """Sends each byte of stream ``i`` on ``tx`` as 8N1 at ``divisor`` clocks per bit (idle high)."""

    def __init__(self, divisor: int):
        self.divisor = _check_divisor(divisor)
        super().__init__({"i": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        shift = Signal(10)  # start bit, 8 data bits (LSB first), stop bit
        bits = Signal(range(11))
        timer = Signal(range(self.divisor))
        m.d.comb += self.i.ready.eq(bits == 0)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [shift.eq(Cat(0, self.i.payload, 1)), bits.eq(10), timer.eq(0)]
        with m.Elif(bits != 0):
            with m.If(timer == 0):
                m.d.sync += [self.tx.eq(shift[0]), shift.eq(shift >> 1), timer.eq(self.divisor - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 1):
                    m.d.sync += bits.eq(bits - 1)
        return m


class UARTReceiver(wiring.Component):
    """Receives 8N1 bytes on ``rx`` at ``divisor`` clocks per bit into stream ``o``;
    counts ``framing_errors`` (bad stop bit: dropped) and ``overruns`` (a byte not taken in time: replaced)."""

    def __init__(self, divisor: int, counter_bits: int = 16):
        self.divisor = _check_divisor(divisor)
        super().__init__({"rx": In(1, init=1), "o": Out(stream.Signature(8)),
                          "framing_errors": Out(counter_bits), "overruns": Out(counter_bits)})

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self.divisor))
        shift = Signal(8)
        bit = Signal(range(9))
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(self.divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):  # a glitch, not a start bit
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [timer.eq(self.divisor - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shift.eq(Cat(shift[1:], rx)), bit.eq(bit + 1), timer.eq(self.divisor - 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(rx):
                        m.d.sync += [self.o.payload.eq(shift), self.o.valid.eq(1)]
                        with m.If(self.o.valid & ~self.o.ready):
                            m.d.sync += self.overruns.eq(self.overruns + 1)
                    with m.Else():
                        m.d.sync += self.framing_errors.eq(self.framing_errors + 1)
                    m.next = "IDLE"
        return m
