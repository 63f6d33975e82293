"""The memory a network will take, known from its definition before anything is allocated.

:func:`estimate_memory` adds up what :func:`engine.network.build.build_network` and the first
chunks of a run allocate: every neuron's state (one slot per line of its model's equations,
receptors and spike bookkeeping, with the temporaries of its initial values), every connection
each rule is expected to draw (while it is drawn and sorted, then as stored), the delay rings,
and each device's per-chunk buffers.  Spikes recorded during a run grow with its duration and
are not counted.  :func:`check_memory` refuses a network larger than the memory the machine has
available, naming both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import NeuroCoreError
from engine.equations.constant_values import draws
from engine.equations.units import SECOND, SI_UNITS, UnitError, quantity_in
from engine.models.base import LibraryModel
from engine.network.connect import expected_connections, index_type
from engine.network.definitions import NetworkDef, PopulationDef
from engine.network.devices import DEFAULT_CHUNK_STEPS, DEVICE_TYPES
from engine.network.synapses import state_bytes

BYTES_PER_SLOT = 8
NEURON_BYTES = 8 * 4  # refractory counters, and the index and temporaries of per-neuron initial values
WEIGHT_BYTES = 4  # a float32 weight per connection, unless the projection shares one (static_synapse_hom_w)
DELAY_BYTES = 2  # a uint16 delay per connection, when delays are drawn per connection
PLASTIC_BYTES = 8  # the post-synaptic order and sources of an STDP projection
ORDER_BYTES = 8  # the sort order of a projection's connections while drawn, where the rule gives their weights
MEMINFO = Path("/proc/meminfo")


class NetworkTooLargeError(NeuroCoreError):
    """A network needs more memory than the machine has available; the message gives both."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a network needs, by part (``("population `E`", 123)``, ...)."""

    parts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(b for _, b in self.parts)

    def largest(self) -> tuple[str, int]:
        """The part that needs the most memory."""
        return max(self.parts, key=lambda p: p[1], default=("nothing", 0))


def format_bytes(n: float) -> str:
    """``n`` bytes for a person: ``"512 KiB"``, ``"2.3 GiB"``, ``"447 GiB"``."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = 0
    while n >= 1024 and power < len(units) - 1:
        n /= 1024
        power += 1
    if power == 0:
        return f"{int(n)} B"
    return f"{n:.3g} {units[power]}" if n < 1000 else f"{n:,.0f} {units[power]}"


def _model_slots(pdef: PopulationDef, on_pre_receptors: int) -> int:
    spec = pdef.model.spec if isinstance(pdef.model, LibraryModel) else pdef.model
    lines = [ln for ln in spec.equations.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return len(lines) + len(spec.receptors) + on_pre_receptors + 2  # + last spike and the current input


def _size(value) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _seconds(text) -> float | None:
    """A time in seconds, or ``None`` when it cannot be read (the build says why)."""
    try:
        value, dim = quantity_in(str(text), SI_UNITS)
    except UnitError:
        return None
    return value if dim is SECOND and value > 0 else None


def estimate_memory(net: NetworkDef, chunk_steps: int = DEFAULT_CHUNK_STEPS) -> MemoryEstimate:
    """The bytes building ``net`` and running it in chunks of ``chunk_steps`` will allocate."""
    sizes = {p.name: _size(p.size) for p in net.populations}
    on_pre: dict[str, set[str]] = {}
    for proj in net.projections:
        if proj.on_pre:
            on_pre.setdefault(proj.target, set()).add(proj.on_pre.strip())
    parts = []
    for p in net.populations:
        per_neuron = BYTES_PER_SLOT * _model_slots(p, len(on_pre.get(p.name, ()))) + NEURON_BYTES
        parts.append((f"population `{p.name}`", per_neuron * sizes[p.name]))
    dt = _seconds(net.dt) or 1e-4
    drawing = ("", 0)
    for proj in net.projections:
        n_src, n_tgt = sizes.get(proj.source, 0), sizes.get(proj.target, 0)
        count = expected_connections(proj.rule, n_src, n_tgt)
        per = (np.dtype(index_type(n_tgt)).itemsize + (WEIGHT_BYTES if proj.synapse != "static_synapse_hom_w" else 0)
               + (PLASTIC_BYTES if proj.synapse == "stdp_synapse" else 0) + state_bytes(proj.synapse)
               + (DELAY_BYTES if draws(proj.delay) else 0))
        # Drawn: source and target indices and their sorted copies (64-bit unless the rule uses small ones).
        index = 2 if proj.rule.name in ("fixed_indegree", "fixed_outdegree") and max(n_src, n_tgt) <= 1 << 16 else 8
        delay_steps = max(1, round((_seconds(proj.delay) or dt) / dt))
        ring = BYTES_PER_SLOT * (delay_steps + 1) * n_tgt
        parts.append((f"projection `{proj.name}`", int(per * count) + ring + BYTES_PER_SLOT * (n_src + 1)))
        order = ORDER_BYTES if proj.rule.weights else 0  # else the targets are grouped by source themselves
        drawing = max(drawing, (f"drawing the connections of `{proj.name}`", int((order + 4 * index) * count)),
                      key=lambda d: d[1])
    if drawing[1]:
        parts.append(drawing)
    for d in net.devices:
        cls = DEVICE_TYPES.get(d.kind)
        size = sizes.get(d.target, 0)
        if cls is not None and size:
            neurons = len(d.neurons) if d.neurons is not None else size
            parts.append((f"device `{d.name}`", cls.chunk_bytes(d, size, neurons, chunk_steps)))
    return MemoryEstimate(tuple(parts))


def available_memory(meminfo: Path = MEMINFO) -> int | None:
    """The bytes the machine can give a new allocation without swapping (``MemAvailable``), or ``None``
    where the system does not say."""
    try:
        text = meminfo.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "MemAvailable":
            number, _, unit = value.strip().partition(" ")
            return int(number) * (1024 if unit.strip() == "kB" else 1)
    return None


def memory_problem(net: NetworkDef, available: int | None = None) -> str | None:
    """Why ``net`` does not fit in ``available`` bytes (default: :func:`available_memory`), or ``None``."""
    if available is None:
        available = available_memory()
    estimate = estimate_memory(net)
    if available is None or estimate.total <= available:
        return None
    what, _ = estimate.largest()
    return (f"the network needs about {format_bytes(estimate.total)} of memory (most of it for {what}), "
            f"but this machine has {format_bytes(available)} available; make it smaller")


def check_memory(net: NetworkDef, available: int | None = None) -> None:
    """Refuse ``net`` with :class:`NetworkTooLargeError` when it does not fit (see :func:`memory_problem`)."""
    problem = memory_problem(net, available)
    if problem is not None:
        raise NetworkTooLargeError(problem)
