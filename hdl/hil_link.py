"""A byte link to a board, over TCP or a serial port, speaking the HIL protocol (docs/hil-protocol.md).

:class:`HilLink` opens the connection an address names (``tcp:HOST:PORT``, or a
serial device such as ``/dev/ttyUSB1``), numbers and sends commands
(:meth:`~HilLink.send`) and returns the messages that have arrived
(:meth:`~HilLink.poll`) without ever waiting for the board.  When the board goes
away, :meth:`~HilLink.poll` returns what arrived before, the link reports the
drop (``connected`` false, ``error`` the reason) and :meth:`~HilLink.reconnect`
tries again.  No threads of its own and no Qt: the caller polls.
"""

from __future__ import annotations

import dataclasses
import select
import socket
from dataclasses import dataclass

import serial
import serial.tools.list_ports

from engine.errors import NeuroCoreError
from hdl.hil_codec import FrameDecoder, LinkStats, encode
from hdl.hil_protocol import DEFAULT_BAUD, SEQ_MODULUS, Message

__all__ = ["Address", "HilLink", "LinkError", "parse_address", "serial_ports"]

READ_CHUNK = 65536
POLL_LIMIT = 1 << 20  # bytes one poll reads at most, so a fast board cannot keep it busy


class LinkError(NeuroCoreError):
    """A link that cannot be opened, or a command that could not be sent."""


@dataclass(frozen=True)
class Address:
    """Where a board is: ``kind`` "tcp" (``host``, ``port``) or "serial" (``device``, ``baud``)."""

    kind: str
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = DEFAULT_BAUD

    def __str__(self) -> str:
        return f"tcp:{self.host}:{self.port}" if self.kind == "tcp" else self.device


def parse_address(text: str, baud: int = DEFAULT_BAUD) -> Address:
    """``tcp:HOST:PORT`` or a serial device (``/dev/ttyUSB1``, ``COM3``; ``serial:`` in front is optional).

    Raises
    ------
    LinkError
        When the text names neither.
    """
    text = text.strip()
    if text.startswith("tcp:"):
        host, _, port = text[4:].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise LinkError(f"`{text}` is not a TCP address (write tcp:HOST:PORT, e.g. tcp:127.0.0.1:7000)")
        return Address("tcp", host=host.strip("[]"), port=int(port))
    device = text.removeprefix("serial:")
    if not device or ":" in device:
        raise LinkError(f"`{text}` is neither tcp:HOST:PORT nor a serial device such as /dev/ttyUSB1")
    return Address("serial", device=device, baud=int(baud))


def serial_ports() -> list[str]:
    """The serial devices this machine has (pyserial's list), sorted."""
    return sorted(p.device for p in serial.tools.list_ports.comports())


class _Tcp:
    def __init__(self, address: Address, timeout: float):
        try:
            self.sock = socket.create_connection((address.host, address.port), timeout=timeout)
        except OSError as exc:
            raise LinkError(f"{address}: {_reason(exc)}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read(self) -> bytes:
        if not select.select([self.sock], [], [], 0)[0]:
            return b""
        data = self.sock.recv(READ_CHUNK)
        if not data:
            raise ConnectionError("the board closed the connection")
        return data

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


class _Serial:
    def __init__(self, address: Address, timeout: float):
        try:
            self.port = serial.Serial(address.device, address.baud, timeout=0, write_timeout=timeout)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"{address}: {_reason(exc)}") from None

    def read(self) -> bytes:
        waiting = self.port.in_waiting
        return self.port.read(waiting) if waiting else b""

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def close(self) -> None:
        self.port.close()


def _reason(exc: BaseException) -> str:
    """An OS error in a few plain words ("connection refused", "no such file or directory")."""
    if isinstance(exc, TimeoutError):
        return "no answer (timed out)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


class HilLink:
    """A connection to one board: ``send`` commands, ``poll`` for messages, ``stats`` of the bytes in.

    Parameters
    ----------
    address
        ``tcp:HOST:PORT``, a serial device, or an :class:`Address`.
    baud
        The serial rate (ignored for TCP).
    timeout
        Seconds to connect, and to hand a command to the operating system.

    Raises
    ------
    LinkError
        When the address is not one, or the board cannot be reached.
    """

    def __init__(self, address: str | Address, baud: int = DEFAULT_BAUD, timeout: float = 2.0):
        self.address = address if isinstance(address, Address) else parse_address(address, baud)
        self.timeout = timeout
        self.error = ""  # why the link dropped ("" while connected)
        self._next_seq = 0
        self._transport: _Tcp | _Serial | None = None
        self.decoder = FrameDecoder()
        self.reconnect()

    @property
    def connected(self) -> bool:
        return self._transport is not None

    @property
    def stats(self) -> LinkStats:
        """The receiving side's counters (frames, CRC errors, lost frames, ...) since the last connect."""
        return self.decoder.stats

    def reconnect(self) -> None:
        """Open the connection (again), with fresh counters; raises :class:`LinkError` when it cannot."""
        self.close()
        opener = _Tcp if self.address.kind == "tcp" else _Serial
        self._transport = opener(self.address, self.timeout)
        self.decoder = FrameDecoder()
        self.error = ""

    def poll(self) -> list[Message]:
        """The messages that arrived since the last poll; never waits, never raises (a drop sets ``error``)."""
        messages: list[Message] = []
        received = 0
        while self._transport is not None and received < POLL_LIMIT:
            try:
                data = self._transport.read()
            except (OSError, serial.SerialException) as exc:
                self._drop(exc)
                break
            if not data:
                break
            received += len(data)
            messages += self.decoder.feed(data)
        return messages

    def send(self, message: Message) -> Message:
        """Send ``message`` under the next sequence number; returns it as sent (to match its Ack).

        Raises
        ------
        LinkError
            When the link is down or drops while sending.
        """
        if self._transport is None:
            raise LinkError(f"{self.address}: not connected ({self.error or 'closed'})")
        sent = dataclasses.replace(message, seq=self._next_seq)
        data = encode(sent)
        try:
            self._transport.write(data)
        except (OSError, serial.SerialException) as exc:
            self._drop(exc)
            raise LinkError(f"{self.address}: {self.error}") from None
        self._next_seq = (self._next_seq + 1) % SEQ_MODULUS
        return sent

    def close(self) -> None:
        """Close the connection (nothing happens when it is closed already)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _drop(self, exc: BaseException) -> None:
        self.close()
        self.error = f"connection lost: {_reason(exc)}"
