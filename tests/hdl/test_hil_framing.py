"""The gateware framing (hdl/hil_framing.py) in Amaranth's simulator equals the host codec byte for byte.

The encoder's output for random payloads is exactly the host's ``frame(payload)``; the decoder, fed the
host's frames (and damaged ones, and garbage), passes on exactly the payloads the host accepts, flags
exactly the frames the host rejects, and counts them.  Random stalls on both sides of each stream check
that valid/ready are honoured.
"""

from __future__ import annotations

import random

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdl.hil_codec import ProtocolError, crc16, frame, unframe
from hdl.hil_framing import CHECKED_BYTE, COUNTER_BITS, PAYLOAD_BYTE, FrameDecoder, FrameEncoder
from hdl.hil_protocol import MAX_PAYLOAD
from hdl.synth import plan_synthesis, synthesize

SIM = settings(max_examples=15, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _simulate(dut, items: list, to_input, from_output, seed: int, done=lambda outputs: True):
    """Push ``items`` into ``dut.i`` and collect ``dut.o`` beats (random stalls on both) until every item
    went in, ``done(outputs)`` holds and nothing came out for a while; returns the beats and the design."""
    rng = random.Random(seed)
    outputs: list = []

    async def bench(ctx):
        k = quiet = 0
        while k < len(items) or not done(outputs) or quiet < 16:
            offer = k < len(items) and rng.random() < 0.8
            take = rng.random() < 0.8
            ctx.set(dut.i.valid, offer)
            if offer:
                ctx.set(dut.i.payload, to_input(items[k]))
            ctx.set(dut.o.ready, take)
            accepted = offer and ctx.get(dut.i.ready)
            beat = ctx.get(dut.o.payload) if take and ctx.get(dut.o.valid) else None
            await ctx.tick()
            k += bool(accepted)
            if beat is not None:
                outputs.append(from_output(beat))
            quiet = 0 if accepted or beat is not None else quiet + 1
            assert quiet < 1000, "the design stopped moving"
        if hasattr(dut, "frames_bad"):
            final["frames_bad"] = ctx.get(dut.frames_bad)

    final: dict = {}
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return outputs, final


def encode_in_gateware(payloads: list[bytes], seed: int = 0) -> bytes:
    """The encoder's output bytes for these payloads, one frame each."""
    beats = [(b, k == len(p) - 1) for p in payloads for k, b in enumerate(p)]
    out, _ = _simulate(FrameEncoder(), beats, lambda b: {"data": b[0], "last": b[1]}, int, seed,
                       lambda o: o.count(0) == len(payloads))
    return bytes(out)


def decode_in_gateware(wire: bytes, seed: int = 0) -> tuple[list[tuple[bytes, bool]], int]:
    """The frames the decoder passes on, (payload, ok) each, and its counter of bad frames."""
    beats, counters = _simulate(FrameDecoder(), list(wire), int, lambda p: (p.data, p.last, p.ok), seed)
    return _frames(beats), counters["frames_bad"]


def _frames(beats: list[tuple[int, int, int]]) -> list[tuple[bytes, bool]]:
    """Checked payload beats (data, last, ok) as (payload, ok) per frame."""
    frames, current = [], bytearray()
    for byte, last, ok in beats:
        current.append(byte)
        if last:
            frames.append((bytes(current), bool(ok)))
            current = bytearray()
    assert not current
    return frames


def host_verdicts(wire: bytes) -> list[bytes | None]:
    """What the host codec makes of each frame in ``wire``: its payload, or None when it rejects it."""
    verdicts = []
    for chunk in wire.split(b"\x00")[:-1]:
        if chunk:
            try:
                verdicts.append(unframe(chunk))
            except ProtocolError:
                verdicts.append(None)
    return verdicts


payloads = st.lists(st.one_of(st.binary(min_size=1, max_size=40),
                              st.binary(min_size=200, max_size=MAX_PAYLOAD),
                              st.binary(min_size=250, max_size=MAX_PAYLOAD).map(lambda b: b.replace(b"\x00", b"\x01"))),
                    min_size=1, max_size=4)


def _full_payload(crc_zero_byte: int | None) -> bytes:
    """252 non-zero bytes (one full COBS block with the CRC) whose CRC has a zero at this byte (or none)."""
    for j in range(1, 1 << 16):
        p = bytes([1 + k % 255 for k in range(250)]) + j.to_bytes(2, "little")
        crc = crc16(p).to_bytes(2, "little")
        if 0 not in p and (crc.index(0) if 0 in crc else None) == crc_zero_byte:
            return p
    raise AssertionError("no such payload")


def test_edge_cases_encode_as_the_host_does():
    cases = [b"\x00", b"\x00\x00", b"\x11", b"\x00" * 252, b"\x05" * 200 + b"\x00" + b"\x07" * 51,
             _full_payload(None), _full_payload(0), _full_payload(1)]
    assert len(frame(cases[5])) == 256  # 0xFF, 254 bytes, delimiter: no empty block after a full one
    assert encode_in_gateware(cases, seed=1) == b"".join(frame(p) for p in cases)


@SIM
@given(payloads, st.integers(0, 1000))
def test_the_encoder_frames_as_the_host_does(batch, seed):
    assert encode_in_gateware(batch, seed) == b"".join(frame(p) for p in batch)


def _agree(wire: bytes, seed: int) -> None:
    frames, frames_bad = decode_in_gateware(wire, seed)
    verdicts = host_verdicts(wire)
    assert [p for p, ok in frames if ok] == [v for v in verdicts if v is not None]
    assert frames_bad == sum(v is None for v in verdicts)


def test_the_decoder_accepts_and_rejects_what_the_host_does():
    good = [frame(p) for p in (b"\x81\x00\x00", b"\x00" * 10, b"\x01" * 252, bytes(range(252)))]
    wire = b"\x12\x34" + b"\x00" + good[0] + good[1][:-3] + b"\x00" + good[2] + b"\x00\x00" + good[3]
    wire += b"\x02\x05\x00" + b"\xff" * 300 + b"\x00" + bytes([good[0][0] ^ 4]) + good[0][1:] + good[0]
    wire += b"\xff" + b"\x01" * 254 + b"\x01\x00"  # 256 encoded bytes for 254 decoded: too long
    assert [v is not None for v in host_verdicts(wire)] == [False, True, False, True, True, False, False,
                                                            False, True, False]
    _agree(wire, seed=2)


@st.composite
def damaged_wire(draw):
    """Frames of random payloads, some bit-flipped, truncated or after garbage."""
    wire = bytearray()
    for p in draw(payloads):
        piece = bytearray(frame(p))
        damage = draw(st.sampled_from(("none", "none", "flip", "truncate", "garbage")))
        if damage == "flip":
            piece[draw(st.integers(0, len(piece) - 1))] ^= 1 << draw(st.integers(0, 7))
        elif damage == "truncate":
            piece = piece[:draw(st.integers(0, len(piece) - 2))] + b"\x00"
        elif damage == "garbage":
            wire += draw(st.binary(min_size=1, max_size=60))
        wire += piece
    return bytes(wire) + b"\x00"


@SIM
@given(damaged_wire(), st.integers(0, 1000))
def test_the_decoder_agrees_with_the_host_on_damaged_frames(wire, seed):
    _agree(wire, seed)


class Loopback(wiring.Component):
    """Encoder into decoder: payloads in, checked payloads out."""

    def __init__(self):
        super().__init__({"i": In(stream.Signature(PAYLOAD_BYTE)), "o": Out(stream.Signature(CHECKED_BYTE)),
                          "frames_bad": Out(COUNTER_BITS)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.encoder = encoder = FrameEncoder()
        m.submodules.decoder = decoder = FrameDecoder()
        wiring.connect(m, wiring.flipped(self.i), encoder.i)
        wiring.connect(m, encoder.o, decoder.i)
        wiring.connect(m, decoder.o, wiring.flipped(self.o))
        m.d.comb += self.frames_bad.eq(decoder.frames_bad)
        return m


@SIM
@given(payloads, st.integers(0, 1000))
def test_payloads_come_back_through_encoder_and_decoder(batch, seed):
    beats = [(b, k == len(p) - 1) for p in batch for k, b in enumerate(p)]
    out, final = _simulate(Loopback(), beats, lambda b: {"data": b[0], "last": b[1]},
                           lambda p: (p.data, p.last, p.ok), seed, lambda o: sum(b[1] for b in o) == len(batch))
    assert _frames(out) == [(p, True) for p in batch] and final["frames_bad"] == 0


@pytest.mark.tools("yosys")
def test_the_framing_synthesises_small_for_the_icebreaker(tmp_path):
    text = verilog.convert(Loopback(), name="framing")
    report = synthesize(plan_synthesis(text, "framing", "ice40-up5k", place=False), tmp_path)
    assert report.ram == 1  # the encoder's block buffer
    assert report.dsp == 0
    assert 150 < report.lut4 < 500
