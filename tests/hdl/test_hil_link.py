"""The HIL link (hdl/hil_link.py) over a real TCP socket and a real pseudo-terminal (pyserial): commands
out, messages in, never waiting, and a board that goes away reported as a drop that keeps what arrived."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from hdl.hil_codec import FrameDecoder, encode
from hdl.hil_link import Address, HilLink, LinkError, parse_address, serial_ports
from hdl.hil_protocol import Ack, RunSteps, Spikes, Start, Status, WriteParam

POLLS = 2000  # polls, 5 ms apart, before a test gives up on bytes that should arrive


def _poll_until(link: HilLink, count: int) -> list:
    """Poll until ``count`` messages came or the link dropped."""
    got: list = []
    for _ in range(POLLS):
        got += link.poll()
        if len(got) >= count or not link.connected:
            return got
        time.sleep(0.005)
    return got


def _read_exactly(read, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = read(size - len(data))
        assert chunk, "the link closed"
        data += chunk
    return data


@pytest.mark.parametrize(("text", "address"), [
    ("tcp:127.0.0.1:7000", Address("tcp", host="127.0.0.1", port=7000)),
    ("tcp:[::1]:7000", Address("tcp", host="::1", port=7000)),
    ("/dev/ttyUSB1", Address("serial", device="/dev/ttyUSB1")),
    ("serial:COM3", Address("serial", device="COM3")),
])
def test_addresses(text, address):
    assert parse_address(text) == address
    assert parse_address("/dev/ttyUSB1", baud=115200).baud == 115200


@pytest.mark.parametrize(("text", "error"), [
    ("tcp:127.0.0.1", r"^`tcp:127.0.0.1` is not a TCP address \(write tcp:HOST:PORT, e.g. tcp:127.0.0.1:7000\)$"),
    ("tcp:host:99999", r"^`tcp:host:99999` is not a TCP address"),
    ("udp:1.2.3.4:5", r"^`udp:1.2.3.4:5` is neither tcp:HOST:PORT nor a serial device such as /dev/ttyUSB1$"),
    ("", r"^`` is neither tcp:HOST:PORT nor a serial device"),
])
def test_bad_addresses_are_named(text, error):
    with pytest.raises(LinkError, match=error):
        parse_address(text)


def test_a_board_that_is_not_there_is_one_plain_line():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(LinkError, match=rf"^tcp:127.0.0.1:{port}: connection refused$"):
        HilLink(f"tcp:127.0.0.1:{port}")
    with pytest.raises(LinkError, match=r"^/dev/ncstudio-no-such-tty: "):
        HilLink("/dev/ncstudio-no-such-tty")


def test_serial_ports_are_listed():
    assert all(isinstance(p, str) for p in serial_ports())


def test_tcp_commands_out_messages_in_and_a_drop_that_keeps_what_arrived():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    link = HilLink(f"tcp:127.0.0.1:{port}")
    board, _ = server.accept()
    board.settimeout(5)
    try:
        assert link.poll() == [] and link.connected  # nothing there: returns at once

        sent = [link.send(Start()), link.send(WriteParam(bank=1, entry=2, value=-3))]
        assert [m.seq for m in sent] == [0, 1]
        expected = encode(Start(seq=0)) + encode(WriteParam(seq=1, bank=1, entry=2, value=-3))
        assert _read_exactly(board.recv, len(expected)) == expected

        telemetry = [Ack(seq=0, command_seq=1, command=WriteParam.TYPE, bank=1, entry=2, value=-3),
                     Spikes(seq=1, step=10, neurons=(4, 5)), Status(seq=2, step=11)]
        wire = b"".join(encode(m) for m in telemetry)
        board.sendall(wire[:7])
        board.sendall(wire[7:] + encode(Spikes(seq=3, step=12))[:5])  # the last frame is cut by the drop
        board.close()
        assert _poll_until(link, len(telemetry) + 1) == telemetry
        assert not link.connected and link.error == "connection lost: the board closed the connection"
        assert link.stats.frames_ok == 3 and link.stats.corrupt == 0
        assert link.poll() == []  # a dropped link stays quiet
        with pytest.raises(LinkError, match=rf"^tcp:127.0.0.1:{port}: not connected \(connection lost: the board "
                                            r"closed the connection\)$"):
            link.send(RunSteps(steps=5))

        link.reconnect()  # the board is back: fresh counters, the command count goes on
        board, _ = server.accept()
        board.settimeout(5)
        again = link.send(RunSteps(steps=5))
        assert again.seq == 2
        assert _read_exactly(board.recv, len(encode(again))) == encode(again)
        board.sendall(encode(Status(seq=0, step=20)))
        assert _poll_until(link, 1) == [Status(seq=0, step=20)]
        assert link.connected and link.error == "" and link.stats.frames_ok == 1
    finally:
        link.close()
        board.close()
        server.close()


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_pseudo_terminal_is_a_serial_link():
    master, slave = os.openpty()
    link = HilLink(os.ttyname(slave))
    try:
        telemetry = [Spikes(seq=5, step=100, neurons=tuple(range(0, 120))), Status(seq=6, step=101, rx_errors=2)]
        os.write(master, b"\x13\x37 line noise\x00" + b"".join(encode(m) for m in telemetry))
        got = _poll_until(link, 2)
        assert got == telemetry
        assert link.stats.frames_ok == 2 and link.stats.framing_errors == 1

        command = link.send(RunSteps(steps=2000))
        board_side = FrameDecoder()
        assert board_side.feed(_read_exactly(lambda n: os.read(master, n), len(encode(command)))) == [command]

        os.close(master)
        master = -1
        assert _poll_until(link, 1) == []
        assert not link.connected and link.error.startswith("connection lost: ")
        assert link.poll() == []
    finally:
        link.close()
        os.close(slave)
        if master >= 0:
            os.close(master)
