"""Run a built network in chunks, record everything, stream to a live consumer.

``run(T)`` then ``run(T)`` gives exactly what ``run(2T)`` gives: the C loop
keeps its state and every random stream is drawn in step order.  Pause,
resume and stop take effect at chunk boundaries; parameters and weight scales
may change between chunks, and populations switch to their native code
(engine/run/native_tier.py) between chunks.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.errors import SimulationError
from engine.native import network as _network
from engine.network.build import Network
from engine.network.devices import DEFAULT_CHUNK_STEPS, ChunkIO, PopulationDevice
from engine.run.native_tier import NativeTier

# A run nobody watches (the command line, benchmarks) takes chunks this long: between two chunks Python makes
# the devices' inputs and records, a cost per chunk (a tenth of CUBA's run in chunks of 100 steps).
BATCH_CHUNK_STEPS = 1000
# ... while the devices' input and sample blocks of one chunk take at most this many bytes.
BATCH_CHUNK_BYTES = 64 * 2**20


def batch_chunk_steps(network: Network) -> int:
    """Steps per chunk for a run nobody watches: long, unless the devices' blocks would make a chunk large (never
    shorter than the studio's chunks)."""
    per_step = sum(dev.block_bytes(1) for dev in network.devices.values() if isinstance(dev, PopulationDevice))
    return max(DEFAULT_CHUNK_STEPS, min(BATCH_CHUNK_STEPS, BATCH_CHUNK_BYTES // max(per_step, 1)))


def max_threads() -> int:
    """The most threads worth giving a run here: the processor count.  A run accepts more (up to the
    kernel's limit), with the same bits."""
    return min(os.cpu_count() or 1, _network.THREAD_LIMIT)


@dataclass
class Chunk:
    """What one chunk produced, handed to a live consumer.

    ``spikes[population] = (times_ms, neurons)``; ``traces[recorder] =
    (times_ms, values[sample, variable, neuron])``.
    """

    t_start_ms: float
    t_stop_ms: float
    spikes: dict[str, tuple[np.ndarray, np.ndarray]]
    traces: dict[str, tuple[np.ndarray, np.ndarray]]
    dropped_spikes: int = 0
    decimation: int = 1


class StreamBuffer:
    """A bounded hand-over of chunks from the simulation thread to a consumer.

    When the consumer falls behind, the two oldest chunks are merged: their
    spikes are concatenated (beyond ``max_spikes`` they are dropped and
    counted) and their traces are decimated by two, so memory stays bounded.
    """

    def __init__(self, max_chunks: int = 8, max_spikes: int = 2_000_000):
        self.max_chunks = max_chunks
        self.max_spikes = max_spikes
        self._chunks: deque[Chunk] = deque()
        self._lock = threading.Lock()

    def put(self, chunk: Chunk) -> None:
        with self._lock:
            self._chunks.append(chunk)
            while len(self._chunks) > self.max_chunks:
                a = self._chunks.popleft()
                b = self._chunks.popleft()
                self._chunks.appendleft(_merge(a, b, self.max_spikes))

    def take(self) -> list[Chunk]:
        """Every chunk waiting, oldest first."""
        with self._lock:
            out = list(self._chunks)
            self._chunks.clear()
            return out

    def __len__(self) -> int:
        return len(self._chunks)


def _merge(a: Chunk, b: Chunk, max_spikes: int) -> Chunk:
    spikes, dropped = {}, a.dropped_spikes + b.dropped_spikes
    for name in a.spikes.keys() | b.spikes.keys():
        ta, na = a.spikes.get(name, (np.zeros(0), np.zeros(0, np.int32)))
        tb, nb = b.spikes.get(name, (np.zeros(0), np.zeros(0, np.int32)))
        t, n = np.concatenate([ta, tb]), np.concatenate([na, nb])
        if t.size > max_spikes:
            dropped += t.size - max_spikes
            t, n = t[-max_spikes:], n[-max_spikes:]
        spikes[name] = (t, n)
    traces = {}
    for name in a.traces.keys() | b.traces.keys():
        parts = [c.traces[name] for c in (a, b) if name in c.traces]
        t = np.concatenate([p[0] for p in parts])[::2]
        v = np.concatenate([p[1] for p in parts])[::2]
        traces[name] = (t, v)
    return Chunk(a.t_start_ms, b.t_stop_ms, spikes, traces, dropped, max(a.decimation, b.decimation) * 2)


@dataclass
class RunSummary:
    """Counts and timings of a ``run`` call: ``run_s`` is its wall time, ``wall_s`` the simulation loop's
    alone, ``devices_s`` the wall time the devices took around the chunks (making inputs such as Poisson
    counts, taking samples), outside the loop.  ``cpu_s`` is the processor time of the whole call, loop and
    devices (what Brian2's cpp_standalone reports, std::clock; on a busy machine the wall time also counts
    the time other processes had the core): the calling thread's when the run starts on one thread, else
    the process's."""

    steps: int
    sim_s: float
    wall_s: float
    spikes: dict[str, int]
    rates_hz: dict[str, float]
    cpu_s: float = 0.0
    devices_s: float = 0.0
    run_s: float = 0.0


@dataclass
class Recording:
    """Every spike so far, per population (samplers keep their own samples)."""

    spike_steps: dict[str, list[np.ndarray]] = field(default_factory=dict)
    spike_neurons: dict[str, list[np.ndarray]] = field(default_factory=dict)


class Simulation:
    """Chunked, pausable, streaming runs of a :class:`~engine.network.build.Network`.

    Parameters
    ----------
    network
        The built network.
    chunk_steps
        Steps per chunk: pause, stop, parameter changes and streaming happen between chunks.
    threads
        Threads each chunk runs on (from 1; :func:`max_threads` says what this machine offers); every
        number gives the same bits.
    """

    def __init__(self, network: Network, chunk_steps: int = DEFAULT_CHUNK_STEPS, threads: int = 1):
        try:
            network.kernel.set_threads(threads)
        except (ValueError, TypeError, OverflowError) as exc:
            raise SimulationError(f"threads: {exc}") from exc
        self.network = network
        self.chunk_steps = int(chunk_steps)
        self.step = 0
        self.recording = Recording()
        self._pause = threading.Event()
        self._pause.set()
        self._stop = threading.Event()
        self.log: list[str] = []
        self.native = NativeTier(network)

    # -- control (thread-safe; effective at the next chunk boundary) ----------
    def pause(self) -> None:
        self._pause.clear()

    def resume(self) -> None:
        self._pause.set()

    def stop(self) -> None:
        self._stop.set()
        self._pause.set()

    @property
    def t_ms(self) -> float:
        return self.step * self.network.dt * 1e3

    def set_parameter(self, population: str, name: str, value: str) -> None:
        self.network.set_parameter(population, name, value)
        self.log.append(f"t = {self.t_ms:g} ms: {population}.{name} = {value}")

    def set_weight_scale(self, projection: str, scale: float) -> None:
        self.network.set_weight_scale(projection, scale)
        self.log.append(f"t = {self.t_ms:g} ms: {projection} weights x {scale:g}")

    # -- running ----------------------------------------------------------------
    def run(self, duration_s: float, stream: StreamBuffer | None = None,
            on_chunk: Callable[[Chunk], None] | None = None) -> RunSummary:
        """Advance ``duration_s`` seconds (rounded to whole steps) in chunks."""
        net = self.network
        total = int(round(duration_s / net.dt))
        if total < 0:
            raise SimulationError("the duration cannot be negative")
        self._stop.clear()
        done, wall, devices = 0, 0.0, 0.0
        counts = {name: 0 for name in net.populations}
        # Read once per run: on a busy machine a processor clock took half a millisecond to read after a
        # chunk (a KVM guest), where a chunk of CUBA takes a few.
        clock = time.thread_time if net.kernel.threads == 1 else time.process_time
        start_run, start_cpu = time.perf_counter(), clock()
        while done < total and not self._stop.is_set():
            self._pause.wait()
            if self._stop.is_set():
                break
            n = min(self.chunk_steps, total - done, net.longest_chunk or total)
            self.native.install()
            start = time.perf_counter()
            io = self._inputs(n)
            devices += time.perf_counter() - start
            start = time.perf_counter()
            spikes, io.written = net.kernel.run(self.step, n, io.currents, io.externals, io.outs)
            wall += time.perf_counter() - start
            io.ran = n if net.kernel.failed_pop < 0 else int(net.kernel.failed_step) - self.step + 1
            start = time.perf_counter()
            chunk = self._record(spikes, io)
            devices += time.perf_counter() - start
            for name, (t, _) in chunk.spikes.items():
                counts[name] += t.size
            self.step += io.ran
            done += io.ran
            if net.kernel.failed_pop >= 0:
                raise self._blow_up()
            if stream is not None:
                stream.put(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
        cpu, run_s = clock() - start_cpu, time.perf_counter() - start_run
        sim_s = done * net.dt
        rates = {name: (counts[name] / (net.populations[name].size * sim_s) if sim_s > 0 else 0.0)
                 for name in counts}
        return RunSummary(done, sim_s, wall, counts, rates, cpu, devices, run_s)

    def _inputs(self, n: int) -> ChunkIO:
        """The inputs every device makes for the next ``n`` steps; a numerical failure names the device."""
        io = ChunkIO(self.step, n, self.network.rings, self.network.fmt)
        for dev in self.network.devices.values():
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    dev.before_chunk(io)
            except (ArithmeticError, ValueError) as exc:
                raise SimulationError(f"device `{dev.name}` cannot make its input at t = {self.t_ms:g} ms: "
                                      f"{exc}") from exc
        io.saturate_currents()
        for sc in self.network.sc.values():
            proj = self.network.projections[sc.plan.name]
            block = None
            for s in range(n):
                value = sc.arriving(self.step + s)
                if value is not None:
                    block = io.external_block(proj.target, proj.receptor) if block is None else block
                    block[s] += value
        return io

    def _record(self, spikes, io: ChunkIO) -> Chunk:
        net, rec = self.network, self.recording
        to_ms = net.dt * 1e3
        chunk_spikes = {}
        for name, pop in net.populations.items():
            steps, neurons = spikes[pop.index]
            rec.spike_steps.setdefault(name, []).append(steps)
            rec.spike_neurons.setdefault(name, []).append(neurons)
            chunk_spikes[name] = ((steps + 1) * to_ms, neurons)
        for sc in net.sc.values():
            source = net.projections[sc.plan.name].source
            sc.after_chunk(self.step, io.ran, *spikes[source.index], source.size)
        for dev in net.devices.values():
            dev.after_chunk(io)
        return Chunk(self.step * to_ms, (self.step + io.ran) * to_ms, chunk_spikes, io.traces)

    def _blow_up(self) -> SimulationError:
        net = self.network
        pop = next(p for p in net.populations.values() if p.index == net.kernel.failed_pop)
        t_ms = (net.kernel.failed_step + 1) * net.dt * 1e3
        for name in pop.ir.state_names:
            values = pop.state.get(name)
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                return SimulationError(f"numerical blow-up in population `{pop.name}`: neuron {int(bad[0])}, "
                                       f"variable `{name}` became {values[bad[0]]} by t = {t_ms:g} ms "
                                       "(try a smaller dt or another integration method)")
        return SimulationError(f"numerical blow-up in population `{pop.name}` by t = {t_ms:g} ms")

    # -- results ------------------------------------------------------------------
    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """All recorded spikes of a population: (times in ms, neuron indices)."""
        steps = np.concatenate(self.recording.spike_steps.get(population, [np.zeros(0, np.int64)]))
        neurons = np.concatenate(self.recording.spike_neurons.get(population, [np.zeros(0, np.int32)]))
        return (steps + 1) * self.network.dt * 1e3, neurons

    def recorder(self, name: str) -> dict[str, np.ndarray]:
        """A recorder's data: ``times`` (ms) and ``senders`` for spike recorders, ``t`` (ms) and
        one (samples, neurons) array per recorded variable for voltmeters and multimeters,
        ``t`` (bin starts) and ``rate`` (Hz) for population_rate, over the complete bins
        ``(t, t + bin]`` simulated so far."""
        return self.network.devices[name].recorded(self)
