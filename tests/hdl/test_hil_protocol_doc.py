"""docs/hil-protocol.md says what the code does: its layout tables are the message layouts of
hdl/hil_protocol.py, and every worked example re-encodes to the bytes the document shows."""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

import pytest

from hdl.hil_codec import FrameDecoder, crc16, encode, frame, payload
from hdl.hil_protocol import HEADER, MESSAGES, Message, field_offsets, fixed_bytes, record_bytes

DOC = Path(__file__).resolve().parents[2] / "docs" / "hil-protocol.md"
TYPES = {"B": "u8", "H": "u16", "I": "u32", "b": "i8", "h": "i16", "i": "i32"}
EXAMPLE = re.compile(r"```hil\n(?P<message>.+)\npayload +(?P<payload>[0-9a-f ]+)\nframe +(?P<frame>[0-9a-f ]+)\n```")


def layout_table(cls: type[Message]) -> str:
    """The Markdown table of a message's bytes, as the document shows it."""
    rows = ["| offset | bytes | field | type |", "|---:|---:|---|---|"]
    offsets = field_offsets(cls)
    for name, code in HEADER + cls.FIELDS:
        at, size = offsets[name]
        label = f"type = 0x{cls.TYPE:02x}" if name == "type" else name
        rows.append(f"| {at} | {size} | {label} | {TYPES[code]} |")
    if cls.RECORD:
        start, step = fixed_bytes(cls), record_bytes(cls)
        at = 0
        for name, code in cls.RECORD:
            size = struct.calcsize("<" + code)
            label = f"{cls.RECORDS}[k]" + (f".{name}" if len(cls.RECORD) > 1 else "")
            rows.append(f"| {start} + {step}k + {at} | {size} | {label} | {TYPES[code]} |"
                        if at else f"| {start} + {step}k | {size} | {label} | {TYPES[code]} |")
            at += size
    return "\n".join(rows)


def _message(source: str) -> Message:
    """``Name(field=literal, ...)`` parsed without evaluating code."""
    call = ast.parse(source, mode="eval").body
    assert isinstance(call, ast.Call) and not call.args, source
    cls = {c.__name__: c for c in MESSAGES.values()}[call.func.id]
    return cls(**{k.arg: ast.literal_eval(k.value) for k in call.keywords})


def _examples():
    return [m.groupdict() for m in EXAMPLE.finditer(DOC.read_text())]


@pytest.mark.parametrize("cls", sorted(MESSAGES.values(), key=lambda c: c.TYPE), ids=lambda c: c.__name__)
def test_every_message_has_its_layout_table_in_the_document(cls):
    assert layout_table(cls) in DOC.read_text(), f"docs/hil-protocol.md lacks (or misstates):\n{layout_table(cls)}"


def test_every_message_has_a_worked_example():
    shown = {_message(e["message"]).TYPE for e in _examples()}
    assert shown == set(MESSAGES)


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["message"].split("(")[0])
def test_the_worked_examples_are_what_the_codec_makes(example):
    message = _message(example["message"])
    assert payload(message).hex(" ") == example["payload"].strip()
    assert encode(message).hex(" ") == example["frame"].strip()
    assert FrameDecoder().feed(bytes.fromhex(example["frame"])) == [message]


def test_the_frame_taken_apart_byte_by_byte_is_right():
    text = DOC.read_text()
    section = text[text.index("### A frame, byte by byte"):text.index("## Receiving")]
    walk = dict(re.findall(r"^(payload|CRC-16/IBM-SDLC|encoded|on the wire) +(0x[0-9a-f]+|[0-9a-f]{2}(?: [0-9a-f]{2})*)",
                           section, re.MULTILINE))
    data = bytes.fromhex(walk["payload"])
    assert int(walk["CRC-16/IBM-SDLC"], 16) == crc16(data)
    assert bytes.fromhex(walk["on the wire"]) == frame(data) == bytes.fromhex(walk["encoded"]) + b"\x00"
