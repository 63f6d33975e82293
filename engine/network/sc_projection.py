"""Stochastic-computing (SC) projections: what one delivers, bit by bit (docs/stochastic-computing.md,
"SC projections").

An SC projection runs in a fixed-point network.  In every step in which at least one of its source
neurons spikes (the *emission* step ``t``), it computes for each target ``j`` that has inputs, in
ascending order of ``j``, ``L`` stream bits ``b = 0 .. L-1``; each bit takes the next word ``s`` of the
select source and the next word ``x`` of the data source:

* ``k = (s * n_j) >> 16`` picks one of the target's ``n_j`` inputs (the MUX; inputs in ascending
  order of source neuron, then connection order);
* the bit is 1 when input ``k``'s source spiked in step ``t`` (the activity stream: all ones) and
  ``x < level_k`` (the weight's unipolar stream), i.e. the AND of the two streams;
* ``value_j = ((popcount * n_j) << m) >> log2(L)``, with the projection's sign, arrives at ``j`` in step
  ``t + delay`` and adds exactly to everything else arriving there.

``level_k = (|w_k| << 16) >> m`` with ``m`` the bit length of the largest ``|w|`` of the projection
(raw weights of the target's format), so every level is below 2**16.  A step without a spike from the
source draws no words.  The data source is the projection's (``source``, ``seed``); the select source
is of the other family (:data:`SELECT_SOURCE`), so select and data never share a sequence.  The hardware
(hdl/core.py) reads the same :class:`ScPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.network.definitions import Arithmetic
from engine.stochastic.sc_sources import FULL_SCALE, LFSR16_PERIOD, WORD_BITS, default_seed, source_words

SELECT_SOURCE = {"lfsr16": "halton", "sobol16": "lfsr16", "halton": "lfsr16"}


def period(source: str) -> int:
    """Words before ``source`` repeats."""
    return LFSR16_PERIOD if source == "lfsr16" else FULL_SCALE


@dataclass(frozen=True)
class ScPlan:
    """Everything an SC projection computes from, read off a built projection in fixed point."""

    name: str
    source: str  # the data source and its seed
    seed: int
    select_source: str
    select_seed: int
    length: int
    shift: int  # m: levels are |w| scaled by 2**(16 - m)
    sign: int  # +1 or -1
    delay: int
    targets: np.ndarray  # target neurons with inputs, ascending (int64)
    counts: np.ndarray  # n_j of each (int64)
    starts: np.ndarray  # first input of each in ``inputs`` (int64, len(targets) + 1)
    inputs: np.ndarray  # source neuron of every input, target by target (int64)
    levels: np.ndarray  # comparator level of every input (int64, below 2**16)
    magnitudes: np.ndarray  # |raw weight| of every input (int64)

    @property
    def length_bits(self) -> int:
        return self.length.bit_length() - 1

    @property
    def largest(self) -> int:
        """The largest magnitude one target's decoded value can have (``n_j << m``)."""
        return int(self.counts.max(initial=0)) << self.shift

    def streams(self) -> list[dict]:
        """The two streams of this projection, as the hardware manifest lists them."""
        return [{"projection": self.name, "stream": "data", "source": self.source, "seed": self.seed},
                {"projection": self.name, "stream": "select", "source": self.select_source, "seed": self.select_seed}]


def sc_plan(proj, arithmetic: Arithmetic, index: int) -> ScPlan:
    """The plan of built projection ``proj`` (fixed point, one delay) with SC ``arithmetic``; ``index`` is its
    position in the network, which derives the seeds not given."""
    raw = proj.raw_weights if proj.weights is not None else np.full(proj.n_connections, proj.raw_weight)
    raw = np.asarray(raw, dtype=np.int64)
    negative = raw < 0
    sign = -1 if negative.any() else 1
    magnitude = np.abs(raw)
    shift = int(magnitude.max(initial=0)).bit_length()
    order = np.argsort(proj.targets, kind="stable")  # CSR is by source: each target's inputs by source
    targets_of = proj.targets.astype(np.int64)[order]
    targets, counts = np.unique(targets_of, return_counts=True)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    select = SELECT_SOURCE[arithmetic.source]
    seed = arithmetic.seed if arithmetic.seed is not None else default_seed(arithmetic.source, index)
    return ScPlan(proj.definition.name, arithmetic.source, int(seed), select, default_seed(select, index),
                  int(arithmetic.length), shift, sign, proj.delay, targets.astype(np.int64),
                  counts.astype(np.int64), starts, proj.sources()[order].astype(np.int64),
                  (magnitude[order] << WORD_BITS) >> shift if shift else np.zeros(raw.size, np.int64),
                  magnitude[order])


def decode(plan: ScPlan, popcounts: np.ndarray) -> np.ndarray:
    """Signed raw values of the targets from their popcounts."""
    return plan.sign * (((popcounts * plan.counts) << plan.shift) >> plan.length_bits)


@dataclass
class ScProjection:
    """A running SC projection: its plan, where its two sources stand, and the values on their way."""

    plan: ScPlan
    target_size: int
    position: int = 0  # words drawn from each source so far
    pending: dict[int, np.ndarray] = field(default_factory=dict)  # arrival step -> raw value per target neuron

    def __post_init__(self):
        plan = self.plan
        self._data = source_words(plan.source, period(plan.source), plan.seed).astype(np.int64)
        self._select = source_words(plan.select_source, period(plan.select_source), plan.select_seed).astype(np.int64)

    def words(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``count`` (data, select) words; the sources move on."""
        at = self.position + np.arange(count, dtype=np.int64)
        self.position += count
        return self._data[at % self._data.size], self._select[at % self._select.size]

    def emit(self, active: np.ndarray) -> np.ndarray | None:
        """Raw values per target neuron for one emission step with source spikes ``active`` (bool per source
        neuron); ``None`` (and no words drawn) when no source spiked."""
        if not active.any():
            return None
        plan = self.plan
        n, length = plan.targets.size, plan.length
        data, select = self.words(n * length)
        data, select = data.reshape(n, length), select.reshape(n, length)
        k = plan.starts[:-1, None] + ((select * plan.counts[:, None]) >> WORD_BITS)
        bits = active[plan.inputs[k]] & (data < plan.levels[k])
        out = np.zeros(self.target_size, dtype=np.int64)
        out[plan.targets] = decode(plan, bits.sum(axis=1))
        return out

    def exact(self, active: np.ndarray) -> np.ndarray:
        """What fixed-point arithmetic delivers for the same spikes: the exact sum of the active raw weights per
        target neuron (the reference the SC error is measured against)."""
        plan = self.plan
        owner = np.repeat(plan.targets, plan.counts)
        return plan.sign * np.bincount(owner, weights=active[plan.inputs] * plan.magnitudes,
                                       minlength=self.target_size).astype(np.int64)

    def after_chunk(self, first: int, steps: int, spike_steps: np.ndarray, neurons: np.ndarray,
                    source_size: int) -> None:
        """Compute the emissions of steps ``first .. first + steps - 1`` (spikes of the source)."""
        for t in range(first, first + steps):
            active = np.zeros(source_size, dtype=bool)
            active[neurons[spike_steps == t]] = True
            value = self.emit(active)
            if value is not None:
                self.pending[t + self.plan.delay] = value

    def arriving(self, step: int) -> np.ndarray | None:
        """What arrives in ``step`` (and is then forgotten)."""
        return self.pending.pop(step, None)
