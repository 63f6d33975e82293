"""A stand-in board for the HIL session's tests: a real TCP server speaking the real protocol, whose
spikes are the fixed-point engine's run of the project (with the parameter writes it received, from
the step it received them).  A test fixture, not a shipped part: the virtual board is the real one."""

from __future__ import annotations

import select
import socket
import threading
import time

import numpy as np

from hdl.hil_codec import FrameDecoder, encode
from hdl.hil_protocol import (Ack, ProbeSamples, ReadParam, Reset, RunSteps, SetProbes, Spikes, Start, Status, Stop,
                              WriteParam)
from studio.hil.hil_prediction import EnginePrediction, Write

STEPS_PER_S = 10_000  # hil_demo in real time
STATUS_EVERY = 500


class FakeBoard:
    """Serve one client at a time on 127.0.0.1 (``address``); ``steps`` a Start runs; ``drop_at``: close the
    connection when that step is reached; ``hold_acks``: keep Acks until :meth:`release_acks`;
    ``wrong_spike``: (step, neuron) of one spike added to the engine's; ``corrupt_at``: a step at which a
    damaged frame is sent besides the good ones."""

    def __init__(self, project: str, steps: int = 2000, drop_at: int | None = None, hold_acks: bool = False,
                 wrong_spike: tuple[int, int] | None = None, corrupt_at: int | None = None):
        self.project = project
        self.engine = EnginePrediction(project)
        self.wrong_spike = wrong_spike  # (step, neuron): a spike the engine does not have
        self.corrupt_at = corrupt_at  # a step at which a frame with a flipped bit goes out as well
        self.steps = steps
        self.drop_at = drop_at
        self.hold_acks = hold_acks
        self.received: list = []
        self._held: list[Ack] = []
        self._release = threading.Event()
        self._stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp:127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def release_acks(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if select.select([self.server], [], [], 0.05)[0]:
                client, _ = self.server.accept()
                with client:
                    self._session(client)

    def _session(self, client: socket.socket) -> None:
        decoder, seq, step, until, probes, every, stopped = FrameDecoder(), 0, 0, 0, (), 1, False
        start = time.monotonic()

        def send(message) -> None:
            nonlocal seq
            client.sendall(encode(type(message)(**{**message.__dict__, "seq": seq})))
            seq = (seq + 1) % 65536

        while not self._stop.is_set():
            if select.select([client], [], [], 0.002)[0]:
                data = client.recv(4096)
                if not data:
                    return
                for command in decoder.feed(data):
                    self.received.append(command)
                    if isinstance(command, (Start, RunSteps)):
                        until = step + (command.steps if isinstance(command, RunSteps) else self.steps)
                        start = time.monotonic() - step / STEPS_PER_S
                    elif isinstance(command, Stop):
                        until = step
                        stopped = True
                    elif isinstance(command, Reset):  # back to step 0, keeping the parameters written
                        writes, self.engine = self.engine.writes, EnginePrediction(self.project)
                        for write in writes:
                            self.engine.write(Write(0, write.bank, write.entry, write.value))
                        step = until = 0
                    elif isinstance(command, SetProbes):
                        probes, every = command.probes, command.every
                    ack = Ack(command_seq=command.seq, command=command.TYPE, step=step)
                    if isinstance(command, WriteParam):
                        self.engine.write(Write(step, command.bank, command.entry, command.value))
                        ack = Ack(command_seq=command.seq, command=command.TYPE, bank=command.bank,
                                  entry=command.entry, value=command.value, step=step)
                    elif isinstance(command, ReadParam):
                        ack = Ack(command_seq=command.seq, command=command.TYPE, bank=command.bank, entry=command.entry,
                                  step=step)
                    if isinstance(command, WriteParam) and self.hold_acks:
                        self._held.append(ack)
                    else:
                        send(ack)
                    if stopped:
                        send(Status(running=0, step=step))
                        stopped = False
            if self._release.is_set():
                for ack in self._held:
                    send(ack)
                self._held.clear()
            due = min(until, int((time.monotonic() - start) * STEPS_PER_S))
            if step < due:
                self.engine.extend(due)
                steps, neurons = self.engine.spikes()
                sampled = {pair: self.engine.probe(*pair) for pair in probes}
                for s in range(step, due):
                    if s == self.drop_at:
                        return
                    fired = [int(n) for n in neurons[steps == s]]
                    if self.wrong_spike is not None and self.wrong_spike[0] == s:
                        fired.append(self.wrong_spike[1])
                    if fired:
                        send(Spikes(step=s, neurons=tuple(fired)))
                    if s == self.corrupt_at:
                        damaged = bytearray(encode(Spikes(seq=seq, step=s, neurons=(1, 2))))
                        damaged[4] ^= 0x10
                        client.sendall(bytes(damaged))
                    if probes and s % every == 0:
                        send(ProbeSamples(step=s, samples=tuple(
                            (n, v, _at(*sampled[(n, v)], s)) for n, v in probes)))
                    if (s + 1) % STATUS_EVERY == 0:
                        send(Status(running=1, step=s + 1, spikes=int((steps <= s).sum())))
                step = due
                if step == until:
                    send(Status(running=0, step=step, spikes=int((steps < step).sum())))



def _at(steps, values, step: int) -> int:
    """The value sampled at ``step`` (0 when none was)."""
    k = int(np.searchsorted(steps, step))
    return int(values[k]) if k < steps.size and steps[k] == step else 0
