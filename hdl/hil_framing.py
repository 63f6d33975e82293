"""HIL framing in gateware: payload bytes to wire bytes and back (docs/hil-protocol.md).

:class:`FrameEncoder` appends the protocol CRC to a payload, COBS-encodes it
and ends the frame with ``0x00``; :class:`FrameDecoder` undoes that on the way
in and flags each payload good or bad.  Both take and give bytes on
``amaranth.lib.stream`` interfaces (``valid``/``ready``), so they sit between a
UART and the board's message logic.  The CRC is ``amaranth.lib.crc`` built from
:data:`hdl.hil_protocol.CRC`, the one description the host codec uses too.
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import crc, data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.hil_protocol import CRC, CRC_BYTES, MAX_ENCODED, Status, field_offsets

__all__ = ["COUNTER_BITS", "FrameDecoder", "FrameEncoder", "PAYLOAD_BYTE", "CHECKED_BYTE", "RING", "crc_parameters"]

COUNTER_BITS = 8 * field_offsets(Status)["rx_errors"][1]  # the counter the board reports
BLOCK = 254  # the longest COBS block (code 0xFF)
RING = 512  # bytes of encoded frames waiting for the link (one iCE40 block RAM): two of the longest

PAYLOAD_BYTE = data.StructLayout({"data": 8, "last": 1})  # ``last`` marks a frame's final payload byte
CHECKED_BYTE = data.StructLayout({"data": 8, "last": 1, "ok": 1})  # ``ok``, with ``last``: the frame is good


def crc_parameters() -> crc.Parameters:
    """The protocol CRC over bytes, for ``amaranth.lib.crc``."""
    return crc.Algorithm(crc_width=CRC.width, polynomial=CRC.polynomial, initial_crc=CRC.initial,
                         reflect_input=CRC.reflect_input, reflect_output=CRC.reflect_output,
                         xor_output=CRC.xor_output)(data_width=8)


class FrameEncoder(wiring.Component):
    """Payload bytes in (``i``, the last one marked), frame bytes out (``o``): COBS(payload + CRC) + 0x00.

    Frames are encoded into a ring of :data:`RING` bytes (one block RAM) as the payload streams in, one
    byte a clock: each block's code byte gets a reserved slot that is filled when the block ends (a zero,
    which the slot replaces, or the frame's end), so no block waits for its length.  ``o`` reads only
    whole frames.  ``room`` says a frame may start: no frame is being taken and the ring has space for the
    longest; a frame that starts then is taken without a stall (``i.ready`` stays high to its last byte),
    then the encoder appends the CRC, the last code and the delimiter (four clocks).  The sender keeps
    payloads to :data:`~hdl.hil_protocol.MAX_PAYLOAD` bytes.
    """

    i: In(stream.Signature(PAYLOAD_BYTE))
    o: Out(stream.Signature(8))
    room: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.submodules.crc = checker = crc_parameters().create()
        m.submodules.ring = ring = Memory(shape=8, depth=RING, init=[])
        write, read = ring.write_port(), ring.read_port()
        bits = RING.bit_length() - 1
        wr = Signal(bits, init=1)  # the next free byte (slot 0 is the first frame's code byte)
        code_at = Signal(bits)  # the slot reserved for the current block's code
        code = Signal(8, init=1)  # the current block's code byte: one more than its non-zero bytes
        rd, committed = Signal(bits), Signal(bits)  # the next byte out; the end of the last whole frame
        taking = Signal()  # between a frame's first payload byte and its last
        free = Signal(bits)
        m.d.comb += free.eq(rd - wr)

        def put(byte):
            """One byte of payload or CRC into the ring: a zero closes its block, another is stored."""
            with m.If(byte == 0):
                m.d.comb += [write.addr.eq(code_at), write.data.eq(code), write.en.eq(1)]
                m.d.sync += [code_at.eq(wr), wr.eq(wr + 1), code.eq(1)]
            with m.Else():
                m.d.comb += [write.addr.eq(wr), write.data.eq(byte), write.en.eq(1)]
                m.d.sync += [wr.eq(wr + 1), code.eq(code + 1)]

        with m.FSM():
            with m.State("TAKE"):
                m.d.comb += [self.room.eq(~taking & free[-1]), self.i.ready.eq(taking | self.room)]
                with m.If(self.i.valid & self.i.ready):
                    m.d.comb += [checker.valid.eq(1), checker.start.eq(~taking), checker.data.eq(self.i.payload.data)]
                    put(self.i.payload.data)
                    m.d.sync += taking.eq(~self.i.payload.last)
                    with m.If(self.i.payload.last):
                        m.next = "CRC_0"
            for k in range(CRC_BYTES):
                with m.State(f"CRC_{k}"):
                    put(checker.crc.word_select(k, 8))
                    m.next = f"CRC_{k + 1}" if k + 1 < CRC_BYTES else "CODE"
            with m.State("CODE"):  # the last block's code; the next frame's code slot follows the delimiter
                m.d.comb += [write.addr.eq(code_at), write.data.eq(code), write.en.eq(1)]
                m.d.sync += [code.eq(1), code_at.eq(wr + 1)]
                m.next = "DELIMIT"
            with m.State("DELIMIT"):
                m.d.comb += [write.addr.eq(wr), write.data.eq(0), write.en.eq(1)]
                m.d.sync += [committed.eq(wr + 1), wr.eq(wr + 2)]
                m.next = "TAKE"

        # out: whole frames only; after a byte leaves, the next is read (a clock) before it is offered
        fresh = Signal()  # read.data is the byte at rd
        m.d.comb += [self.o.valid.eq((rd != committed) & fresh), self.o.payload.eq(read.data), read.addr.eq(rd)]
        m.d.sync += fresh.eq(1)
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += [rd.eq(rd + 1), fresh.eq(0)]
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
            # a shift register: once it holds ``depth`` bytes, held[0] is the oldest
            m.d.sync += [held[k].eq(held[k + 1]) for k in range(depth - 1)]
            m.d.sync += held[-1].eq(decoded)
            with m.If(n_held == depth):
                m.d.sync += [self.o.valid.eq(1), self.o.payload.data.eq(held[0]),
                             self.o.payload.last.eq(0), self.o.payload.ok.eq(0)]
            with m.Else():
                m.d.sync += n_held.eq(n_held + 1)
        return m
