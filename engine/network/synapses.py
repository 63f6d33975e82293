"""NEST's synapse models that keep state of their own in every connection.

``tsodyks2_synapse`` and ``tsodyks_synapse`` are short-term plasticity (Tsodyks & Markram 1997; Maass &
Markram 2002): each pre spike releases a fraction of the connection's resources and transmits its weight
times that fraction.  ``stdp_triplet_synapse`` is triplet STDP (Pfister & Gerstner 2006): its weight
changes with pre and post spikes.  Their parameters carry NEST's names, defaults and checks; the
compiled step loop (ext/network.pyx) runs their updates as NEST's ``send`` does, on per-connection
state arrays this module lays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.errors import Location, NeuroCoreError
from engine.equations.units import (DIMENSIONLESS, SECOND, SI_UNITS, Dimension, Quantity, UnitError,
                                    format_dimension, quantity_in)


@dataclass(frozen=True)
class SynapseParam:
    """One parameter of a synapse model: its dimension (``None``: the weight's), its default as typed
    (``None``: it must be given; ``"U"``: the value of ``U``), the range it must lie in, and what it means."""

    dim: Dimension | None
    default: str | None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    doc: str = ""

    def problem(self, value: float) -> str | None:
        """Why ``value`` (SI, or the weight's units) cannot be this parameter (``None`` when it can)."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"must be {'greater than' if self.low_open else 'at least'} {self.low:g}"
        if self.high is not None and value > self.high:
            return f"must be at most {self.high:g}"
        return None


_FRACTION = dict(low=0.0, high=1.0)
SYNAPSE_PARAMETERS: dict[str, dict[str, SynapseParam]] = {
    "tsodyks2_synapse": {
        "U": SynapseParam(DIMENSIONLESS, "0.5", **_FRACTION, doc="release increment per spike"),
        "u": SynapseParam(DIMENSIONLESS, "U", **_FRACTION, doc="release probability at the start"),
        "x": SynapseParam(DIMENSIONLESS, "1", **_FRACTION, doc="available resources at the start"),
        "tau_rec": SynapseParam(SECOND, "800 ms", low=0.0, low_open=True, doc="recovery time constant"),
        "tau_fac": SynapseParam(SECOND, "0 ms", low=0.0, doc="facilitation time constant (0: none)"),
    },
    "tsodyks_synapse": {
        "U": SynapseParam(DIMENSIONLESS, "0.5", **_FRACTION, doc="release increment per spike"),
        "tau_psc": SynapseParam(SECOND, "3 ms", low=0.0, low_open=True, doc="decay of the active resources"),
        "tau_rec": SynapseParam(SECOND, "800 ms", low=0.0, low_open=True, doc="recovery time constant"),
        "tau_fac": SynapseParam(SECOND, "0 ms", low=0.0, doc="facilitation time constant (0: none)"),
        "x": SynapseParam(DIMENSIONLESS, "1", **_FRACTION, doc="recovered resources at the start"),
        "y": SynapseParam(DIMENSIONLESS, "0", **_FRACTION, doc="active resources at the start"),
        "u": SynapseParam(DIMENSIONLESS, "0", **_FRACTION, doc="release probability at the start"),
    },
    "stdp_triplet_synapse": {
        "tau_plus": SynapseParam(SECOND, "16.8 ms", low=0.0, low_open=True, doc="pre trace (pairs)"),
        "tau_plus_triplet": SynapseParam(SECOND, "101 ms", low=0.0, low_open=True, doc="pre trace (triplets)"),
        "tau_minus": SynapseParam(SECOND, "20 ms", low=0.0, low_open=True, doc="post trace (pairs)"),
        "tau_minus_triplet": SynapseParam(SECOND, "110 ms", low=0.0, low_open=True, doc="post trace (triplets)"),
        "Aplus": SynapseParam(DIMENSIONLESS, "5e-10", low=0.0, doc="pair potentiation"),
        "Aminus": SynapseParam(DIMENSIONLESS, "7e-3", low=0.0, doc="pair depression"),
        "Aplus_triplet": SynapseParam(DIMENSIONLESS, "6.2e-3", low=0.0, doc="triplet potentiation"),
        "Aminus_triplet": SynapseParam(DIMENSIONLESS, "2.3e-4", low=0.0, doc="triplet depression"),
        "Wmax": SynapseParam(None, None, low=0.0, low_open=True, doc="upper weight bound"),
        "Kplus": SynapseParam(DIMENSIONLESS, "0", low=0.0, doc="pre trace at the start"),
        "Kplus_triplet": SynapseParam(DIMENSIONLESS, "0", low=0.0, doc="triplet pre trace at the start"),
    },
}
"""Every synapse model with parameters, by NEST name: its parameters, by NEST name, in NEST's order."""

RULES = {"tsodyks2_synapse": 2, "tsodyks_synapse": 3, "stdp_triplet_synapse": 4}
"""The step loop's number for each synapse rule (ext/network.pyx, ``RULE_*``)."""

STATE_ROWS = {"tsodyks2_synapse": ("x", "u", "last_spike"), "tsodyks_synapse": ("x", "y", "u", "last_spike"),
              "stdp_triplet_synapse": ("weight", "Kplus", "Kplus_triplet", "last_spike")}
"""The per-connection state each rule keeps (``last_spike``: NEST's stamp of the last pre spike, in steps)."""

FIXED_POINT_REASONS = {
    "stdp_synapse": "its weights change by fractions the format cannot hold",
    "tsodyks2_synapse": "its release fractions have no fixed-point meaning yet",
    "tsodyks_synapse": "its release fractions have no fixed-point meaning yet",
    "stdp_triplet_synapse": "its weights change by fractions the format cannot hold",
}
"""Why each plastic synapse model is refused in fixed point (and so by the hardware)."""


def state_bytes(synapse: str) -> int:
    """The bytes of state a connection of ``synapse`` keeps beyond its weight (and its place among the
    target's incoming synapses for triplet STDP)."""
    rows = STATE_ROWS.get(synapse, ())
    return 8 * len(rows) + (4 if synapse == "stdp_triplet_synapse" else 0)


class SynapseError(NeuroCoreError):
    """A synapse parameter cannot be used; the message names the projection and the parameter."""


@dataclass(frozen=True)
class SynapseRule:
    """A projection's synapse rule as the step loop takes it: the rule's number, its constants (times in
    ms, weights in the target's units) and the per-connection state (rows named by :data:`STATE_ROWS`)."""

    synapse: str
    rule: int
    constants: np.ndarray
    state: np.ndarray

    def named_state(self) -> dict[str, np.ndarray]:
        """The per-connection state, a copy by row name."""
        return {name: self.state[k].copy() for k, name in enumerate(STATE_ROWS[self.synapse])}


def synapse_values(synapse: str, given: Mapping[str, object], weight_dim: Dimension, system, at: Location
                   ) -> dict[str, float]:
    """Every parameter of ``synapse``: the ``given`` values (quantities, text or numbers) checked for their
    units and range, the others at their defaults; times in seconds, weights in ``system``'s units.

    Raises
    ------
    SynapseError
        An unknown parameter, a missing one, a wrong unit or a value out of range, named with the projection.
    """
    specs = SYNAPSE_PARAMETERS.get(synapse, {})
    where = at.element
    for key in given:
        if key not in specs:
            have = f"it has: {', '.join(specs)}" if specs else "it takes none"
            raise SynapseError(f"{where}: {synapse} has no parameter `{key}` ({have})", at.at(f"synapse_params.{key}"))
    values: dict[str, float] = {}
    for key, spec in specs.items():
        field = at.at(f"synapse_params.{key}")
        raw = given.get(key, spec.default)
        if raw is None:
            raise SynapseError(f"{where}: {synapse} needs `{key}` ({spec.doc}, with the weight's unit)", field)
        if raw == "U":
            values[key] = values["U"]
            continue
        dim = weight_dim if spec.dim is None else spec.dim
        try:
            value, d = quantity_in(raw if isinstance(raw, (Quantity, str)) else float(raw),
                                   system if spec.dim is None else SI_UNITS)
        except (UnitError, TypeError, ValueError) as exc:
            raise SynapseError(f"{where}, synapse parameter `{key}`: {exc}", field) from exc
        if d is not dim:
            raise SynapseError(f"{where}, synapse parameter `{key}`: `{raw}` has units {format_dimension(d)}, "
                               f"expected {format_dimension(dim)}", field)
        problem = spec.problem(value)
        if problem is not None:
            raise SynapseError(f"{where}, synapse parameter `{key}`: `{raw}` {problem}", field)
        values[key] = value
    return values


def synapse_rule(synapse: str, given: Mapping[str, object], weights: np.ndarray, weight_dim: Dimension, system,
                 at: Location) -> SynapseRule:
    """The rule of a projection of ``synapse`` with ``weights`` (delivered, per connection, in the target's
    units), its parameters checked (:func:`synapse_values`)."""
    v = synapse_values(synapse, given, weight_dim, system, at)
    n = weights.size
    where = at.element
    if synapse == "tsodyks_synapse":
        if v["x"] + v["y"] > 1.0:
            raise SynapseError(f"{where}: tsodyks_synapse needs x + y <= 1 (resources are fractions of one), not "
                               f"{v['x']:g} + {v['y']:g}", at.at("synapse_params.y"))
        if v["tau_psc"] == v["tau_rec"]:
            raise SynapseError(f"{where}: tsodyks_synapse needs tau_psc and tau_rec to differ (its propagator "
                               "divides by their difference)", at.at("synapse_params.tau_psc"))
        constants = [v["U"], v["tau_rec"] * 1e3, v["tau_fac"] * 1e3, v["tau_psc"] * 1e3]
        first = [v["x"], v["y"], v["u"], 0.0]
    elif synapse == "tsodyks2_synapse":
        constants = [v["U"], v["tau_rec"] * 1e3, v["tau_fac"] * 1e3, 0.0]
        first = [v["x"], v["u"], -1.0]
    else:
        w_max = v["Wmax"]
        if not np.all((0 <= weights) & (weights <= w_max)):
            raise SynapseError(f"{where}: a stdp_triplet_synapse weight must lie between 0 and Wmax "
                               f"({given.get('Wmax')})", at.at("weight"))
        constants = [v[k] * 1e3 for k in ("tau_plus", "tau_plus_triplet", "tau_minus", "tau_minus_triplet")]
        constants += [v[k] for k in ("Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet", "Wmax")]
        first = [0.0, v["Kplus"], v["Kplus_triplet"], 0.0]
    state = np.repeat(np.asarray(first, dtype=np.float64)[:, None], n, axis=1)
    if synapse == "stdp_triplet_synapse":
        state[0] = weights
    return SynapseRule(synapse, RULES[synapse], np.asarray(constants, dtype=np.float64), np.ascontiguousarray(state))
