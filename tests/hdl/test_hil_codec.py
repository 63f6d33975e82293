"""The host codec of the HIL protocol (hdl/hil_codec.py): round trips, the CRC, and a decoder that survives
garbage, truncation, duplication, reordering and bit flips without losing an intact frame or missing a bad one."""

from __future__ import annotations

import struct

import pytest
from amaranth.lib.crc import catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdl.hil_codec import (
    FrameDecoder,
    ProtocolError,
    crc16,
    decode_payload,
    encode,
    frame,
    parameter_crc,
    payload,
    unframe,
)
from hdl.hil_protocol import (
    CRC,
    MAX_FRAME,
    MAX_PAYLOAD,
    MESSAGES,
    SEQ_MODULUS,
    Ack,
    Spikes,
    Status,
    max_records,
)

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _value(code: str):
    bits = 8 * struct.calcsize("<" + code)
    if code.islower():
        return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return st.integers(0, (1 << bits) - 1)


@st.composite
def messages(draw, seq=None):
    """Any message, every field anywhere in its range, up to a full frame of records."""
    cls = draw(st.sampled_from(sorted(MESSAGES.values(), key=lambda c: c.TYPE)))
    fields = {name: draw(_value(code)) for name, code in cls.FIELDS}
    if cls.RECORD:
        record = st.tuples(*(_value(code) for _, code in cls.RECORD))
        if len(cls.RECORD) == 1:
            record = record.map(lambda r: r[0])
        fields[cls.RECORDS] = tuple(draw(st.lists(record, max_size=max_records(cls))))
    return cls(seq=draw(_value("H")) if seq is None else seq, **fields)


def test_the_crc_is_the_catalogued_one_amaranth_builds():
    algorithm = catalog.CRC16_IBM_SDLC
    assert (algorithm.crc_width, algorithm.polynomial, algorithm.initial_crc, algorithm.reflect_input,
            algorithm.reflect_output, algorithm.xor_output) == (
        CRC.width, CRC.polynomial, CRC.initial, CRC.reflect_input, CRC.reflect_output, CRC.xor_output)
    assert crc16(b"123456789") == CRC.check == algorithm(8).compute(b"123456789")
    assert algorithm(8).residue() == CRC.residue


@PROPERTY
@given(st.binary(max_size=300))
def test_the_host_crc_equals_amaranths(data):
    assert crc16(data) == catalog.CRC16_IBM_SDLC(8).compute(data)


def test_the_parameter_crc_covers_every_entry_as_four_bytes():
    banks = [[-17920, 0, 5], [1]]
    words = bytes.fromhex("00baffff 00000000 05000000 01000000")
    assert parameter_crc(banks) == catalog.CRC16_IBM_SDLC(8).compute(words)
    assert parameter_crc([[-17920, 0], [5, 1]]) == parameter_crc(banks)  # the bank boundaries do not count
    assert parameter_crc([[0, -17920, 5, 1]]) != parameter_crc(banks)


@PROPERTY
@given(messages())
def test_every_message_round_trips(message):
    encoded = encode(message)
    assert encoded.endswith(b"\x00") and b"\x00" not in encoded[:-1]
    assert len(encoded) <= MAX_FRAME
    assert decode_payload(unframe(encoded[:-1])) == message
    decoder = FrameDecoder()
    assert decoder.feed(encoded) == [message]
    assert decoder.stats.frames_ok == 1 and decoder.stats.corrupt == 0


def test_a_spike_batch_byte_by_byte():
    message = Spikes(seq=7, step=1234, neurons=(3, 170, 0))
    assert payload(message) == bytes.fromhex("81 0700 d2040000 0300 aa00 0000")
    assert encode(message) == bytes.fromhex("03 81 07 03 d2 04 01 02 03 02 aa 01 01 03 e6 ba 00")


@pytest.mark.parametrize(("message", "error"), [
    (Spikes(seq=1, step=-1), r"^Spikes: a field is out of range \(.*\)$"),
    (Spikes(seq=1, step=0, neurons=(70000,)), r"^Spikes: a field is out of range \(.*\)$"),
    (Spikes(seq=1, step=0, neurons=tuple(range(max_records(Spikes) + 1))),
     rf"^a payload has at most {MAX_PAYLOAD} bytes, not {MAX_PAYLOAD + 1}$"),
])
def test_messages_that_do_not_fit_are_refused(message, error):
    with pytest.raises(ValueError, match=error):
        encode(message)


@pytest.mark.parametrize(("encoded", "kind", "error"), [
    (b"\x05\x01", "framing", r"^bad COBS: "),
    (b"\x03\x84\x01", "framing", r"^frame of 2 decoded bytes holds no payload$"),
    (b"\xff" * 256, "framing", r"^frame of 256 bytes \(at most 255\)$"),
    (frame(b"\x84\x01\x00")[:-2] + b"\x01", "crc", r"^CRC 0x[0-9a-f]{4} does not match the frame's 0x[0-9a-f]{4}$"),
])
def test_bad_frames_say_what_is_wrong(encoded, kind, error):
    with pytest.raises(ProtocolError, match=error) as info:
        unframe(encoded)
    assert info.value.kind == kind


@pytest.mark.parametrize(("data", "error"), [
    (b"\x7f\x00\x00", r"^unknown message type 0x7f$"),
    (b"\x84\x00", r"^payload of 2 bytes is shorter than a header$"),
    (b"\x84\x00\x00\x01", r"^Ack of 4 bytes$"),
    (b"\x81\x00\x00\x01\x00\x00\x00\x05", r"^Spikes of 8 bytes$"),
])
def test_malformed_payloads_are_named(data, error):
    with pytest.raises(ProtocolError, match=error) as info:
        decode_payload(data)
    assert info.value.kind == "malformed"


def test_a_frame_with_a_good_crc_but_a_bad_body_is_counted_as_malformed():
    decoder = FrameDecoder()
    good = encode(Ack(seq=1, command_seq=0, command=1))
    assert decoder.feed(frame(b"\x7f\x00\x00") + frame(b"\x84\x02\x00\x01") + frame(b"\x01") + good)[0].seq == 1
    assert (decoder.stats.malformed, decoder.stats.frames_ok, decoder.stats.lost_frames) == (3, 1, 0)


def test_the_decoder_counts_lost_late_and_duplicate_frames():
    frames = [encode(Status(seq=s % SEQ_MODULUS, step=s)) for s in range(65534, 65534 + 6)]
    decoder = FrameDecoder()
    got = decoder.feed(frames[0] + frames[2] + frames[1] + frames[1] + frames[5])
    assert [m.step for m in got] == [65534, 65536, 65535, 65539]
    s = decoder.stats
    assert (s.frames_ok, s.lost_frames, s.late_frames, s.duplicates, s.corrupt) == (4, 2, 1, 1, 0)


@PROPERTY
@given(st.binary(max_size=2000), st.lists(st.integers(1, 300), max_size=20))
def test_random_bytes_never_raise_and_every_delimited_chunk_is_counted(data, cuts):
    decoder = FrameDecoder()
    got = []
    for piece in _pieces(data + b"\x00", cuts):
        got += decoder.feed(piece)
    chunks = [c for c in (data + b"\x00").split(b"\x00")[:-1] if c]
    assert decoder.stats.frames_ok + decoder.stats.corrupt + decoder.stats.duplicates == len(chunks)
    assert len(got) == decoder.stats.frames_ok


def _pieces(data: bytes, cuts: list[int]):
    """``data`` in pieces of the given sizes (the rest in one piece)."""
    at = 0
    for size in cuts:
        yield data[at:at + size]
        at += size
    yield data[at:]


@st.composite
def damaged_streams(draw):
    """Consecutive frames, each sent intact, bit-flipped, truncated, duplicated, swapped with the next,
    or after a burst of garbage; returns (the messages, the byte stream)."""
    first = draw(st.integers(0, SEQ_MODULUS - 1))
    sent = [draw(messages(seq=(first + k) % SEQ_MODULUS)) for k in range(draw(st.integers(1, 12)))]
    wire = [bytearray(encode(m)) for m in sent]
    k = 0
    stream = bytearray()
    while k < len(wire):
        damage = draw(st.sampled_from(("none", "none", "flip", "truncate", "duplicate", "swap", "garbage")))
        piece = wire[k]
        if damage == "flip":
            at = draw(st.integers(0, len(piece) - 1))
            piece[at] ^= 1 << draw(st.integers(0, 7))
        elif damage == "truncate":
            piece = piece[:draw(st.integers(0, len(piece) - 2))] + b"\x00"
        elif damage == "duplicate":
            piece = piece + piece
        elif damage == "swap" and k + 1 < len(wire):
            piece = wire[k + 1] + piece
            k += 1
        elif damage == "garbage":
            stream += draw(st.binary(min_size=1, max_size=300))
        stream += piece
        k += 1
    return sent, bytes(stream) + b"\x00"


@PROPERTY
@given(damaged_streams(), st.lists(st.integers(1, 64), max_size=30))
def test_damaged_streams_lose_no_intact_frame_and_count_every_bad_one(case, cuts):
    sent, stream = case
    decoder = FrameDecoder()
    got = []
    for piece in _pieces(stream, cuts):
        got += decoder.feed(piece)
    by_body = {encode(m)[:-1]: m for m in sent}
    chunks = [c for c in stream.split(b"\x00") if c]
    intact = [by_body[c] for c in chunks if c in by_body]
    expected = [m for k, m in enumerate(intact) if m.seq not in {n.seq for n in intact[:k]}]
    assert got == expected
    s = decoder.stats
    assert s.corrupt == len(chunks) - len(intact)
    assert s.duplicates == len(intact) - len(expected)
    # lost: the frames never delivered between the first one delivered and the newest
    where = [sent.index(m) for m in got]
    between = sent[where[0]:max(where)] if got else []
    assert s.lost_frames == sum(1 for m in between if m not in got)
