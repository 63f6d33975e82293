# amaranth: UnusedElaboratable=no
"""What the network core is made of: a plan read off a network built in fixed point.

:func:`plan_network` takes a :class:`~engine.network.build.Network` built with a
:class:`~engine.fixedpoint.QFormat` and lists, as plain frozen records, every
memory and constant the core needs, all taken from the engine's own objects so
the hardware and the simulator cannot disagree about what the network is:

* per population: the compiled program, the slots held in state RAM (written
  by the program), in a read-only parameter ROM (read, never written), fed by
  rings or current generators, their initial raw values, refractory steps;
* per (population, receptor) ring: depth (longest delay + 1) and the width that
  cannot overflow for the ring's fan-in;
* per projection: CSR row pointers, targets and raw weights (one shared weight
  for ``static_synapse_hom_w``) and the delay; an SC projection also its
  :class:`~engine.network.sc_projection.ScPlan` (streams, tables), which the engine runs;
* per Poisson generator: its 16-bit inversion table, xorshift32 state, raw
  weight and the arrival steps it is active in; per dc_generator its raw
  amplitude and window;
* probes: the state variables of the neurons that voltmeters/multimeters record.

What the hardware cannot do is refused here, by name, before anything is built
(:class:`HardwareError`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.equations.ir import receptor_slot
from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from engine.network.build import Network
from engine.network.devices import DCGenerator, PoissonGenerator, Recorder, Sampler
from engine.network.sc_projection import ScPlan
from engine.program import Program

HOST_DEVICES = ("spike_recorder", "population_rate")  # computed on the host from the spike stream
MAX_STEPS = 1 << 32  # a window end beyond every run (the core's window comparators are 32 bits)
MAX_MULTIPLIERS = 160  # per population datapath, about the DSP count of the largest ECP5 (one neuron per clock)
MAX_SYNAPSES = 1 << 20  # connectivity lives in on-chip RAM: beyond this no supported FPGA holds it


class HardwareError(NeuroCoreError):
    """The network uses something the hardware path cannot build; the message names it and why."""


@dataclass(frozen=True)
class PopulationPlan:
    """One population: its program and the neuron memories it needs."""

    index: int
    name: str
    size: int
    model: str
    program: Program
    seed: int
    dt: float  # the IR's dt (model time units)
    state: tuple[str, ...]  # slots held in state RAM (written by the program; lastspike when kept)
    written: tuple[str, ...]  # slots the program stores
    params: tuple[str, ...]  # per-neuron slots read but never written (parameter ROM)
    constants: dict[str, int]  # slots read, equal in every neuron: raw constants
    ring_inputs: dict[str, int]  # input slot -> ring index
    current_slot: str | None  # the injected-current input slot fed by dc generators
    initial: dict[str, np.ndarray]  # raw initial values of state and param slots (int64 per neuron)
    ref_steps: np.ndarray  # refractory steps per neuron (int32)
    lastspike: bool  # the core writes lastspike into state RAM on a spike

    @property
    def neuron_bits(self) -> int:
        return max(1, (self.size - 1).bit_length())

    @property
    def refractory_bits(self) -> int:
        return max(1, int(self.ref_steps.max(initial=0)).bit_length())


@dataclass(frozen=True)
class RingPlan:
    """Delay slots of one receptor of one population: ``depth`` rows of ``size`` exact sums."""

    index: int
    population: int
    receptor: str
    slot: str
    depth: int
    width: int  # signed bits of a sum (0: no projection feeds it, only generators)


@dataclass(frozen=True)
class ProjectionPlan:
    """Static connectivity from ``source`` into ``ring``, CSR by source neuron."""

    index: int
    name: str
    source: int
    ring: int
    delay: int  # steps
    indptr: np.ndarray  # int64 (source size + 1)
    targets: np.ndarray  # int64
    weights: np.ndarray | None  # raw int64 per connection, or None
    weight: int  # the shared raw weight when ``weights`` is None
    sc: ScPlan | None = None  # SC arithmetic (hdl/sc_delivery.py) instead of the exact sum of weights

    def bound(self, size: int) -> np.ndarray:
        """The largest magnitude this projection adds to each of ``size`` targets in one step."""
        bound = np.zeros(size, dtype=np.int64)
        if self.sc is not None:
            bound[self.sc.targets] = self.sc.counts << self.sc.shift
            return bound
        w = np.abs(self.weights) if self.weights is not None else np.full(self.targets.size, abs(self.weight))
        np.add.at(bound, self.targets, w)
        return bound


@dataclass(frozen=True)
class PoissonPlan:
    """A poisson_generator into every neuron of a population (docs/fixed-point.md, "Poisson generators")."""

    name: str
    population: int
    ring: int
    table: tuple[int, ...]
    state: int  # xorshift32 state before step 0
    weight: int  # raw
    first: int  # first and last arrival steps in which counts are delivered
    last: int


@dataclass(frozen=True)
class CurrentPlan:
    """A dc_generator into every neuron of a population, active in arrival steps ``first..last``."""

    name: str
    population: int
    amplitude: int  # raw
    first: int
    last: int


@dataclass(frozen=True)
class ProbePlan:
    """State variables of chosen neurons, sampled after every step."""

    name: str
    population: int
    neurons: tuple[int, ...]
    slots: tuple[str, ...]


@dataclass(frozen=True)
class NetworkPlan:
    """Everything the network core is generated from."""

    name: str
    fmt: QFormat
    dt_s: float
    populations: tuple[PopulationPlan, ...]
    rings: tuple[RingPlan, ...]
    projections: tuple[ProjectionPlan, ...]
    poissons: tuple[PoissonPlan, ...]
    currents: tuple[CurrentPlan, ...]
    probes: tuple[ProbePlan, ...]
    lanes: int = 1  # neurons updated per clock in each unit that can be sliced (:func:`unit_slices`)

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations)

    @property
    def n_synapses(self) -> int:
        return sum(int(p.targets.size) for p in self.projections)


def plan_network(network: Network, name: str = "network") -> NetworkPlan:
    """The hardware plan of a network built in fixed point.

    Raises
    ------
    HardwareError
        A floating-point network, or an element the core cannot hold (named, with the reason).
    """
    fmt = network.fmt
    if fmt is None:
        raise HardwareError("the hardware runs in fixed point: build the network with a Q format")
    synapses = sum(p.n_connections for p in network.projections.values())
    if synapses > MAX_SYNAPSES:
        raise HardwareError(f"the network has {synapses:,} synapses; the core keeps its connectivity in on-chip "
                            f"RAM, which holds at most {MAX_SYNAPSES:,} on the supported FPGAs")
    ring_index = {(network.populations[name].index, receptor): k for k, (name, receptor) in enumerate(network.rings)}
    projections = tuple(_projection(k, proj, ring_index, network.sc.get(name))
                        for k, (name, proj) in enumerate(network.projections.items()))
    rings = _rings(network, projections)
    pops = network.populations
    probes = _probes(network)
    populations = tuple(_population(pop, network, ring_index, probes) for pop in pops.values())
    poissons, currents = _generators(network, ring_index)
    return NetworkPlan(name, fmt, network.dt, populations, rings, projections, poissons, currents, probes)


def _projection(index: int, proj, ring_index, sc) -> ProjectionPlan:
    """A projection's CSR in raw integers; weights that are all equal become one shared weight; ``sc``: the
    engine's running SC projection, if it is one."""
    if proj.delays is not None:
        raise HardwareError(f"projection `{proj.definition.name}`: its delays are drawn per connection; the core "
                            "delays every spike of a projection by one delay")
    weights, weight = proj.raw_weights, proj.raw_weight
    if weights is not None and weights.size and (weights == weights[0]).all():
        weights, weight = None, int(weights[0])
    return ProjectionPlan(index, proj.definition.name, proj.source.index,
                          ring_index[(proj.target.index, proj.receptor)], proj.delay,
                          proj.indptr.astype(np.int64), proj.targets.astype(np.int64), weights, weight,
                          None if sc is None else sc.plan)


def _rings(network: Network, projections: tuple[ProjectionPlan, ...]) -> tuple[RingPlan, ...]:
    out = []
    for k, ((pop_name, receptor), kernel_ring) in enumerate(network.rings.items()):
        pop = network.populations[pop_name]
        incoming = [q for q in projections if q.ring == k]
        depth = max([q.delay + 1 for q in incoming], default=1)
        bound = int(sum((q.bound(pop.size) for q in incoming), np.zeros(pop.size, np.int64)).max(initial=0))
        width = bound.bit_length() + 1 if incoming else 0
        out.append(RingPlan(k, pop.index, receptor, receptor_slot(receptor), depth, width))
    return tuple(out)


def _probes(network: Network) -> tuple[ProbePlan, ...]:
    out = []
    for dev in network.devices.values():
        if isinstance(dev, Sampler):
            out.append(ProbePlan(dev.name, dev.population.index, tuple(int(n) for n in dev.neurons),
                                 tuple(dev.record_from)))
    return tuple(out)


def _population(pop, network: Network, ring_index, probes) -> PopulationPlan:
    from hdl.datapath import NeuronDatapath

    ir, state = pop.ir, pop.state
    where = f"population `{pop.name}`"
    model_name = f"`{pop.library.name}`" if pop.library else "its model"
    if pop.size > 1 << 16:
        raise HardwareError(f"{where}: {pop.size} neurons; the core addresses at most 65,536 per population")
    # built only to learn which slots it reads and writes, so never elaborated (line 1 silences Amaranth)
    datapath = NeuronDatapath(state.program, seed=state.seed, population_size=pop.size,
                              neuron_bits=max(1, (pop.size - 1).bit_length()), dt=ir.dt)
    multipliers = len(datapath.resources.multipliers)
    if multipliers > MAX_MULTIPLIERS:
        raise HardwareError(f"{where}: one step of {model_name} "
                            f"({(ir.fixed_step or ir).method or 'exact'} integration, {len(state.program.code)} "
                            "operations) needs "
                            f"{multipliers} multipliers in the core's one-neuron-per-clock datapath (at most "
                            f"{MAX_MULTIPLIERS}); a schedule sharing a few multipliers over many clocks is not "
                            "available yet — choose an exact or Euler method, or a simpler model")
    ring_inputs = {receptor_slot(r): ring_index[(pop.index, r)] for (p, r) in ring_index if p == pop.index}
    current = ir.current_input
    fed = set(ring_inputs) | ({current} if current else set())
    written = set(datapath.write_slots)
    probed = {s for pr in probes if pr.population == pop.index for s in pr.slots}
    for s in probed:
        if s not in written and s != "lastspike":
            raise HardwareError(f"{where}: the probe of `{s}` is not available in hardware; probes sample "
                                f"slots the neuron updates ({', '.join(sorted(written))})")
    lastspike = "lastspike" in datapath.read_slots or "lastspike" in probed
    state_slots = tuple(s for s in ir.slot_names if s in written or (s == "lastspike" and lastspike))
    params, constants = [], {}
    for s in datapath.read_slots:
        if s in written or s in fed or s in state_slots:
            continue
        values = state.slots[ir.slot_index(s)]
        if np.all(values == values[0]):
            constants[s] = int(values[0])
        else:
            params.append(s)
    for s in fed:
        if s in datapath.read_slots and s not in ring_inputs:
            constants[s] = int(state.slots[ir.slot_index(s)][0])  # the current slot's value without a dc
    initial = {s: state.slots[ir.slot_index(s)].astype(np.int64).copy() for s in state_slots + tuple(params)}
    return PopulationPlan(pop.index, pop.name, pop.size, model_name.strip("`"),
                          state.program, state.seed, ir.dt, state_slots, tuple(datapath.write_slots),
                          tuple(params), constants, ring_inputs,
                          current if current in datapath.read_slots else None, initial,
                          state.ref_steps.copy(), lastspike)


def _window_steps(dev) -> tuple[int, int]:
    """First and last arrival steps in which ``dev`` delivers, read off the engine's own timing rule."""
    horizon = 1 << 20
    active = dev.active(0, horizon) if isinstance(dev, PoissonGenerator) else dev.current(0, horizon)[:, 0] != 0
    steps = np.flatnonzero(active)
    if steps.size == 0:
        return 1, 0
    if not active[steps[0]:steps[-1] + 1].all():
        raise HardwareError(f"device `{dev.name}`: its active steps are not one window")
    return int(steps[0]), int(steps[-1]) if steps[-1] < horizon - 1 else MAX_STEPS - 1


def _generators(network: Network, ring_index) -> tuple[tuple[PoissonPlan, ...], tuple[CurrentPlan, ...]]:
    poissons, currents = [], []
    for dev in network.devices.values():
        if dev.target_kind != "population":
            raise HardwareError(f"device `{dev.name}` ({dev.definition.kind}) has no hardware counterpart")
        kind, pop = dev.definition.kind, dev.population
        everyone = dev.neurons.size == pop.size and np.array_equal(dev.neurons, np.arange(pop.size))
        if isinstance(dev, PoissonGenerator):
            if not everyone:
                raise HardwareError(f"device `{dev.name}`: the core drives every neuron of `{pop.name}` from a "
                                    "poisson_generator; a subset of neurons is not available")
            first, last = _window_steps(dev)
            poissons.append(PoissonPlan(dev.name, pop.index, ring_index[(pop.index, dev.receptor)],
                                        tuple(int(c) for c in dev.table), int(dev.state),
                                        int(network.fmt.to_store(dev.weight)), first, last))
        elif isinstance(dev, DCGenerator):
            if not everyone:
                raise HardwareError(f"device `{dev.name}`: a dc_generator in hardware drives every neuron of "
                                    f"`{pop.name}`; a subset of neurons is not available")
            amplitude = int(network.fmt.to_store(dev.values(np.zeros(1, np.int64), 1)[0, 0]))
            first, last = _window_steps(dev) if amplitude else (1, 0)
            currents.append(CurrentPlan(dev.name, pop.index, amplitude, first, last))
        elif isinstance(dev, Sampler) or kind in HOST_DEVICES:
            continue
        elif isinstance(dev, Recorder):
            raise HardwareError(f"device `{dev.name}` ({kind}) has no hardware counterpart")
        else:
            raise HardwareError(f"device `{dev.name}` ({kind}) has no fixed-point hardware: the core has "
                                "poisson_generator and dc_generator; run it in the simulator instead")
    return tuple(poissons), tuple(currents)


# -- units: populations that share one datapath ------------------------------------------------

@dataclass(frozen=True)
class UnitInput:
    """One receptor's input of a unit: one word per neuron of the unit (all its populations), the sum
    of the weights arriving in the next step.

    The core delays spikes at their source (each neuron keeps its last spikes, see
    :func:`source_delays`) and delivers a spike of step ``t`` through a projection of delay ``d``
    after the update of step ``t + d - 1``, so one word per neuron replaces a ring of ``d + 1`` rows.
    A word holds sums in units of ``scale`` (a common factor of every weight delivered into it: a
    power of two times an odd factor of at most two set bits), so the core stores ``sum / scale``
    exactly and reads ``entry * scale`` with shifts and at most one adder.
    """

    receptor: str
    slot: str
    width: int  # signed bits of a stored entry (0: no projection feeds it)
    scale: int


@dataclass(frozen=True)
class UnitPlan:
    """Populations updated one after another through one datapath, their memories concatenated.

    Populations share a unit when their compiled programs are equal and the program does not read
    the neuron's identity (no ``rand``/``randn``, no ``i``/``N``): then one datapath computes every
    neuron of them bit for bit.  Neuron ``j`` of population ``populations[k]`` is word ``bases[k] + j``.
    """

    index: int
    name: str
    populations: tuple[int, ...]
    bases: tuple[int, ...]
    size: int
    inputs: tuple[UnitInput, ...]

    def position(self, population: int) -> int:
        return self.populations.index(population)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is None or b is None:
            return a is b
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def _anonymous(program: Program) -> bool:
    """The program's result does not depend on which neuron of which population it runs for."""
    from engine.program import OP, SPECIAL

    identity = {SPECIAL["i"], SPECIAL["N"]}
    for row in program.code:
        op, a = int(row[0]), int(row[2])
        if op in (OP["rand"], OP["randn"]) or (op == OP["special"] and a in identity):
            return False
    return True


def _shareable(a: PopulationPlan, b: PopulationPlan) -> bool:
    pa, pb = a.program, b.program
    same = all(_equal(getattr(pa, f), getattr(pb, f))
               for f in ("code", "consts", "nregs", "ref_mode", "slot_names", "fmt", "knots", "tables"))
    return (same and a.dt == b.dt and a.state == b.state and a.written == b.written and a.lastspike == b.lastspike
            and a.ring_inputs.keys() == b.ring_inputs.keys() and a.current_slot == b.current_slot
            and _anonymous(pa))


def _scale(weights: list[int]) -> int:
    g = 0
    for w in weights:
        g = math.gcd(g, abs(int(w)))
    if g == 0:
        return 1
    shift = (g & -g).bit_length() - 1
    odd = g >> shift
    return g if bin(odd).count("1") <= 2 else 1 << shift


def plan_units(plan: NetworkPlan, share: bool = True) -> tuple[UnitPlan, ...]:
    """The core's update units: populations grouped by :func:`_shareable` (in order of first member)."""
    groups: list[list[PopulationPlan]] = []
    for pop in plan.populations:
        for g in groups:
            if share and _shareable(g[0], pop):
                g.append(pop)
                break
        else:
            groups.append([pop])
    units = []
    for u, members in enumerate(groups):
        index = tuple(p.index for p in members)
        bases = tuple(int(b) for b in np.cumsum([0] + [p.size for p in members])[:-1])
        size = sum(p.size for p in members)
        inputs = []
        for receptor_ring in (r for r in plan.rings if r.population == index[0]):
            receptor = receptor_ring.receptor
            mine = {r.index: index.index(r.population) for r in plan.rings
                    if r.population in index and r.receptor == receptor}
            incoming = [q for q in plan.projections if q.ring in mine]
            # an SC projection's decoded values are any integers: its input keeps scale 1
            weights = [int(w) for q in incoming
                       for w in ([1] if q.sc is not None else q.weights if q.weights is not None else [q.weight])]
            scale = _scale(weights)
            fan_in = np.zeros(size, dtype=np.int64)
            for q in incoming:
                base, n = bases[mine[q.ring]], plan.populations[plan.rings[q.ring].population].size
                fan_in[base:base + n] += q.bound(n)
            bound = int(fan_in.max(initial=0)) // scale
            width = bound.bit_length() + 1 if incoming else 0
            inputs.append(UnitInput(receptor, receptor_ring.slot, width, scale))
        units.append(UnitPlan(u, "_".join(p.name for p in members), index, bases, size, tuple(inputs)))
    return tuple(units)


def unit_slices(plan: NetworkPlan, unit: UnitPlan) -> tuple[tuple[int, int], ...]:
    """The unit's words split into ``plan.lanes`` slices of equal size, as (first, end) word ranges, each
    updated by its own datapath at the same time (one slice, the whole unit, when ``lanes`` is 1).

    A unit stays whole when a Poisson generator drives it (its generator draws one number per neuron in
    word order), when an SC projection feeds it, or when it has fewer than two neurons per lane.
    """
    lanes = plan.lanes
    rings = {r.index for r in plan.rings if r.population in unit.populations}
    if (lanes <= 1 or unit.size < 2 * lanes or any(g.population in unit.populations for g in plan.poissons)
            or any(q.sc is not None and q.ring in rings for q in plan.projections)):
        return ((0, unit.size),)
    size = -(-unit.size // lanes)
    return tuple((first, min(first + size, unit.size)) for first in range(0, unit.size, size))


def source_delays(plan: NetworkPlan, population: int) -> tuple[int, ...]:
    """The distinct delays (steps, ascending) of the projections leaving ``population``: a neuron of it
    remembers whether it spiked in each of its last ``max - 1`` steps."""
    return tuple(sorted({q.delay for q in plan.projections if q.source == population}))


def constant_slots(plan: NetworkPlan, unit: UnitPlan, population: int) -> tuple[str, ...]:
    """The slots of ``population`` that its unit reads from one writable constant each: its constants,
    except slots another population of the unit holds per neuron (parameter ROM) and the current slot
    when dc generators feed it."""
    rom = {s for k in unit.populations for s in plan.populations[k].params}
    pop = plan.populations[population]
    currents = any(c.population == population for c in plan.currents)
    return tuple(s for s in pop.constants if s not in rom and (s != pop.current_slot or not currents))


def param_banks(plan: NetworkPlan, share: bool = True) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The core's parameter bank (docs/hil-protocol.md): bank ``b`` is population ``b`` in project order,
    its entries that population's :func:`constant_slots`, as (population name, slot names)."""
    units = plan_units(plan, share)
    return tuple((p.name, constant_slots(plan, next(u for u in units if p.index in u.populations), p.index))
                 for p in plan.populations)
