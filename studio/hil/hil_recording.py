"""A HIL session on disk as it happens, and read back for replay.

A recording is UTF-8 JSON lines: first a header (``{"recording": "ncstudio-hil", "version": 1,
"project", "address", "started"}``), then one line per event, each with ``t`` (seconds since the
session started): ``{"t", "rx": {...}}`` a message from the board, ``{"t", "tx": {...}}`` a command
sent, ``{"t", "event": "connected" | "dropped", "detail"}``.  A message is its type's name and its
fields (``{"type": "Spikes", "seq": 3, "step": 140, "neurons": [122]}``).  Every line is flushed to the
operating system when written, so a session that ends abruptly keeps everything up to its end.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.errors import NeuroCoreError
from hdl.hil_protocol import MESSAGES, Message

FORMAT = "ncstudio-hil"
VERSION = 1
SUFFIX = ".hilrec"
_BY_NAME = {cls.__name__: cls for cls in MESSAGES.values()}


class RecordingError(NeuroCoreError):
    """A file that is not a HIL recording, or one cut off in a way that cannot be read."""


def message_to_json(message: Message) -> dict:
    """A message as a JSON object: ``type`` and its fields."""
    return {"type": type(message).__name__, **vars(message)}


def message_from_json(data: dict) -> Message:
    """The message a :func:`message_to_json` object describes (raises KeyError or TypeError when it is not one)."""
    cls = _BY_NAME[data["type"]]
    fields = {k: tuple(tuple(r) if isinstance(r, list) else r for r in v) if isinstance(v, list) else v
              for k, v in data.items() if k != "type"}
    return cls(**fields)


@dataclass(frozen=True)
class Event:
    """One line of a recording: at ``t`` seconds, a message received (``direction`` "rx"), a command sent
    ("tx"), or a link event ("event": ``kind`` and ``detail``)."""

    t: float
    direction: str
    message: Message | None = None
    kind: str = ""
    detail: str = ""


class Recorder:
    """Write a session to ``path`` line by line (:class:`Event`), flushed as it goes."""

    def __init__(self, path: str | os.PathLike, project: str, address: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        self._start = time.monotonic()
        self._line({"recording": FORMAT, "version": VERSION, "project": project, "address": address,
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    @property
    def elapsed(self) -> float:
        """Seconds since the recording started."""
        return time.monotonic() - self._start

    def received(self, messages: list[Message]) -> None:
        t = round(self.elapsed, 6)
        for message in messages:
            self._line({"t": t, "rx": message_to_json(message)}, flush=False)
        self._flush()

    def sent(self, message: Message) -> None:
        self._line({"t": round(self.elapsed, 6), "tx": message_to_json(message)})

    def event(self, kind: str, detail: str = "") -> None:
        self._line({"t": round(self.elapsed, 6), "event": kind, "detail": detail})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _line(self, data: dict, flush: bool = True) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(data, separators=(",", ":")) + "\n")
        if flush:
            self._flush()

    def _flush(self) -> None:
        if self._file is not None:
            self._file.flush()


def read_recording(path: str | os.PathLike) -> tuple[dict, list[Event]]:
    """The header and events of a recording; a last line cut off mid-write is ignored.

    Raises
    ------
    RecordingError
        The file is not a recording (the message names the file and line).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path.name}: cannot read it ({exc})") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("recording") != FORMAT:
        raise RecordingError(f"{path.name}: not a HIL recording (its first line is no ncstudio-hil header)")
    events = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            data = json.loads(line)
            if "event" in data:
                events.append(Event(data["t"], "event", kind=data["event"], detail=data.get("detail", "")))
            else:
                direction = "rx" if "rx" in data else "tx"
                events.append(Event(data["t"], direction, message_from_json(data[direction])))
        except json.JSONDecodeError:
            if number == len(lines):
                break  # the session ended while writing its last line
            raise RecordingError(f"{path.name}, line {number}: not JSON") from None
        except (KeyError, TypeError) as exc:
            raise RecordingError(f"{path.name}, line {number}: not an event of a recording ({exc})") from None
    return header, events
