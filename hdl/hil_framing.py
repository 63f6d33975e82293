"""HIL framing in gateware: payload bytes to wire bytes and back (docs/hil-protocol.md).

:class:`FrameEncoder` appends the protocol CRC to a payload, COBS-encodes it
and ends the frame with ``0x00``; :class:`FrameDecoder` undoes that on the way
in and flags each payload good or bad.  Both take and give bytes on
``amaranth.lib.stream`` interfaces (``valid``/``ready``), so they sit between a
UART and the board's message logic.  The CRC is ``amaranth.lib.crc`` built from
:data:`hdl.hil_protocol.CRC`, the one description the host codec uses too.
"""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import crc, data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.hil_protocol import CRC, CRC_BYTES, MAX_ENCODED, Status, field_offsets

__all__ = ["COUNTER_BITS", "FrameDecoder", "FrameEncoder", "PAYLOAD_BYTE", "CHECKED_BYTE", "crc_parameters"]

COUNTER_BITS = 8 * field_offsets(Status)["rx_errors"][1]  # the counter the board reports
BLOCK = 254  # the longest COBS block (code 0xFF)

PAYLOAD_BYTE = data.StructLayout({"data": 8, "last": 1})  # ``last`` marks a frame's final payload byte
CHECKED_BYTE = data.StructLayout({"data": 8, "last": 1, "ok": 1})  # ``ok``, with ``last``: the frame is good


def crc_parameters() -> crc.Parameters:
    """The protocol CRC over bytes, for ``amaranth.lib.crc``."""
    return crc.Algorithm(crc_width=CRC.width, polynomial=CRC.polynomial, initial_crc=CRC.initial,
                         reflect_input=CRC.reflect_input, reflect_output=CRC.reflect_output,
                         xor_output=CRC.xor_output)(data_width=8)


class FrameEncoder(wiring.Component):
    """Payload bytes in (``i``, the last one marked), frame bytes out (``o``): COBS(payload + CRC) + 0x00.

    A COBS block (up to 254 bytes) waits in a block RAM until its length is known, so input stalls while a
    block goes out: about two clocks per byte at worst, far faster than any UART.  The sender keeps
    payloads to :data:`~hdl.hil_protocol.MAX_PAYLOAD` bytes (longer ones are framed, and refused by the
    receiver).
    """

    i: In(stream.Signature(PAYLOAD_BYTE))
    o: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        m.submodules.crc = checker = crc_parameters().create()
        m.submodules.block = block = Memory(shape=8, depth=BLOCK, init=[])
        write, read = block.write_port(), block.read_port()

        count = Signal(range(BLOCK + 1))  # bytes of the current block in the RAM
        sent = Signal(range(BLOCK))  # bytes of it sent
        code = Signal(8)  # the code byte of the block being sent
        phase = Signal(range(CRC_BYTES + 1))  # 0: taking payload; k: taking the CRC's k-th byte
        first = Signal(init=1)  # the next payload byte starts a frame
        after = Signal(2)  # where to go once the block is out: TAKE, FINAL (empty last block), DELIMIT
        TAKE, FINAL, DELIMIT = 0, 1, 2

        byte = Signal(8)
        data_ends = Signal()  # this byte is the frame's last (the CRC's last)
        m.d.comb += [
            byte.eq(Mux(phase == 0, self.i.payload.data,
                        checker.crc.word_select((phase - 1)[:max(1, (CRC_BYTES - 1).bit_length())], 8))),
            data_ends.eq(phase == CRC_BYTES),
            checker.data.eq(self.i.payload.data),
            write.addr.eq(count),
            write.data.eq(byte),
            read.addr.eq(sent),
        ]

        def block_out(then):
            m.d.sync += after.eq(then)
            m.next = "CODE"

        def resume():
            with m.Switch(after):
                with m.Case(TAKE):
                    m.next = "TAKE"
                with m.Case(FINAL):
                    m.d.sync += code.eq(1)
                    m.next = "FINAL"
                with m.Default():
                    m.next = "DELIMIT"

        with m.FSM():
            with m.State("TAKE"):
                m.d.comb += self.i.ready.eq(phase == 0)
                with m.If((phase != 0) | self.i.valid):
                    with m.If(phase == 0):
                        m.d.comb += [checker.valid.eq(1), checker.start.eq(first)]
                        m.d.sync += [first.eq(0), phase.eq(self.i.payload.last)]
                    with m.Else():
                        m.d.sync += [phase.eq(Mux(data_ends, 0, phase + 1)), first.eq(data_ends)]
                    with m.If(byte == 0):  # a zero ends the block; after the last byte an empty block follows
                        m.d.sync += code.eq(count + 1)
                        block_out(Mux(data_ends, FINAL, TAKE))
                    with m.Else():
                        m.d.comb += write.en.eq(1)
                        m.d.sync += count.eq(count + 1)
                        with m.If(count == BLOCK - 1):  # a full block ends without an implicit zero
                            m.d.sync += code.eq(0xFF)
                            block_out(Mux(data_ends, DELIMIT, TAKE))
                        with m.Elif(data_ends):
                            m.d.sync += code.eq(count + 2)
                            block_out(DELIMIT)
            with m.State("FINAL"):
                m.d.sync += after.eq(DELIMIT)
                m.next = "CODE"
            with m.State("CODE"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(code)]
                with m.If(self.o.ready):
                    with m.If(count == 0):
                        resume()
                    with m.Else():
                        m.next = "DRAIN"
            with m.State("DRAIN"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(read.data)]
                with m.If(self.o.ready):
                    m.d.comb += read.addr.eq(sent + 1)
                    m.d.sync += sent.eq(sent + 1)
                    with m.If(sent == count - 1):
                        m.d.sync += [sent.eq(0), count.eq(0)]
                        resume()
            with m.State("DELIMIT"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(0)]
                with m.If(self.o.ready):
                    m.next = "TAKE"
        return m


class FrameDecoder(wiring.Component):
    """Frame bytes in (``i``), payload bytes out (``o``); the last byte of each frame carries ``ok``.

    Bytes are COBS-decoded as they arrive and leave :data:`~hdl.hil_protocol.CRC_BYTES` bytes later, so
    the CRC never reaches ``o``; ``ok`` says the frame's CRC matched (its residue), its COBS was whole and
    it had at most 255 encoded bytes.  A frame too short to hold a payload yields nothing.  Whatever
    arrives before the first delimiter counts as a (bad) frame, so the decoder resynchronises on its own.
    ``frames_bad`` counts bad frames (every non-empty run of bytes between delimiters that is not good),
    the board's ``Status.rx_errors``.
    """

    i: In(stream.Signature(8))
    o: Out(stream.Signature(CHECKED_BYTE))
    frames_bad: Out(COUNTER_BITS)

    def elaborate(self, platform):
        m = Module()
        m.submodules.crc = checker = crc_parameters().create()
        depth = CRC_BYTES + 1
        held = [Signal(8, name=f"held_{k}") for k in range(depth)]  # held[0] the oldest decoded byte
        n_held = Signal(range(depth + 1))
        remaining = Signal(8)  # bytes left in the current block (0: the next byte is a code byte)
        zero_pending = Signal()  # the block ended below 0xFF: a zero follows if more data comes
        in_frame = Signal()
        encoded = Signal(range(MAX_ENCODED + 2))  # encoded bytes in this frame, stops at MAX_ENCODED + 1

        m.d.comb += self.i.ready.eq(~self.o.valid | self.o.ready)
        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)

        x = self.i.payload
        decoded = Signal(8)
        decoded_valid = Signal()
        with m.If(self.i.valid & self.i.ready):
            with m.If(x == 0):
                good = (remaining == 0) & checker.match_detected & (encoded <= MAX_ENCODED) & (n_held == depth)
                with m.If(in_frame & ~good):
                    m.d.sync += self.frames_bad.eq(self.frames_bad + 1)
                with m.If(n_held == depth):
                    m.d.sync += [self.o.valid.eq(1), self.o.payload.data.eq(held[0]),
                                 self.o.payload.last.eq(1), self.o.payload.ok.eq(good)]
                m.d.sync += [remaining.eq(0), zero_pending.eq(0), in_frame.eq(0), n_held.eq(0), encoded.eq(0)]
            with m.Else():
                m.d.sync += in_frame.eq(1)
                with m.If(encoded <= MAX_ENCODED):
                    m.d.sync += encoded.eq(encoded + 1)
                with m.If(remaining == 0):
                    m.d.comb += [decoded.eq(0), decoded_valid.eq(zero_pending)]
                    m.d.sync += [remaining.eq(x - 1), zero_pending.eq(x != 0xFF)]
                with m.Else():
                    m.d.comb += [decoded.eq(x), decoded_valid.eq(1)]
                    m.d.sync += remaining.eq(remaining - 1)

        with m.If(decoded_valid):
            m.d.comb += [checker.valid.eq(1), checker.start.eq(n_held == 0),
                         checker.data.eq(decoded)]
            with m.If(n_held == depth):
                m.d.sync += [self.o.valid.eq(1), self.o.payload.data.eq(held[0]),
                             self.o.payload.last.eq(0), self.o.payload.ok.eq(0)]
                m.d.sync += [held[k].eq(held[k + 1]) for k in range(depth - 1)]
                m.d.sync += held[-1].eq(decoded)
            with m.Else():
                with m.Switch(n_held):
                    for k in range(depth):
                        with m.Case(k):
                            m.d.sync += held[k].eq(decoded)
                m.d.sync += n_held.eq(n_held + 1)
        return m
