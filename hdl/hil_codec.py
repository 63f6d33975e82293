"""The host side of the HIL byte protocol: messages to frames and a byte stream back to messages.

:func:`encode` turns a message into the bytes of one frame.  :class:`FrameDecoder`
takes whatever bytes arrive, in pieces of any size, and returns the messages of
the frames they complete; it never raises on its input, never waits, holds at
most one frame's bytes, resynchronises on the next delimiter after garbage, and
counts every frame it rejects and every sequence number it never saw
(:class:`LinkStats`).  No threads and no Qt: the transport calls :meth:`feed`.
"""

from __future__ import annotations

import struct
from collections import OrderedDict, deque
from dataclasses import dataclass

from cobs import cobs

from hdl.hil_protocol import (
    CRC,
    CRC_BYTES,
    HEADER,
    HEADER_BYTES,
    MAX_ENCODED,
    MAX_PAYLOAD,
    MESSAGES,
    SEQ_MODULUS,
    Message,
    fixed_bytes,
    layout_format,
    record_bytes,
)

__all__ = ["FrameDecoder", "LinkStats", "ProtocolError", "crc16", "decode_payload", "encode", "frame",
           "parameter_crc", "payload", "unframe"]

# Sequence numbers remembered for telling duplicates and late frames from lost ones.
TRACKED = 1024


class ProtocolError(ValueError):
    """A frame or payload that is not valid protocol; ``kind`` is "framing", "crc" or "malformed"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _reflect(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2)


def _table() -> tuple[int, ...]:
    """The byte-at-a-time table of the (reflected) protocol CRC."""
    poly = _reflect(CRC.polynomial, CRC.width)
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc16(data: bytes) -> int:
    """The protocol's CRC (:data:`hdl.hil_protocol.CRC`, CRC-16/IBM-SDLC) of ``data``."""
    crc = CRC.initial
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc ^ CRC.xor_output


def parameter_crc(banks: list[list[int]]) -> int:
    """``Status.param_crc`` of a parameter bank: the CRC over every entry's raw value as 4 little-endian
    bytes (two's complement), entries in order, banks in order."""
    return crc16(b"".join(struct.pack("<i", value) for bank in banks for value in bank))


def frame(payload_bytes: bytes) -> bytes:
    """One frame on the wire: ``COBS(payload + CRC, least significant byte first) + 0x00``."""
    if len(payload_bytes) > MAX_PAYLOAD:
        raise ValueError(f"a payload has at most {MAX_PAYLOAD} bytes, not {len(payload_bytes)}")
    return cobs.encode(payload_bytes + crc16(payload_bytes).to_bytes(CRC_BYTES, "little")) + b"\x00"


def unframe(encoded: bytes) -> bytes:
    """The payload of one frame's encoded bytes (without the delimiter); raises :class:`ProtocolError`."""
    if len(encoded) > MAX_ENCODED:
        raise ProtocolError("framing", f"frame of {len(encoded)} bytes (at most {MAX_ENCODED})")
    try:
        decoded = cobs.decode(encoded)
    except cobs.DecodeError as exc:
        raise ProtocolError("framing", f"bad COBS: {exc}") from exc
    if len(decoded) <= CRC_BYTES:
        raise ProtocolError("framing", f"frame of {len(decoded)} decoded bytes holds no payload")
    body, sent = decoded[:-CRC_BYTES], int.from_bytes(decoded[-CRC_BYTES:], "little")
    if crc16(body) != sent:
        raise ProtocolError("crc", f"CRC {crc16(body):#06x} does not match the frame's {sent:#06x}")
    return body


def payload(message: Message) -> bytes:
    """The payload of ``message``: header, fixed fields, records."""
    cls = type(message)
    head = struct.pack(layout_format(HEADER + cls.FIELDS), cls.TYPE, message.seq,
                       *(getattr(message, name) for name, _ in cls.FIELDS))
    if not cls.RECORD:
        return head
    record = struct.Struct(layout_format(cls.RECORD))
    records = getattr(message, cls.RECORDS)
    packed = b"".join(record.pack(*(r if len(cls.RECORD) > 1 else (r,))) for r in records)
    return head + packed


def encode(message: Message) -> bytes:
    """The bytes on the wire for ``message`` (one frame)."""
    try:
        data = payload(message)
    except struct.error as exc:
        raise ValueError(f"{type(message).__name__}: a field is out of range ({exc})") from exc
    return frame(data)


def decode_payload(data: bytes) -> Message:
    """The message in a payload; raises :class:`ProtocolError` ("malformed") for an unknown type or length."""
    if len(data) < HEADER_BYTES:
        raise ProtocolError("malformed", f"payload of {len(data)} bytes is shorter than a header")
    cls = MESSAGES.get(data[0])
    if cls is None:
        raise ProtocolError("malformed", f"unknown message type {data[0]:#04x}")
    fixed = fixed_bytes(cls)
    size = record_bytes(cls)
    body = len(data) - fixed
    if body < 0 or (body % size if size else body):
        raise ProtocolError("malformed", f"{cls.__name__} of {len(data)} bytes")
    _, seq, *values = struct.unpack_from(layout_format(HEADER + cls.FIELDS), data)
    fields = {name: value for (name, _), value in zip(cls.FIELDS, values)}
    if size:
        records = tuple(struct.iter_unpack(layout_format(cls.RECORD), data[fixed:]))
        fields[cls.RECORDS] = tuple(r[0] for r in records) if len(cls.RECORD) == 1 else records
    return cls(seq=seq, **fields)


@dataclass
class LinkStats:
    """What a :class:`FrameDecoder` has seen."""

    bytes: int = 0
    frames_ok: int = 0
    crc_errors: int = 0
    framing_errors: int = 0  # bad COBS, too short, too long (also a frame joined half-way)
    malformed: int = 0  # good CRC, but an unknown type or a length that does not fit the type
    lost_frames: int = 0  # sequence numbers skipped and not (yet) seen late
    late_frames: int = 0  # arrived after a later one (delivered all the same)
    duplicates: int = 0  # a sequence number seen again (not delivered)

    @property
    def corrupt(self) -> int:
        """Frames rejected."""
        return self.crc_errors + self.framing_errors + self.malformed


class FrameDecoder:
    """Bytes in, messages out: ``feed(data) -> list[Message]``; counters in :attr:`stats`."""

    def __init__(self) -> None:
        self.stats = LinkStats()
        self._buffer = bytearray()
        self._skipping = False  # inside an over-long frame: wait for the next delimiter
        self._last: int | None = None  # the newest sequence number seen
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._missing: OrderedDict[int, None] = OrderedDict()

    def feed(self, data: bytes) -> list[Message]:
        """The messages of the frames ``data`` completes (in order); never raises, never blocks."""
        self.stats.bytes += len(data)
        chunks = bytes(data).split(b"\x00")
        messages = []
        for k, chunk in enumerate(chunks):
            closed = k < len(chunks) - 1
            if self._skipping:
                self._skipping = not closed
                continue
            if len(self._buffer) + len(chunk) > MAX_ENCODED:
                self.stats.framing_errors += 1
                self._buffer.clear()
                self._skipping = not closed
                continue
            self._buffer += chunk
            if closed and self._buffer:
                message = self._frame(bytes(self._buffer))
                self._buffer.clear()
                if message is not None:
                    messages.append(message)
        return messages

    def _frame(self, encoded: bytes) -> Message | None:
        try:
            data = unframe(encoded)
        except ProtocolError as exc:
            counter = f"{exc.kind}_errors"
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
            return None
        try:
            if len(data) >= HEADER_BYTES and not self._in_sequence(int.from_bytes(data[1:HEADER_BYTES], "little")):
                return None
            message = decode_payload(data)
        except ProtocolError:
            self.stats.malformed += 1
            return None
        self.stats.frames_ok += 1
        return message

    def _in_sequence(self, seq: int) -> bool:
        """Account for ``seq``; False for a duplicate (not to be delivered)."""
        if seq in self._seen:
            self.stats.duplicates += 1
            return False
        self._seen.add(seq)
        self._seen_order.append(seq)
        if len(self._seen_order) > TRACKED:
            self._seen.discard(self._seen_order.popleft())
        ahead = (seq - self._last) % SEQ_MODULUS if self._last is not None else 1
        if ahead >= SEQ_MODULUS // 2:  # behind the newest: a frame that was counted lost, or older than that
            self.stats.late_frames += 1
            if seq in self._missing:
                del self._missing[seq]
                self.stats.lost_frames -= 1
            return True
        self.stats.lost_frames += ahead - 1
        for skipped in range(seq - min(ahead - 1, TRACKED), seq):
            self._missing[skipped % SEQ_MODULUS] = None
        while len(self._missing) > TRACKED:
            self._missing.popitem(last=False)
        self._last = seq
        return True
