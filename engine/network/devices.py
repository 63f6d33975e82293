"""NEST-named devices: current and spike generators, and recorders.

Every kind is one class in :data:`DEVICE_TYPES`, keyed by its NEST name, with the
hooks of :class:`Device`: how it is created for its target at build, which
delay rings it feeds, what it adds before each chunk, what it takes after it,
and what it recorded.  The build and the simulation call only these hooks, so a
new device is a subclass and one entry in the table.  Each class declares its
parameters once (:attr:`Device.parameters`: dimension, default, least value);
the build reads them there and so do the project's checks before a build
(:func:`device_parameters`).

Timing follows NEST (tests/data/nest/README.md):

* a current generator computes in step ``e`` the value for time ``(e+1)*dt``
  (its stamp: the ac_generator's sine, the step_current_generator's
  amplitude), is active when ``start <= (e+1)*dt < stop`` and reaches its
  targets' injected current in step ``e + 1 + delay`` (a dc_generator
  switched on at 0 with the minimal delay acts from step 2);
* a spike emitted by a generator in step ``e`` is received in step ``e +
  delay``; a poisson_generator emits in steps with ``start < e*dt <= stop``;
  a spike_generator spike at time ``s`` (``start < s <= stop``) is emitted
  in step ``round(s/dt) - 1``.

A floating-point poisson_generator's counts are drawn inside the compiled
kernel, by the threads that own the neurons: Philox4x32-10 keyed by the
device's seed and counted by (neuron, emission step), inverted against the
Poisson distribution (ext/poisson.h, :func:`poisson_cdf`), so every number of
threads and every chunking draws the same counts.  (This replaced NumPy's
``Generator.poisson`` per chunk: every float network with a poisson_generator
draws a different, equally Poisson, stream since.)  The noise_generator draws
from its own random stream in step order, so a run in chunks draws exactly what
one long run draws.

In a fixed-point population inputs are raw integers: currents and weights are
quantized once to the population's format, and a poisson_generator draws its
counts from the hardware's source (a xorshift32 stream inverted against a
16-bit table of the Poisson distribution, docs/fixed-point.md), so the network
core on the FPGA draws the very same counts.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
from scipy.special import gammaln

from engine.errors import Location, NeuroCoreError, SimulationError
from engine.equations.units import (AMP, DIMENSIONLESS, HERTZ, SECOND, SI_UNITS, Dimension, UnitError,
                                    format_dimension, quantity_in)
from engine.fixedpoint import QFormat
from engine.models.base import ReceptorError, route_input
from engine.native import network as _network
from engine.network.definitions import DeviceDef

DEFAULT_CHUNK_STEPS = 100
POISSON_TABLE_BITS = 16
POISSON_MAX_COUNT = 31
MAX_DELAY_STEPS = int(np.iinfo(np.uint16).max)
"""The longest delay, in steps of dt (delays are held as 16-bit step counts)."""


def delay_problem(delay: float, dt: float) -> str | None:
    """Why a delay of ``delay`` seconds cannot be used with time step ``dt`` (``None`` when it can): rounded to
    whole steps, a delay is at least one step and at most :data:`MAX_DELAY_STEPS`."""
    shown = f"delay {delay * 1e3:g} ms"
    if delay < 0:
        return f"{shown} is negative; the minimum delay is one time step ({dt * 1e3:g} ms)"
    steps = delay_steps(delay, dt)
    if steps < 1:
        return f"{shown} is shorter than one time step ({dt * 1e3:g} ms); the minimum delay is one step"
    if steps > MAX_DELAY_STEPS:
        return f"{shown} is too long (at most {MAX_DELAY_STEPS} steps of {dt * 1e3:g} ms)"
    return None


def neurons_problem(neurons, size: int) -> str | None:
    """Why a device cannot pick ``neurons`` (indices) of a population of ``size`` (``None`` when it can)."""
    neurons = np.asarray(neurons, dtype=np.int64)
    return None if not neurons.size or (neurons.min() >= 0 and neurons.max() < size) else \
        f"neuron indices must lie in 0..{size - 1}"


def delay_steps(delay: float, dt: float) -> int:
    """A delay of ``delay`` seconds in whole steps of ``dt`` (check it with :func:`delay_problem`)."""
    return int(round(delay / dt))


@dataclass(frozen=True)
class DeviceParam:
    """One parameter of a kind of device: the dimension of its value (of each value when it holds ``many``;
    ``None``: names of state variables), its default as typed (``None``: it must be given; ``""`` for a list:
    none) and whether it may be negative."""

    dim: Dimension | None
    default: str | None = None
    many: bool = False
    negative: bool = True

    def value_problem(self, key: str, value: float) -> str | None:
        """Why ``value`` (SI) cannot be parameter ``key`` (``None`` when it can)."""
        return None if self.negative or value >= 0 else f"{key} cannot be negative"


_WINDOW = {"start": DeviceParam(SECOND, "0 ms"), "stop": DeviceParam(SECOND, "inf s")}
_INTERVAL = DeviceParam(SECOND, "1 ms", negative=False)


class DeviceError(NeuroCoreError):
    """A device definition is invalid; the message names the device and field, ``location`` holds them."""


class SpikeHistory(Protocol):
    """What recorders read of a run (a :class:`engine.run.simulation.Simulation` is one)."""

    @property
    def t_ms(self) -> float: ...

    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class ChunkIO:
    """The arrays one chunk of the C loop reads and writes: devices fill the inputs before it and take
    their samples after it.

    ``currents[population index]`` and ``externals[ring]`` are (steps, neurons) blocks of injected
    current and arriving weight, raw integers in fixed point; ``outs[sampler]`` receives a sampler's
    samples and ``written[sampler]`` says how many the chunk wrote; ``traces[recorder]`` are the
    chunk's ``(times_ms, values)`` for a live consumer.
    """

    first_step: int
    steps: int
    rings: dict[tuple[str, str], int]
    fmt: QFormat | None
    currents: dict[int, np.ndarray] = field(default_factory=dict)
    externals: dict[int, np.ndarray] = field(default_factory=dict)
    outs: dict[int, np.ndarray] = field(default_factory=dict)
    written: np.ndarray | None = None
    ran: int = 0
    traces: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def _zeros(self, size: int) -> np.ndarray:
        return np.zeros((self.steps, size), dtype=np.int64 if self.fmt is not None else np.float64)

    def current_block(self, population) -> np.ndarray:
        """The block of current injected into ``population`` in this chunk."""
        block = self.currents.get(population.index)
        if block is None:
            block = self.currents[population.index] = self._zeros(population.size)
        return block

    def external_block(self, population, receptor: str) -> np.ndarray:
        """The block of weight arriving at ``receptor`` of ``population`` in this chunk."""
        ring = self.rings[(population.name, receptor)]
        block = self.externals.get(ring)
        if block is None:
            block = self.externals[ring] = self._zeros(population.size)
        return block

    def saturate_currents(self) -> None:
        """In fixed point, several currents into one neuron add exactly and saturate once, where it reads them."""
        if self.fmt is not None:
            for block in self.currents.values():
                np.clip(block, self.fmt.store_min, self.fmt.store_max, out=block)


@dataclass
class Device:
    """Base of built devices: one NEST kind (see :data:`DEVICE_TYPES`) and what it does at each stage.

    At build a device is created for its target (:meth:`create`), names the delay rings it feeds
    (:meth:`rings`) and registers with the network (:meth:`attach`); around every chunk it adds its
    inputs (:meth:`before_chunk`) and takes what was recorded (:meth:`after_chunk`); a recorder
    answers :meth:`recorded`.  The simulation calls these hooks and never asks a device's kind.
    """

    target_kind: ClassVar[str] = "population"
    parameters: ClassVar[dict[str, DeviceParam]] = {}
    """The parameters this kind takes, by name, in the order the inspector lists them."""

    definition: DeviceDef
    dt: float

    @property
    def name(self) -> str:
        return self.definition.name

    @classmethod
    def create(cls, definition: DeviceDef, target, dt: float, rng: np.random.Generator) -> Device:
        """A checked device of this kind for its ``target`` (a built population or projection)."""
        raise NotImplementedError

    @classmethod
    def chunk_bytes(cls, definition: DeviceDef, population_size: int, neurons: int, chunk_steps: int) -> int:
        """The bytes a chunk of ``chunk_steps`` allocates for this device on ``neurons`` of a population."""
        return 0

    def rings(self) -> list[tuple[str, str]]:
        """The (population, receptor) rings this device feeds."""
        return []

    def attach(self, network) -> None:
        """Register with the built network (rings, samplers)."""

    def before_chunk(self, chunk: ChunkIO) -> None:
        """Add this device's inputs (or output buffers) for the coming chunk."""

    def after_chunk(self, chunk: ChunkIO) -> None:
        """Take what the chunk that just ran recorded for this device."""

    def recorded(self, run: SpikeHistory) -> dict[str, np.ndarray]:
        """Everything this device recorded so far (recorders only)."""
        raise SimulationError(f"`{self.name}` is not a recorder")


class Recorder:
    """Marks the devices that record (their data come from :meth:`Device.recorded`)."""


@dataclass
class PopulationDevice(Device):
    """A device on some neurons of a population: a generator or a population recorder."""

    population: object
    neurons: np.ndarray
    rng: np.random.Generator

    @classmethod
    def create(cls, definition, target, dt, rng):
        n = target.size
        neurons = np.arange(n) if definition.neurons is None else np.asarray(definition.neurons, dtype=np.int64)
        problem = neurons_problem(neurons, n)
        if problem is not None:
            raise DeviceError(f"device `{definition.name}`: {problem}", Location("device", definition.name, "neurons"))
        device = cls(definition, dt, target, neurons.astype(np.int32), rng)
        device.validate()
        return device

    @property
    def fmt(self) -> QFormat | None:
        """The target population's fixed-point format, or None in floating point."""
        return self.population.state.fmt

    def block_bytes(self, chunk_steps: int) -> int:
        """The bytes a chunk of ``chunk_steps`` allocates for this built device (:meth:`chunk_bytes`, which
        is known before the build, may count more)."""
        return type(self).chunk_bytes(self.definition, self.population.size, self.neurons.size, chunk_steps)

    def validate(self) -> None:
        """Check every parameter now (at build time) rather than at the first run."""
        self._window(np.zeros(1, dtype=np.int64))

    # -- parameter helpers ----------------------------------------------------
    def _param(self, key: str) -> float:
        """Parameter ``key`` as :attr:`parameters` declares it, in the target model's units (times and rates
        in SI)."""
        param = self.parameters[key]
        raw = self.definition.params.get(key, param.default)
        if raw is None:
            raise DeviceError(f"device `{self.name}`: missing parameter `{key}`",
                              Location("device", self.name, f"params.{key}"))
        return self._value(key, raw)

    def _params(self, key: str) -> list[float]:
        """Parameter ``key``, a list (none when left out), each value checked as :meth:`_param` checks one."""
        return [self._value(key, raw) for raw in self.definition.params.get(key, [])]

    def _value(self, key: str, raw) -> float:
        param = self.parameters[key]
        at = Location("device", self.name, f"params.{key}")
        dim = param.dim
        system = self.population.model.system if dim is not SECOND and dim is not HERTZ else SI_UNITS
        try:
            value, d = quantity_in(raw, system)
        except UnitError as exc:
            raise DeviceError(f"device `{self.name}`, {key}: {exc}", at) from exc
        if d is not dim and not (value == 0 and "0" == str(raw).strip()):
            raise DeviceError(f"device `{self.name}`, {key}: `{raw}` has units {format_dimension(d)}, "
                              f"expected {format_dimension(dim)}", at)
        problem = param.value_problem(key, value)
        if problem is not None:
            raise DeviceError(f"device `{self.name}`: {problem}", at)
        return value

    def _window(self, t: np.ndarray, closed_right: bool = False) -> np.ndarray:
        """Times ``t`` (s) within [start, stop), or within (start, stop] with ``closed_right``."""
        start = self._param("start")
        stop = self._param("stop")
        eps = 1e-9 * self.dt
        if closed_right:
            return (t > start + eps) & (t <= stop + eps)
        return (t >= start - eps) & (t < stop - eps)

    def _delay_steps(self) -> int:
        value, d = quantity_in(self.definition.delay, SI_UNITS)
        if d is not SECOND:
            raise DeviceError(f"device `{self.name}`, delay: `{self.definition.delay}` is not a time",
                              Location("device", self.name, "delay"))
        problem = delay_problem(value, self.dt)
        if problem is not None:
            raise DeviceError(f"device `{self.name}`: {problem}", Location("device", self.name, "delay"))
        return delay_steps(value, self.dt)


class CurrentGenerator(PopulationDevice):
    """Base of current generators: value per emission step, shifted by 1 + delay steps."""

    @classmethod
    def chunk_bytes(cls, definition, population_size, neurons, chunk_steps):
        return 8 * chunk_steps * (population_size + 2 * neurons)  # the population's block, values, where active

    def validate(self) -> None:
        if self.population.ir.current_input is None:
            raise DeviceError(f"device `{self.name}`: `{self.population.name}` has no current input",
                              Location("device", self.name))
        super().validate()
        self._delay_steps()

    def before_chunk(self, chunk: ChunkIO) -> None:
        block = chunk.current_block(self.population)
        block[:, self.neurons] += (self.raw_current(chunk.first_step, chunk.steps) if chunk.fmt is not None
                                   else self.current(chunk.first_step, chunk.steps))

    def raw_current(self, first_step: int, nsteps: int) -> np.ndarray:
        """:meth:`current` as raw integers of the target's fixed-point format."""
        return self.fmt.to_store(self.current(first_step, nsteps))

    def current(self, first_step: int, nsteps: int) -> np.ndarray:
        arrival = np.arange(first_step, first_step + nsteps)
        emission = arrival - 1 - self._delay_steps()
        active = (emission >= 0) & self._window((emission + 1) * self.dt)
        values = self.values(emission, active)
        return np.where(active[:, None], values, 0.0)

    def values(self, emission: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Current (steps, 1 or targets) of emission steps; only ``active`` ones are used."""
        raise NotImplementedError


class DeterministicCurrent(CurrentGenerator):
    """A current generator whose values draw no random numbers: validation computes one step."""

    def validate(self) -> None:
        super().validate()
        self.values(np.zeros(1, dtype=np.int64), 1)


class DCGenerator(DeterministicCurrent):
    parameters = {"amplitude": DeviceParam(AMP), **_WINDOW}

    def values(self, emission, active):
        return np.full((emission.size, 1), self._param("amplitude"))


class ACGenerator(DeterministicCurrent):
    parameters = {"amplitude": DeviceParam(AMP), "offset": DeviceParam(AMP, "0 pA"),
                  "frequency": DeviceParam(HERTZ), "phase": DeviceParam(DIMENSIONLESS, "0"), **_WINDOW}

    def values(self, emission, active):
        amp = self._param("amplitude")
        offset = self._param("offset")
        freq = self._param("frequency")
        phase = math.radians(self._param("phase"))
        t = (emission + 1) * self.dt
        return (offset + amp * np.sin(2 * np.pi * freq * t + phase))[:, None]


class StepCurrentGenerator(DeterministicCurrent):
    parameters = {"amplitude_times": DeviceParam(SECOND, "", many=True),
                  "amplitude_values": DeviceParam(AMP, "", many=True), **_WINDOW}

    def values(self, emission, active):
        times, values = self._params("amplitude_times"), self._params("amplitude_values")
        if len(times) != len(values):
            raise DeviceError(f"device `{self.name}`: amplitude_times and amplitude_values differ in length",
                              Location("device", self.name, "params.amplitude_values"))
        if any(b <= a for a, b in zip(times, times[1:])):
            raise DeviceError(f"device `{self.name}`: amplitude_times must increase strictly",
                              Location("device", self.name, "params.amplitude_times"))
        t = (emission + 1) * self.dt
        index = np.searchsorted(np.asarray(times), t + 1e-9 * self.dt, side="right") - 1
        table = np.concatenate([[0.0], values])
        return table[index + 1][:, None]


@dataclass
class NoiseGenerator(CurrentGenerator):
    """Independent Gaussian current per target, redrawn every ``dt`` (NEST's noise interval)
    counted from the first active step."""

    parameters = {"mean": DeviceParam(AMP, "0 pA"), "std": DeviceParam(AMP, "0 pA", negative=False),
                  "dt": _INTERVAL, **_WINDOW}

    _held: np.ndarray | None = None
    _interval_index: int = -1

    def validate(self) -> None:
        super().validate()
        for key in ("mean", "std", "dt"):
            self._param(key)

    def values(self, emission, active):
        mean = self._param("mean")
        std = self._param("std")
        interval = max(1, int(round(self._param("dt") / self.dt)))
        first = max(0, math.ceil(self._param("start") / self.dt - 1e-9) - 1)
        out = np.zeros((emission.size, self.neurons.size))
        for k in np.flatnonzero(active):
            index = (int(emission[k]) - first) // interval
            if index != self._interval_index:
                self._held = mean + std * self.rng.standard_normal(self.neurons.size)
                self._interval_index = index
            out[k] = self._held
        return out


class SpikeGenerator(PopulationDevice):
    """Base of spike generators feeding a receptor of the target."""

    receptor: str = ""
    weight: float = 0.0

    @classmethod
    def chunk_bytes(cls, definition, population_size, neurons, chunk_steps):
        return 8 * chunk_steps * (population_size + 2 * neurons)  # the ring's block, counts, arrivals

    def validate(self) -> None:
        self.resolve()
        super().validate()
        self._delay_steps()

    def rings(self):
        return [(self.population.name, self.receptor)]

    def before_chunk(self, chunk: ChunkIO) -> None:
        block = chunk.external_block(self.population, self.receptor)
        block[:, self.neurons] += (self.raw_arrivals(chunk.first_step, chunk.steps) if chunk.fmt is not None
                                   else self.arrivals(chunk.first_step, chunk.steps))

    def counts(self, first_step: int, nsteps: int) -> np.ndarray:
        """Spikes arriving at each target (nsteps, 1 or len(neurons))."""
        raise NotImplementedError

    def arrivals(self, first_step, nsteps):
        return self.counts(first_step, nsteps) * self.weight

    def raw_arrivals(self, first_step: int, nsteps: int) -> np.ndarray:
        """:meth:`arrivals` in the fixed-point format: counts times the weight quantized once."""
        return self.counts(first_step, nsteps).astype(np.int64) * int(self.fmt.to_store(self.weight))

    def resolve(self) -> None:
        """Route the weight to its receptor (:func:`~engine.models.base.route_input`) and check its unit."""
        pop = self.population
        at = Location("device", self.name, "weight")
        if self.definition.weight is None:
            raise DeviceError(f"device `{self.name}`: a spike generator needs a weight", at)
        try:
            w, d = quantity_in(self.definition.weight, pop.model.system)
        except UnitError as exc:
            raise DeviceError(f"device `{self.name}`, weight: {exc}", at) from exc
        try:
            self.receptor, self.weight = route_input(pop.model.receptors, w, self.definition.receptor,
                                                     library=pop.library, owner=f"`{pop.name}`",
                                                     none="has no receptor")
        except ReceptorError as exc:
            raise DeviceError(f"device `{self.name}`: {exc}", at.at("receptor")) from exc
        want = pop.model.receptor_dims[self.receptor]
        if d is not want:
            raise DeviceError(f"device `{self.name}`: weight `{self.definition.weight}` has units "
                              f"{format_dimension(d)}, but receptor `{self.receptor}` takes {format_dimension(want)}",
                              at)


def poisson_table(mean: float) -> np.ndarray:
    """Thresholds ``C[k] = round(2**16 * P(X <= k))`` of a Poisson count with ``mean``, for the
    k whose threshold a 16-bit uniform can reach; a count is the number of thresholds <= u."""
    one = 1 << POISSON_TABLE_BITS
    p = math.exp(-mean)
    cdf, table = p, []
    for k in range(POISSON_MAX_COUNT + 1):
        c = int(math.floor(cdf * one + 0.5))
        if c >= one:
            return np.array(table, dtype=np.uint32)
        table.append(c)
        p *= mean / (k + 1)
        cdf += p
    raise DeviceError(f"a Poisson mean of {mean:g} spikes per step needs counts above {POISSON_MAX_COUNT}, "
                      "which the fixed-point generator does not draw; use a smaller rate or dt")


POISSON_TAIL = 1e-80
"""The probability :func:`poisson_cdf` leaves out below its first count and above its last."""
POISSON_GUIDE_BITS = 10
"""The least guide of :func:`poisson_cdf` has ``2**POISSON_GUIDE_BITS`` entries."""
POISSON_MAX_MEAN = 1e9
"""The largest mean count per step of a float poisson_generator (its table then holds 1.2 million entries)."""


def poisson_cdf(mean: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The float generator's table of a Poisson count with ``mean`` (ext/poisson.h): ``(cdf, guide, first)``
    with ``cdf[k] = P(X <= first + k)`` in double precision, the last entry 1.0, the probability below
    ``first`` and above the last under :data:`POISSON_TAIL`; ``guide[j]`` is the first ``k`` with ``cdf[k] >
    j / len(guide)`` (a power of two, eight times the table's length, from 2**10 to 2**20 entries), where a
    search for a uniform in that ``j``-th part starts.  Exact inversion for any mean, to the 53 bits of the uniform."""
    if not mean <= POISSON_MAX_MEAN:
        raise DeviceError(f"a Poisson mean of {mean:g} spikes per step is above {POISSON_MAX_MEAN:g}; "
                          "use a smaller rate or dt")
    if mean == 0:
        return np.ones(1), np.zeros(1 << POISSON_GUIDE_BITS, dtype=np.int32), 0
    # Chernoff: a Poisson count strays x from its mean with probability below exp(-x**2 / (2 (mean + x/3)))
    spread = math.sqrt(-2 * math.log(POISSON_TAIL) * mean) - math.log(POISSON_TAIL)
    first = max(0, math.floor(mean - spread))
    k = np.arange(first, math.ceil(mean + spread) + 1, dtype=np.float64)
    pmf = np.exp(k * math.log(mean) - mean - gammaln(k + 1))
    cdf = np.cumsum(pmf / pmf.sum())
    cdf = cdf[:min(int(np.searchsorted(cdf, 1 - 2.0 ** -53)), cdf.size - 1) + 1]  # no uniform passes it
    cdf[-1] = 1.0
    parts = 1 << min(max(POISSON_GUIDE_BITS, (8 * cdf.size - 1).bit_length()), 20)  # searches rarely move
    guide = np.searchsorted(cdf, np.arange(parts) / parts, side="right").astype(np.int32)
    return cdf, guide, first


class PoissonGenerator(SpikeGenerator):
    """An independent Poisson train for every target: drawn in the compiled kernel in floating point
    (:func:`poisson_cdf`), from the hardware's source in fixed point."""

    parameters = {"rate": DeviceParam(HERTZ, negative=False), **_WINDOW}

    table: np.ndarray | None = None
    state: int = 0  # the xorshift32 state of the fixed-point source, advanced in step order
    seed: int = 0  # the Philox key of the float draws
    cdf: tuple[np.ndarray, np.ndarray, int] | None = None  # the float draws' table (poisson_cdf)

    def validate(self) -> None:
        super().validate()
        rate = self._param("rate")
        at = Location("device", self.name, "params.rate")
        if self.fmt is not None:
            try:
                self.table = poisson_table(rate * self.dt)
            except DeviceError as exc:
                raise DeviceError(f"device `{self.name}`, rate: {exc}", at) from exc
            self.state = int(self.rng.integers(1, 1 << 32))
        else:
            try:
                self.cdf = poisson_cdf(rate * self.dt)
            except DeviceError as exc:
                raise DeviceError(f"device `{self.name}`, rate: {exc}", at) from exc
            self.seed = int(self.rng.integers(0, 1 << 64, dtype=np.uint64))

    def attach(self, network) -> None:
        """In floating point, hand the draws to the kernel (it adds them to the ring in the threads)."""
        if self.fmt is not None:
            return
        first, last = self._emissions()
        targets = np.unique(self.neurons)
        cdf, guide, first_count = self.cdf
        network.kernel.add_poisson(network.rings[(self.population.name, self.receptor)],
                                   None if targets.size == self.population.size else targets, self.seed,
                                   cdf, guide, first_count, self.weight, self._delay_steps(), first, last)

    def block_bytes(self, chunk_steps: int) -> int:
        return super().block_bytes(chunk_steps) if self.fmt is not None else 0

    def before_chunk(self, chunk: ChunkIO) -> None:
        if self.fmt is not None:
            super().before_chunk(chunk)

    def _emissions(self) -> tuple[int, int]:
        """The first and last emission steps in the window (both included), as :meth:`active` tells them."""
        start, stop = self._param("start"), self._param("stop")
        first = max(0, math.floor(start / self.dt) - 1)
        while not self._window(np.array([first * self.dt]), closed_right=True)[0] and first * self.dt <= stop:
            first += 1
        if math.isinf(stop):
            return first, sys.maxsize
        last = math.floor(stop / self.dt) + 1
        while last >= first and not self._window(np.array([last * self.dt]), closed_right=True)[0]:
            last -= 1
        return first, last

    def active(self, first_step: int, nsteps: int) -> np.ndarray:
        """Whether spikes arriving in each step were emitted inside the window."""
        emission = np.arange(first_step, first_step + nsteps) - self._delay_steps()
        return (emission >= 0) & self._window(emission * self.dt, closed_right=True)

    def counts(self, first_step, nsteps):
        if self.fmt is None:
            counts = np.empty((nsteps, self.neurons.size), dtype=np.int64)
            cdf, guide, first_count = self.cdf
            _network.philox_poisson_counts(self.seed, cdf, guide, first_count, first_step - self._delay_steps(),
                                           self.neurons, counts)
        else:
            counts = np.empty((nsteps, self.neurons.size), dtype=np.uint8)
            self.state = _network.poisson_counts(self.state, self.table, counts)
        active = self.active(first_step, nsteps)
        if active.all():
            return counts
        counts[~active] = 0
        return counts


class SpikeTrainGenerator(SpikeGenerator):
    """NEST's spike_generator: the same spike times for every target."""

    parameters = {"spike_times": DeviceParam(SECOND, "", many=True), **_WINDOW}

    def validate(self) -> None:
        super().validate()
        self.counts(0, 1)

    def counts(self, first_step, nsteps):
        times = np.array(self._params("spike_times"))
        times = times[self._window(times, closed_right=True)]
        emission = np.rint(times / self.dt).astype(np.int64) - 1
        arrival = emission + self._delay_steps()
        out = np.zeros((nsteps, 1), dtype=np.int64)
        inside = (arrival >= first_step) & (arrival < first_step + nsteps)
        np.add.at(out[:, 0], arrival[inside] - first_step, 1)
        return out


class SpikeRecorder(Recorder, PopulationDevice):
    """Spike times (ms) and senders (neuron index) of the chosen neurons."""

    parameters = _WINDOW

    def recorded(self, run):
        t, n = run.spikes(self.population.name)
        keep = np.isin(n, self.neurons)
        return {"times": t[keep], "senders": n[keep]}


@dataclass
class Sampler(Recorder, PopulationDevice):
    """The multimeter: slots sampled every ``interval``, kept across chunks."""

    parameters = {"record_from": DeviceParam(None, many=True), "interval": _INTERVAL, **_WINDOW}

    sampler_index: int = -1
    interval_steps: int = 1
    record_from: tuple[str, ...] = ()
    samples: list[np.ndarray] = field(default_factory=list)
    sample_steps: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def chunk_bytes(cls, definition, population_size, neurons, chunk_steps):
        variables = len(cls._record_from(definition)) or 1
        return 8 * chunk_steps * variables * neurons  # samples at most every step

    @classmethod
    def _record_from(cls, definition: DeviceDef) -> tuple[str, ...]:
        default = cls.parameters["record_from"].default
        return tuple(definition.params.get("record_from", default.split(", ") if default else ()))

    def attach(self, network):
        pop = self.population
        names = self._record_from(self.definition)
        at = Location("device", self.name, "params.record_from")
        if not names:
            raise DeviceError(f"device `{self.name}`: record_from is empty", at)
        states = pop.ir.slot_names
        for n in names:
            if n not in states:
                raise DeviceError(f"device `{self.name}`: `{pop.name}` has no recordable `{n}` "
                                  f"(recordables: {', '.join(pop.ir.state_names)})", at)
        self.record_from = names
        self.interval_steps = max(1, int(round(self._param("interval") / self.dt)))
        rows = [pop.ir.slot_index(n) for n in names]
        self.sampler_index = network.kernel.add_sampler(pop.index, rows, self.neurons, self.interval_steps)

    def before_chunk(self, chunk):
        every, first = self.interval_steps, chunk.first_step
        count = (first + chunk.steps) // every - first // every
        chunk.outs[self.sampler_index] = np.zeros((count, len(self.record_from), self.neurons.size))

    def after_chunk(self, chunk):
        count = chunk.written[self.sampler_index]
        values = chunk.outs[self.sampler_index][:count]
        if chunk.fmt is not None:
            values = chunk.fmt.to_float(values)
        every = self.interval_steps
        steps = (chunk.first_step // every + 1) * every + every * np.arange(count) - 1
        self.samples.append(values)
        self.sample_steps.append(steps)
        chunk.traces[self.name] = ((steps + 1) * self.dt * 1e3, values)

    def recorded(self, run):
        values = np.concatenate(self.samples or [np.zeros((0, len(self.record_from), self.neurons.size))])
        steps = np.concatenate(self.sample_steps or [np.zeros(0, np.int64)])
        out = {"t": (steps + 1) * self.dt * 1e3}
        for q, var in enumerate(self.record_from):
            out[var] = values[:, q, :]
        return out


class Voltmeter(Sampler):
    """A multimeter recording ``V_m`` unless told otherwise."""

    parameters = {"record_from": DeviceParam(None, "V_m", many=True), "interval": _INTERVAL, **_WINDOW}


class PopulationRate(Recorder, PopulationDevice):
    """Population rate (Hz) in bins of ``bin`` (default 1 ms)."""

    parameters = {"bin": DeviceParam(SECOND, "1 ms", negative=False), **_WINDOW}

    def recorded(self, run):
        t, n = run.spikes(self.population.name)
        keep = np.isin(n, self.neurons)
        bin_ms = float(self._param("bin") * 1e3)
        edges = np.arange(int(run.t_ms / bin_ms + 1e-9) + 1) * bin_ms
        counts, _ = np.histogram(t[keep] - 1e-9, bins=edges)
        return {"t": edges[:-1], "rate": counts / (self.neurons.size * bin_ms * 1e-3)}


@dataclass
class WeightRecorder(Recorder, Device):
    """Snapshots of a projection's weights at every chunk boundary (for STDP).

    ``params["max_connections"]`` (default 1000) limits how many connections,
    in CSR order, are recorded.
    """

    target_kind = "projection"
    parameters = {"max_connections": DeviceParam(DIMENSIONLESS, "1000", negative=False)}

    projection: object
    connections: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    times_ms: list = field(default_factory=list)
    weights: list = field(default_factory=list)

    @classmethod
    def create(cls, definition, target, dt, rng):
        limit = int(float(definition.params.get("max_connections", cls.parameters["max_connections"].default)))
        return cls(definition, dt, target, np.arange(min(limit, target.n_connections)))

    def after_chunk(self, chunk):
        self.times_ms.append((chunk.first_step + chunk.ran) * self.dt * 1e3)
        self.weights.append(self.projection.get_weights()[self.connections])

    def recorded(self, run):
        proj = self.projection
        return {"t": np.asarray(self.times_ms),
                "weights": np.array(self.weights).reshape(len(self.times_ms), self.connections.size),
                "sources": proj.sources()[self.connections], "targets": proj.targets[self.connections]}


DEVICE_TYPES: dict[str, type[Device]] = {
    "dc_generator": DCGenerator, "ac_generator": ACGenerator, "step_current_generator": StepCurrentGenerator,
    "noise_generator": NoiseGenerator, "poisson_generator": PoissonGenerator,
    "spike_generator": SpikeTrainGenerator, "spike_recorder": SpikeRecorder, "voltmeter": Voltmeter,
    "multimeter": Sampler, "population_rate": PopulationRate, "weight_recorder": WeightRecorder,
}
"""Every device kind, by its NEST name, and the class that builds and runs it."""

CURRENT_GENERATORS = tuple(k for k, c in DEVICE_TYPES.items() if issubclass(c, CurrentGenerator))
SPIKE_GENERATORS = tuple(k for k, c in DEVICE_TYPES.items() if issubclass(c, SpikeGenerator))
RECORDERS = tuple(k for k, c in DEVICE_TYPES.items() if issubclass(c, Recorder))
DEVICES = tuple(DEVICE_TYPES)


def device_type(definition: DeviceDef) -> type[Device]:
    """The class of a device's kind; an unknown kind is refused with the kinds there are."""
    cls = DEVICE_TYPES.get(definition.kind)
    if cls is None:
        raise DeviceError(f"device `{definition.name}`: unknown kind `{definition.kind}` "
                          f"(choose from {', '.join(DEVICES)})",
                          Location("device", definition.name, "kind"))
    return cls


def device_parameters(kind: str) -> dict[str, DeviceParam]:
    """The parameters a device of ``kind`` takes, as its class declares them (none for an unknown kind)."""
    cls = DEVICE_TYPES.get(kind)
    return {} if cls is None else cls.parameters
