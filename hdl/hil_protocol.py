"""The HIL byte protocol: frame constants and every message's field layout (docs/hil-protocol.md).

One description that both sides read: the host codec (:mod:`hdl.hil_codec`) packs
and unpacks messages with it, the gateware (:mod:`hdl.hil_framing` and the board
top) takes the CRC and the field offsets from it.  No Amaranth and no Qt here.

A frame on the wire is ``COBS(payload + CRC) + 0x00``; a payload is a header
(``type`` u8, ``seq`` u16) and a body of fixed-width little-endian fields,
optionally followed by repeated records.  Each message class names its layout:
``TYPE`` (the type byte), ``FIELDS`` (name and :mod:`struct` code of each fixed
field) and, for messages with records, ``RECORDS`` (the attribute holding them)
and ``RECORD`` (the fields of one record; a one-field record is a plain int).
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

PROTOCOL_VERSION = 2
DEFAULT_BAUD = 3_000_000


@dataclass(frozen=True)
class CrcSpec:
    """A CRC in the Rocksoft model (the parameters of ``amaranth.lib.crc.Algorithm``)."""

    name: str
    width: int
    polynomial: int
    initial: int
    reflect_input: bool
    reflect_output: bool
    xor_output: int
    check: int  # the CRC of b"123456789"
    residue: int  # the register after a payload followed by its CRC (least significant byte first)


# CRC-16/IBM-SDLC (also X.25, HDLC's FCS): reflected, so appending it least significant byte first (the
# protocol's byte order) gives a constant residue, which the gateware decoder checks as it streams.
CRC = CrcSpec("CRC-16/IBM-SDLC", 16, 0x1021, 0xFFFF, True, True, 0xFFFF, check=0x906E, residue=0xF0B8)
CRC_BYTES = CRC.width // 8

HEADER = (("type", "B"), ("seq", "H"))
HEADER_BYTES = 3
SEQ_MODULUS = 1 << 16
# payload + CRC fit one COBS block of 254 bytes, so a frame is at most 255 encoded bytes and the delimiter
MAX_PAYLOAD = 254 - CRC_BYTES
MAX_ENCODED = 255
MAX_FRAME = MAX_ENCODED + 1


class Pace(IntEnum):
    """How the board steps (``SetPace.mode``)."""

    REAL_TIME = 0  # one step every ``period`` clocks (0: the board's own real-time period, dt x clock)
    FREE_RUNNING = 1  # as fast as the core steps
    SINGLE_STEP = 2  # one step per Start


class Result(IntEnum):
    """What the board did with a command (``Ack.result``)."""

    OK = 0
    UNKNOWN_COMMAND = 1
    BAD_LENGTH = 2
    BAD_ADDRESS = 3  # no such bank, entry, neuron or variable
    TOO_MANY = 4  # more probes than the board samples


@dataclass(frozen=True, kw_only=True)
class Message:
    """A payload: the sender's sequence number (``seq``, per direction, wrapping at 65536) and a body."""

    TYPE: ClassVar[int]  # 0x01..0x7f: host to board; 0x80..0xff: board to host
    FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    RECORDS: ClassVar[str] = ""
    RECORD: ClassVar[tuple[tuple[str, str], ...]] = ()

    seq: int = 0


# Host -> board: commands.  The board answers every command it accepts with an Ack.

@dataclass(frozen=True, kw_only=True)
class Start(Message):
    """Run (paced as set by SetPace; in single-step mode, one step)."""

    TYPE = 0x01


@dataclass(frozen=True, kw_only=True)
class Stop(Message):
    """Stop after the current step."""

    TYPE = 0x02


@dataclass(frozen=True, kw_only=True)
class RunSteps(Message):
    """Run ``steps`` more steps, then stop."""

    TYPE = 0x03
    FIELDS = (("steps", "I"),)
    steps: int


@dataclass(frozen=True, kw_only=True)
class Reset(Message):
    """Stop, and set the network and the step counter to their initial state (parameters stay)."""

    TYPE = 0x04


@dataclass(frozen=True, kw_only=True)
class SetPace(Message):
    """Choose how the board steps (a :class:`Pace`); ``period`` is clocks per step in real time."""

    TYPE = 0x05
    FIELDS = (("mode", "B"), ("period", "I"))
    mode: int
    period: int = 0


@dataclass(frozen=True, kw_only=True)
class WriteParam(Message):
    """Write a raw fixed-point ``value`` into ``entry`` of parameter ``bank`` at the next step boundary."""

    TYPE = 0x06
    FIELDS = (("bank", "B"), ("entry", "H"), ("value", "i"))
    bank: int
    entry: int
    value: int


@dataclass(frozen=True, kw_only=True)
class ReadParam(Message):
    """Read ``entry`` of parameter ``bank`` back (in the Ack)."""

    TYPE = 0x07
    FIELDS = (("bank", "B"), ("entry", "H"))
    bank: int
    entry: int


@dataclass(frozen=True, kw_only=True)
class SetProbes(Message):
    """Sample these (neuron, variable) pairs after every ``every``-th step (none: probing off)."""

    TYPE = 0x08
    FIELDS = (("every", "H"),)
    RECORDS = "probes"
    RECORD = (("neuron", "H"), ("variable", "B"))
    every: int
    probes: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, kw_only=True)
class GetStatus(Message):
    """Ask for a Status now."""

    TYPE = 0x09


# Board -> host: telemetry.

@dataclass(frozen=True, kw_only=True)
class Spikes(Message):
    """The neurons (global indices) that spiked in ``step``; a step without spikes sends nothing, and a
    step with more than fit one frame sends several Spikes with the same ``step``."""

    TYPE = 0x81
    FIELDS = (("step", "I"),)
    RECORDS = "neurons"
    RECORD = (("neuron", "H"),)
    step: int
    neurons: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProbeSamples(Message):
    """Probed state after ``step``: (neuron, variable, raw fixed-point value) records."""

    TYPE = 0x82
    FIELDS = (("step", "I"),)
    RECORDS = "samples"
    RECORD = (("neuron", "H"), ("variable", "B"), ("value", "i"))
    step: int
    samples: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Status(Message):
    """The board's state and counters (periodically, when stopping, and on GetStatus)."""

    TYPE = 0x83
    FIELDS = (("step", "I"), ("version", "B"), ("running", "B"), ("pace", "B"), ("spikes", "I"),
              ("queue_overflows", "I"), ("spikes_dropped", "I"), ("frames_dropped", "I"),
              ("rx_errors", "I"), ("param_crc", "H"))
    version: int = PROTOCOL_VERSION
    running: int = 0
    pace: int = Pace.REAL_TIME
    step: int = 0  # steps run
    spikes: int = 0  # spikes produced by the core
    queue_overflows: int = 0  # the core's spike delivery queue overflowed (spikes not delivered)
    spikes_dropped: int = 0  # spikes not sent: the telemetry spike FIFO was full
    frames_dropped: int = 0  # probe frames not sent: the transmitter was busy
    rx_errors: int = 0  # host frames rejected (CRC, COBS, length)
    param_crc: int = 0  # CRC over every bank's entries, each as 4 little-endian bytes, bank by bank


@dataclass(frozen=True, kw_only=True)
class Ack(Message):
    """The board accepted command ``command_seq`` of type ``command``; parameter commands carry the
    entry's value read back after the write (zeros otherwise); ``step`` is the board's step count when the
    command took effect."""

    TYPE = 0x84
    FIELDS = (("command_seq", "H"), ("command", "B"), ("result", "B"), ("bank", "B"), ("entry", "H"),
              ("value", "i"), ("step", "I"))
    command_seq: int
    command: int
    result: int = Result.OK
    bank: int = 0
    entry: int = 0
    value: int = 0
    step: int = 0  # steps run when the command took effect: a write acts from the step with this number on


MESSAGES: dict[int, type[Message]] = {cls.TYPE: cls for cls in (
    Start, Stop, RunSteps, Reset, SetPace, WriteParam, ReadParam, SetProbes, GetStatus,
    Spikes, ProbeSamples, Status, Ack)}


@functools.cache  # the codec asks for every frame
def layout_format(fields: tuple[tuple[str, str], ...]) -> str:
    """The little-endian :mod:`struct` format of a field list."""
    return "<" + "".join(code for _, code in fields)


def field_offsets(message: type[Message]) -> dict[str, tuple[int, int]]:
    """Each header and fixed field's (byte offset in the payload, width in bytes)."""
    offsets, at = {}, 0
    for name, code in HEADER + message.FIELDS:
        width = struct.calcsize("<" + code)
        offsets[name] = (at, width)
        at += width
    return offsets


def fixed_bytes(message: type[Message]) -> int:
    """Payload bytes before the records (header and fixed fields)."""
    return HEADER_BYTES + struct.calcsize(layout_format(message.FIELDS))


def record_bytes(message: type[Message]) -> int:
    """Bytes of one record (0 for a message without records)."""
    return struct.calcsize(layout_format(message.RECORD)) if message.RECORD else 0


def max_records(message: type[Message]) -> int:
    """How many records fit one frame."""
    return (MAX_PAYLOAD - fixed_bytes(message)) // record_bytes(message) if message.RECORD else 0
