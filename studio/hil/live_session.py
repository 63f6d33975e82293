"""One HIL session, Qt-free: a board's link, the engine's prediction beside it, the recording, the comparison.

:class:`HilSession` never blocks its caller: opening the link and running the engine
happen on worker threads of its own, and :meth:`~HilSession.poll` (the GUI calls it
from a timer) takes what has arrived, writes it to the recording, adds it to the
:class:`~studio.hil.hil_telemetry.Telemetry`, keeps the prediction ahead of the board
and looks for the first divergence.  A parameter write is ``"sent"`` until its ``Ack``
reads back the value written (``"applied"``) or refuses it (``"refused"``).  A drop
leaves ``state == "dropped"`` with the reason in ``error``, the recording on disk and
the data in memory; :meth:`~HilSession.reconnect` tries again.  A recording can be
replayed through the same session (:meth:`~HilSession.replay`).
"""

from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from hdl.hil_link import HilLink, LinkError, parse_address
from hdl.hil_protocol import Ack, Message, Reset, Result, WriteParam
from hdl.netcosim import DEFAULT_FORMAT
from studio.hil.hil_prediction import BankEntry, EnginePrediction, Write
from studio.hil.hil_recording import SUFFIX, Event, Recorder, read_recording
from studio.hil.hil_telemetry import Telemetry, first_divergence

LOOKAHEAD = 2000  # steps the engine runs ahead of the board
MAX_UNANSWERED = 1024  # commands remembered for their Acks
RATE_WINDOW_S = 1.0
STATES = ("idle", "connecting", "connected", "dropped", "replaying", "replayed")


@dataclass(frozen=True)
class Prediction:
    """A snapshot of the engine's run: ``steps`` predicted, their spikes, and the probes asked for."""

    steps: int = 0
    spikes: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    probes: dict = field(default_factory=dict)  # (neuron, variable) -> (steps, raw values)


@dataclass
class ParameterWrite:
    """A write into the board's parameter bank and what became of it."""

    entry: BankEntry
    value: int
    seq: int
    state: str = "sent"  # "sent", "applied" (read back equal), "refused"
    readback: int | None = None
    step: int = 0  # the first step computed with it, as the board's Ack says
    predicted: bool = False  # the engine's prediction has it


def _advance(engine: EnginePrediction, steps: int, probes: list, write: Write | None = None) -> Prediction:
    if write is not None:
        engine.write(write)
    engine.extend(steps)
    return Prediction(engine.steps, engine.spikes(), {p: engine.probe(*p) for p in probes})


def _fresh(path: Path) -> Path:
    """``path``, or ``path`` numbered -2, -3, ... when a file has that name (a recording is never overwritten)."""
    candidate, k = path, 1
    while candidate.exists():
        k += 1
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
    return candidate


class HilSession:
    """A session on the project at ``path`` (its network in format ``fmt``), recording into ``folder``.

    Attributes
    ----------
    state
        One of ``STATES``.
    error
        Why the link is down ("" while it is up or was closed on purpose): the drop, an address that did not answer.
    prediction_error
        Why there is no prediction ("" while there is one): a project the engine or the core cannot take.
    telemetry
        What the board reported (since the last connect, or in the replayed recording).
    prediction
        The latest :class:`Prediction` of the engine.
    divergence
        The first divergence of board and engine (:func:`~studio.hil.hil_telemetry.first_divergence`), or None.
    writes
        Every parameter write of the session, oldest first.
    refusals
        The commands the board refused, in words ("the board refused Reset (unknown command)").
    recording
        The file the session is being recorded to (None before connecting and in a replay).
    """

    def __init__(self, path: str | os.PathLike, fmt: QFormat = DEFAULT_FORMAT, folder: str | os.PathLike = "."):
        self.path = str(path)
        self.folder = Path(folder)
        self.state = "idle"
        self.error = ""
        self.address = ""
        self.link: HilLink | None = None
        self.telemetry = Telemetry()
        self.prediction = Prediction()
        self.engine: EnginePrediction | None = None
        self.divergence: dict | None = None
        self.writes: list[ParameterWrite] = []
        self.refusals: list[str] = []
        self.prediction_error = ""
        self._commands: dict[int, Message] = {}  # sent and not acknowledged yet, by seq
        self.recording: Path | None = None
        self._recorder: Recorder | None = None
        self._checked = 0
        self._arrivals: deque[tuple[float, int]] = deque()
        self._opening: Future | None = None
        self._linker = ThreadPoolExecutor(1, thread_name_prefix="hil-link")
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="hil-engine")
        self.fmt = fmt
        self._building: Future | None = self._worker.submit(EnginePrediction, self.path, fmt)
        self._job: Future | None = None
        self._job_write: Write | None = None
        self._replay: list[Event] = []
        self._replay_start = 0.0
        self.speed = 1.0

    # -- connecting ----------------------------------------------------------------------------
    def connect(self, address: str) -> None:
        """Open the link to ``address`` (``tcp:HOST:PORT`` or a serial device) on a worker; :meth:`poll` reports.

        Raises
        ------
        LinkError
            The text is not an address (nothing is opened).
        """
        parse_address(address)
        self.close_link()
        self.address = address
        self.state = "connecting"
        self.error = ""
        self._opening = self._linker.submit(HilLink, address)

    def reconnect(self) -> None:
        """Open the link to the last address again (a new recording; the data so far stays on disk)."""
        if self.address:
            self.connect(self.address)

    def close_link(self) -> None:
        """Close the link (or give up opening it) and the recording (the data stays)."""
        if self._opening is not None:  # a link that opens after all is closed at once
            self._opening.add_done_callback(lambda opened: opened.exception() is None and opened.result().close())
            self._opening = None
        if self.link is not None:
            self.link.close()
            self.link = None
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
        if self.state in ("connected", "connecting"):
            self.state = "idle"

    def close(self) -> None:
        """End the session: the link, the recording and the workers."""
        self.close_link()
        self._linker.shutdown(wait=False, cancel_futures=True)
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- the board -------------------------------------------------------------------------------
    def send(self, message: Message) -> Message:
        """Send a command (recorded); returns it as numbered.

        Raises
        ------
        LinkError
            Not connected, or the link dropped while sending (then ``state`` is "dropped").
        """
        if self.link is None:
            raise LinkError(f"not connected{': ' + self.error if self.error else ''}")
        try:
            sent = self.link.send(message)
        finally:
            self._check_link()
        if self._recorder is not None:
            self._recorder.sent(sent)
        self._sent(sent)
        return sent

    def write_parameter(self, entry: BankEntry, value: int) -> ParameterWrite:
        """Write the raw ``value`` into ``entry`` of the board's bank; applied once the Ack reads it back."""
        self.send(WriteParam(bank=entry.bank, entry=entry.entry, value=int(value)))
        return self.writes[-1]

    def reset(self) -> Message:
        """Send ``Reset``; once the board acknowledges it, it starts again from step 0 with the parameters written
        so far, and so does the comparison (the recording keeps what came before)."""
        return self.send(Reset())

    def replay(self, path: str | os.PathLike, speed: float = 1.0) -> dict:
        """Replay a recording (``speed`` times as fast; ``float("inf")``: at once) through :meth:`poll`; returns
        its header.

        Raises
        ------
        RecordingError
            The file is not a recording.
        """
        header, events = read_recording(path)
        self.close_link()
        self._reset_data()
        self.state = "replaying"
        self.error = ""
        self.address = ""
        self.recording = None
        self._replay = events
        self._replay_start = time.monotonic()
        self.speed = speed
        return header

    # -- the poll ----------------------------------------------------------------------------------
    def poll(self) -> list[Message]:
        """Take what arrived (never waits); returns the board's new messages."""
        self._take_workers()
        if self.state == "replaying":
            messages = self._replayed()
        elif self.link is not None:
            messages = self.link.poll()
            if self._recorder is not None and messages:
                self._recorder.received(messages)
            self._received(messages)
            self._check_link()
        else:
            messages = []
        self._predict()
        self._compare()
        return messages

    @property
    def frames_per_s(self) -> float:
        """Board messages per second over the last second."""
        now = time.monotonic()
        while self._arrivals and self._arrivals[0][0] < now - RATE_WINDOW_S:
            self._arrivals.popleft()
        return sum(n for _, n in self._arrivals) / RATE_WINDOW_S

    def warnings(self) -> list[str]:
        """Plain warnings about the link and the board (empty when all is well)."""
        found = [self.prediction_error] if self.prediction_error else []
        found += self.refusals[-1:]
        stats = self.link.stats if self.link is not None else None
        if stats is not None and stats.corrupt:
            found.append(f"{stats.corrupt} corrupt frame{'s' * (stats.corrupt != 1)} dropped "
                         f"({stats.crc_errors} CRC, {stats.framing_errors} framing, {stats.malformed} malformed): "
                         "check the cable and the baud rate")
        if stats is not None and stats.lost_frames:
            found.append(f"{stats.lost_frames} frame{'s' * (stats.lost_frames != 1)} lost on the way: "
                         "some spikes are missing here")
        status = self.telemetry.status
        if status is not None:
            if status.spikes_dropped:
                found.append(f"the board dropped {status.spikes_dropped} spikes: the link is too slow for this "
                             "rate (slow the pace down)")
            if status.queue_overflows:
                found.append(f"the core's delivery queue overflowed {status.queue_overflows} times: the board "
                             "no longer computes what the engine does")
            if status.frames_dropped:
                found.append(f"the board dropped {status.frames_dropped} probe frames (the transmitter was busy)")
        return found

    # -- inside ------------------------------------------------------------------------------------
    def _reset_data(self) -> None:
        self.telemetry = Telemetry()
        self.divergence = None
        self.writes = []
        self.refusals = []
        self._commands = {}
        self._checked = 0
        self._arrivals.clear()
        if self.engine is not None and self.engine.writes:  # a prediction without the old session's writes
            self.engine, self.prediction, self._job = None, Prediction(), None
            self._building = self._worker.submit(EnginePrediction, self.path, self.fmt)

    def _take_workers(self) -> None:
        if self._opening is not None and self._opening.done():
            opening, self._opening = self._opening, None
            try:
                self.link = opening.result()
            except NeuroCoreError as exc:
                self.state, self.error = "dropped", str(exc)
                return
            self._reset_data()
            self.state = "connected"
            self.recording = _fresh(self.folder / f"hil-{time.strftime('%Y%m%d-%H%M%S')}{SUFFIX}")
            self._recorder = Recorder(self.recording, self.path, self.address)
            self._recorder.event("connected", self.address)
        if self._building is not None and self._building.done():
            building, self._building = self._building, None
            try:
                self.engine = building.result()
            except NeuroCoreError as exc:
                self.prediction_error = f"no prediction from the engine: {exc}"
            except OSError as exc:
                self.prediction_error = f"no prediction from the engine: {self.path}: {exc.strerror or exc}"
        if self._job is not None and self._job.done():
            job, self._job = self._job, None
            write, self._job_write = self._job_write, None
            try:
                self.prediction = job.result()
            except NeuroCoreError as exc:
                self.prediction_error = f"the engine's prediction stopped: {exc}"
                self.engine = None
                return
            if write is not None:
                self._checked = min(self._checked, write.step)
                if self.divergence is not None and self.divergence["step"] >= write.step:
                    self.divergence = None

    def _predict(self) -> None:
        if self.engine is None or self._job is not None:
            return
        pending = next((w for w in self.writes if w.state == "applied" and not w.predicted), None)
        wanted = self.telemetry.horizon + LOOKAHEAD
        probes = self.telemetry.probed
        if pending is not None:
            write = Write(pending.step, pending.entry.bank, pending.entry.entry, pending.value)
            pending.predicted = True
            self._job_write = write
            self._job = self._worker.submit(_advance, self.engine, max(wanted, self.prediction.steps), probes, write)
        elif self.prediction.steps < self.telemetry.horizon + LOOKAHEAD // 2 or set(probes) - set(
                self.prediction.probes):
            self._job = self._worker.submit(_advance, self.engine, wanted, probes)

    def _compare(self) -> None:
        until = min(self.telemetry.horizon, self.prediction.steps)
        if self.divergence is not None or until <= self._checked:
            return
        self.divergence = first_divergence(self.telemetry.spikes(), self.prediction.spikes, self._checked, until)
        if self.divergence is None:
            self._checked = until

    def _received(self, messages: list[Message]) -> None:
        if messages:
            self._arrivals.append((time.monotonic(), len(messages)))
        for message in messages:
            if isinstance(message, Ack):
                self._acked(message)
            else:
                self.telemetry.add(message)

    def _sent(self, message: Message) -> None:
        self._commands[message.seq] = message
        while len(self._commands) > MAX_UNANSWERED:
            self._commands.pop(next(iter(self._commands)))
        if isinstance(message, WriteParam):
            entry = next((e for e in self.engine.bank if (e.bank, e.entry) == (message.bank, message.entry)), None) \
                if self.engine is not None else None
            entry = entry or BankEntry(message.bank, message.entry, "", f"bank {message.bank} entry {message.entry}",
                                       0)
            self.writes.append(ParameterWrite(entry, message.value, message.seq))

    def _acked(self, ack: Ack) -> None:
        command = self._commands.pop(ack.command_seq, None)
        if command is None or command.TYPE != ack.command:
            return
        if ack.result != Result.OK:
            reason = Result(ack.result).name.lower().replace("_", " ") if ack.result in Result._value2member_map_ \
                else f"result {ack.result}"
            self.refusals.append(f"the board refused {type(command).__name__} ({reason})")
        if isinstance(command, WriteParam):
            write = next((w for w in reversed(self.writes) if w.seq == ack.command_seq and w.state == "sent"), None)
            if write is not None:
                self._write_acked(write, ack)
        elif isinstance(command, Reset) and ack.result == Result.OK:
            self._board_reset()

    def _write_acked(self, write: ParameterWrite, ack: Ack) -> None:
        write.readback = ack.value
        if ack.result == Result.OK and ack.value == write.value:
            write.state, write.step = "applied", ack.step
        else:
            write.state = "refused"

    def _board_reset(self) -> None:
        """The board is back at step 0, keeping its parameter writes: so is the prediction."""
        self.telemetry = Telemetry()
        self.divergence = None
        self._checked = 0
        for write in self.writes:
            if write.state == "applied":
                write.step, write.predicted = 0, False
        self.engine, self.prediction, self._job = None, Prediction(), None
        self._building = self._worker.submit(EnginePrediction, self.path, self.fmt)

    def _check_link(self) -> None:
        if self.link is not None and not self.link.connected:
            self.state, self.error = "dropped", self.link.error
            if self._recorder is not None:
                self._recorder.event("dropped", self.error)
                self._recorder.close()
                self._recorder = None

    def _replayed(self) -> list[Message]:
        elapsed = (time.monotonic() - self._replay_start) * self.speed
        due = 0
        while due < len(self._replay) and self._replay[due].t <= elapsed:
            due += 1
        events, self._replay = self._replay[:due], self._replay[due:]
        messages = []
        for event in events:
            if event.direction == "rx":
                messages.append(event.message)
                self._received([event.message])
            elif event.direction == "tx":
                self._sent(event.message)
            elif event.kind == "dropped":
                self.error = event.detail
        if not self._replay:
            self.state = "replayed"
        return messages
