"""NEST-named devices: current and spike generators, and recorders.

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

Generators that are independent per target (poisson_generator,
noise_generator) draw from their own random stream in step order, so a run in
chunks draws exactly what one long run draws.

In a fixed-point population inputs are raw integers: currents and weights are
quantized once to the population's format, and a poisson_generator draws its
counts from the hardware's source (a xorshift32 stream inverted against a
16-bit table of the Poisson distribution, docs/fixed-point.md), so the network
core on the FPGA draws the very same counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.errors import NeuroCoreError
from engine.equations.units import AMP, HERTZ, SECOND, SI_UNITS, UnitError, format_dimension, quantity_in
from engine.fixedpoint import QFormat
from engine.native import network as _network
from engine.network.definitions import DeviceDef

CURRENT_GENERATORS = ("dc_generator", "ac_generator", "step_current_generator", "noise_generator")
SPIKE_GENERATORS = ("poisson_generator", "spike_generator")
RECORDERS = ("spike_recorder", "voltmeter", "multimeter", "population_rate", "weight_recorder")
DEVICES = CURRENT_GENERATORS + SPIKE_GENERATORS + RECORDERS
POISSON_TABLE_BITS = 16
POISSON_MAX_COUNT = 31


class DeviceError(NeuroCoreError):
    """A device definition is invalid; the message names the device and field."""


@dataclass
class Device:
    """Base of built devices: a definition, its target population and neurons."""

    definition: DeviceDef
    population: object
    dt: float
    neurons: np.ndarray
    rng: np.random.Generator

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def fmt(self) -> QFormat | None:
        """The target population's fixed-point format, or None in floating point."""
        return self.population.state.fmt

    def rings(self) -> list[tuple[str, str]]:
        """The (population, receptor) rings this device feeds."""
        return []

    def attach(self, network) -> None:
        """Register with the built network (rings, samplers)."""

    def validate(self) -> None:
        """Check every parameter now (at build time) rather than at the first run."""
        self._window(np.zeros(1, dtype=np.int64))
        if not isinstance(self, Recorder):
            self._delay_steps()

    def current(self, first_step: int, nsteps: int) -> np.ndarray | None:
        """Injected current (nsteps, len(neurons)) in model units, or None."""
        return None

    def arrivals(self, first_step: int, nsteps: int) -> np.ndarray | None:
        """Weight arriving at each target (nsteps, len(neurons)), or None."""
        return None

    def raw_current(self, first_step: int, nsteps: int) -> np.ndarray:
        """:meth:`current` as raw integers of the target's fixed-point format."""
        return self.fmt.to_store(self.current(first_step, nsteps))

    # -- parameter helpers ----------------------------------------------------
    def _param(self, key: str, default: str | None, dim) -> float:
        """A parameter in the target model's units (times in steps are computed separately)."""
        raw = self.definition.params.get(key, default)
        if raw is None:
            raise DeviceError(f"device `{self.name}`: missing parameter `{key}`")
        system = self.population.model.system if dim is not SECOND and dim is not HERTZ else SI_UNITS
        try:
            value, d = quantity_in(raw, system)
        except UnitError as exc:
            raise DeviceError(f"device `{self.name}`, {key}: {exc}") from exc
        if d is not dim and not (value == 0 and "0" == str(raw).strip()):
            raise DeviceError(f"device `{self.name}`, {key}: `{raw}` has units {format_dimension(d)}, "
                              f"expected {format_dimension(dim)}")
        return value

    def _window(self, t: np.ndarray, closed_right: bool = False) -> np.ndarray:
        """Times ``t`` (s) within [start, stop), or within (start, stop] with ``closed_right``."""
        start = self._param("start", "0 ms", SECOND)
        stop = self._param("stop", "inf s", SECOND)
        eps = 1e-9 * self.dt
        if closed_right:
            return (t > start + eps) & (t <= stop + eps)
        return (t >= start - eps) & (t < stop - eps)

    def _delay_steps(self) -> int:
        value, d = quantity_in(self.definition.delay, SI_UNITS)
        if d is not SECOND:
            raise DeviceError(f"device `{self.name}`, delay: `{self.definition.delay}` is not a time")
        steps = int(round(value / self.dt))
        if steps < 1:
            raise DeviceError(f"device `{self.name}`: the delay must be at least one time step")
        return steps


class CurrentGenerator(Device):
    """Base of current generators: value per emission step, shifted by 1 + delay steps."""

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
    def values(self, emission, active):
        return np.full((emission.size, 1), self._param("amplitude", None, AMP))


class ACGenerator(DeterministicCurrent):
    def values(self, emission, active):
        amp = self._param("amplitude", None, AMP)
        offset = self._param("offset", "0 pA", AMP)
        freq = self._param("frequency", None, HERTZ)
        phase = math.radians(float(self.definition.params.get("phase", 0.0)))
        t = (emission + 1) * self.dt
        return (offset + amp * np.sin(2 * np.pi * freq * t + phase))[:, None]


class StepCurrentGenerator(DeterministicCurrent):
    def values(self, emission, active):
        times = [quantity_in(x, SI_UNITS)[0] for x in self.definition.params.get("amplitude_times", [])]
        values = [self._param_value(v) for v in self.definition.params.get("amplitude_values", [])]
        if len(times) != len(values):
            raise DeviceError(f"device `{self.name}`: amplitude_times and amplitude_values differ in length")
        if any(b <= a for a, b in zip(times, times[1:])):
            raise DeviceError(f"device `{self.name}`: amplitude_times must increase strictly")
        t = (emission + 1) * self.dt
        index = np.searchsorted(np.asarray(times), t + 1e-9 * self.dt, side="right") - 1
        table = np.concatenate([[0.0], values])
        return table[index + 1][:, None]

    def _param_value(self, raw) -> float:
        value, d = quantity_in(raw, self.population.model.system)
        if d is not AMP:
            raise DeviceError(f"device `{self.name}`: amplitude `{raw}` is not a current")
        return value


@dataclass
class NoiseGenerator(CurrentGenerator):
    """Independent Gaussian current per target, redrawn every ``dt`` (NEST's noise interval)
    counted from the first active step."""

    _held: np.ndarray | None = None
    _interval_index: int = -1

    def validate(self) -> None:
        super().validate()
        self._param("mean", "0 pA", AMP)
        self._param("std", "0 pA", AMP)
        self._param("dt", "1 ms", SECOND)

    def values(self, emission, active):
        mean = self._param("mean", "0 pA", AMP)
        std = self._param("std", "0 pA", AMP)
        interval = max(1, int(round(self._param("dt", "1 ms", SECOND) / self.dt)))
        first = max(0, math.ceil(self._param("start", "0 ms", SECOND) / self.dt - 1e-9) - 1)
        out = np.zeros((emission.size, self.neurons.size))
        for k in np.flatnonzero(active):
            index = (int(emission[k]) - first) // interval
            if index != self._interval_index:
                self._held = mean + std * self.rng.standard_normal(self.neurons.size)
                self._interval_index = index
            out[k] = self._held
        return out


class SpikeGenerator(Device):
    """Base of spike generators feeding a receptor of the target."""

    receptor: str = ""
    weight: float = 0.0

    def rings(self):
        return [(self.population.name, self.receptor)]

    def counts(self, first_step: int, nsteps: int) -> np.ndarray:
        """Spikes arriving at each target (nsteps, 1 or len(neurons))."""
        raise NotImplementedError

    def arrivals(self, first_step, nsteps):
        return self.counts(first_step, nsteps) * self.weight

    def raw_arrivals(self, first_step: int, nsteps: int) -> np.ndarray:
        """:meth:`arrivals` in the fixed-point format: counts times the weight quantized once."""
        return self.counts(first_step, nsteps).astype(np.int64) * int(self.fmt.to_store(self.weight))

    def resolve(self) -> None:
        pop = self.population
        receptors = list(pop.model.receptors)
        r = self.definition.receptor
        if r is None:
            if not receptors:
                raise DeviceError(f"device `{self.name}`: `{pop.name}` has no receptor")
            raw_weight = self.definition.weight or "0"
            w0, _ = quantity_in(raw_weight, pop.model.system)
            r = pop.library.route(w0)[0] if pop.library is not None and pop.library.sign_split else receptors[0]
        elif isinstance(r, int) or str(r).isdigit():
            r = receptors[int(r) - 1]
        if r not in receptors:
            raise DeviceError(f"device `{self.name}`: `{pop.name}` has no receptor `{r}`")
        self.receptor = r
        if self.definition.weight is None:
            raise DeviceError(f"device `{self.name}`: a spike generator needs a weight")
        w, d = quantity_in(self.definition.weight, pop.model.system)
        want = pop.model.receptor_dims[r]
        if d is not want:
            raise DeviceError(f"device `{self.name}`: weight `{self.definition.weight}` has units "
                              f"{format_dimension(d)}, but receptor `{r}` takes {format_dimension(want)}")
        lib = pop.library
        self.weight = -w if (w < 0 and lib is not None and lib.negate_negative and self.definition.receptor is None) else w


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


class PoissonGenerator(SpikeGenerator):
    """An independent Poisson train for every target (in fixed point: the hardware's source)."""

    table: np.ndarray | None = None
    state: int = 0  # the xorshift32 state of the fixed-point source, advanced in step order

    def validate(self) -> None:
        super().validate()
        rate = self._param("rate", None, HERTZ)
        if rate < 0:
            raise DeviceError(f"device `{self.name}`: the rate cannot be negative")
        if self.fmt is not None:
            try:
                self.table = poisson_table(rate * self.dt)
            except DeviceError as exc:
                raise DeviceError(f"device `{self.name}`, rate: {exc}") from exc
            self.state = int(self.rng.integers(1, 1 << 32))

    def active(self, first_step: int, nsteps: int) -> np.ndarray:
        """Whether spikes arriving in each step were emitted inside the window."""
        emission = np.arange(first_step, first_step + nsteps) - self._delay_steps()
        return (emission >= 0) & self._window(emission * self.dt, closed_right=True)

    def counts(self, first_step, nsteps):
        if self.fmt is None:
            counts = self.rng.poisson(self._param("rate", None, HERTZ) * self.dt, size=(nsteps, self.neurons.size))
        else:
            counts = np.empty((nsteps, self.neurons.size), dtype=np.uint8)
            self.state = _network.poisson_counts(self.state, self.table, counts)
        return np.where(self.active(first_step, nsteps)[:, None], counts, 0)


class SpikeTrainGenerator(SpikeGenerator):
    """NEST's spike_generator: the same spike times for every target."""

    def validate(self) -> None:
        super().validate()
        self.counts(0, 1)

    def counts(self, first_step, nsteps):
        times = np.array([quantity_in(x, SI_UNITS)[0] for x in self.definition.params.get("spike_times", [])])
        times = times[self._window(times, closed_right=True)]
        emission = np.rint(times / self.dt).astype(np.int64) - 1
        arrival = emission + self._delay_steps()
        out = np.zeros((nsteps, 1), dtype=np.int64)
        inside = (arrival >= first_step) & (arrival < first_step + nsteps)
        np.add.at(out[:, 0], arrival[inside] - first_step, 1)
        return out


@dataclass
class Recorder(Device):
    """Base of recorders; data accumulate in ``data`` across chunks."""

    data: dict = field(default_factory=dict)


class SpikeRecorder(Recorder):
    """Spike times (ms) and senders (neuron index) of the chosen neurons."""


class Sampler(Recorder):
    """voltmeter and multimeter: slots sampled every ``interval``."""

    sampler_index: int = -1
    interval_steps: int = 1
    record_from: tuple[str, ...] = ()

    def attach(self, network):
        pop = self.population
        default = ("V_m",) if self.definition.kind == "voltmeter" else ()
        names = tuple(self.definition.params.get("record_from", default))
        if not names:
            raise DeviceError(f"device `{self.name}`: record_from is empty")
        states = pop.ir.slot_names
        for n in names:
            if n not in states:
                raise DeviceError(f"device `{self.name}`: `{pop.name}` has no recordable `{n}` "
                                  f"(recordables: {', '.join(pop.ir.state_names)})")
        self.record_from = names
        self.interval_steps = max(1, int(round(self._param("interval", "1 ms", SECOND) / self.dt)))
        rows = [pop.ir.slot_index(n) for n in names]
        self.sampler_index = network.kernel.add_sampler(pop.index, rows, self.neurons, self.interval_steps)


class PopulationRate(Recorder):
    """Population rate (Hz) in bins of ``bin`` (default 1 ms)."""


@dataclass
class WeightRecorder:
    """Snapshots of a projection's weights at every chunk boundary (for STDP).

    ``params["max_connections"]`` (default 1000) limits how many connections,
    in CSR order, are recorded.
    """

    definition: DeviceDef
    projection: object
    connections: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    times_ms: list = field(default_factory=list)
    weights: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.definition.name

    def snapshot(self, t_ms: float) -> None:
        self.times_ms.append(t_ms)
        self.weights.append(self.projection.get_weights()[self.connections])


def make_weight_recorder(definition: DeviceDef, projection) -> WeightRecorder:
    """A weight recorder for a built projection."""
    limit = int(float(definition.params.get("max_connections", 1000)))
    return WeightRecorder(definition, projection, np.arange(min(limit, projection.n_connections)))


_KINDS = {
    "dc_generator": DCGenerator, "ac_generator": ACGenerator, "step_current_generator": StepCurrentGenerator,
    "noise_generator": NoiseGenerator, "poisson_generator": PoissonGenerator,
    "spike_generator": SpikeTrainGenerator, "spike_recorder": SpikeRecorder, "voltmeter": Sampler,
    "multimeter": Sampler, "population_rate": PopulationRate,
}


def make_device(definition: DeviceDef, population, dt: float, rng: np.random.Generator) -> Device:
    """Build a device for its target population; errors name the device and field."""
    cls = _KINDS.get(definition.kind)
    if cls is None:
        raise DeviceError(f"device `{definition.name}`: unknown kind `{definition.kind}` "
                          f"(choose from {', '.join(DEVICES)})")
    n = population.size
    neurons = np.arange(n) if definition.neurons is None else np.asarray(definition.neurons, dtype=np.int64)
    if neurons.size and (neurons.min() < 0 or neurons.max() >= n):
        raise DeviceError(f"device `{definition.name}`: neuron indices must lie in 0..{n - 1}")
    device = cls(definition, population, dt, neurons.astype(np.int32), rng)
    if isinstance(device, CurrentGenerator) and population.ir.current_input is None:
        raise DeviceError(f"device `{definition.name}`: `{population.name}` has no current input")
    if isinstance(device, SpikeGenerator):
        device.resolve()
    device.validate()
    return device
