"""What a network is made of, as plain frozen records (no arrays of state).

These records are what a project file is read into; :func:`engine.network.build.build_network`
turns them into a running network.  Values are typed: a
:class:`~engine.equations.units.Quantity`, a per-neuron array or an
:class:`~engine.equations.constant_values.Expression`.  Where a person writes
Python against the engine, a value may also be text (``"20 pA"``,
``"15*ms + 5*ms*rand()"``); the build reads it where it reads the field, with
the parser every quantity goes through (:func:`~engine.equations.units.as_quantity`,
:func:`~engine.equations.units.quantity_in`), and text that is no quantity
is a per-neuron expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from numpy.typing import ArrayLike

from engine.equations.constant_values import Expression
from engine.equations.model import ModelSpec
from engine.equations.units import SECOND, Quantity
from engine.fixedpoint import FormatError, QFormat
from engine.models.base import LibraryModel
from engine.network.connect import Rule
from engine.stochastic.sc_sources import SOURCES as SC_SOURCES
from engine.stochastic.sc_sources import check_seed

SYNAPSES = ("static_synapse", "static_synapse_hom_w", "stdp_synapse")
ARITHMETIC_MODES = ("float", "fixed", "sc")
SC_LENGTHS = tuple(1 << k for k in range(6, 13))  # 64 .. 4096, powers of two: decoding divides by L


def dt_problem(dt: float) -> str | None:
    """Why a time step of ``dt`` seconds cannot be used (``None`` when it can)."""
    return None if dt > 0 else f"dt must be positive, not {dt * 1e3:g} ms"


@dataclass(frozen=True)
class Arithmetic:
    """How a projection computes what it delivers (docs/stochastic-computing.md, "SC projections").

    ``mode`` ``"float"`` or ``"fixed"`` (``format``, a Q format such as ``"Q8.8"``) states the run's own
    arithmetic; ``"sc"`` computes each target's input with bitstreams of ``length`` bits drawn from
    ``source`` (``lfsr16``, ``sobol16``, ``halton``) started at ``seed`` (``None``: derived from the
    projection's index).  :func:`arithmetic_problems` says what is wrong with a value as a file holds it.
    """

    mode: str
    format: str | None = None
    source: str | None = None
    length: int | None = None
    seed: int | None = None

    @classmethod
    def from_mapping(cls, value: Mapping[str, object]) -> "Arithmetic":
        """The record of a mapping that :func:`arithmetic_problems` accepts."""
        return cls(**{k: value[k] for k in ("mode", "format", "source", "length", "seed") if k in value})

    def to_mapping(self) -> dict[str, object]:
        """The mapping a file holds (fields that are ``None`` left out)."""
        return {k: v for k, v in vars(self).items() if v is not None}


_ARITHMETIC_FIELDS = {"float": ("mode",), "fixed": ("mode", "format"), "sc": ("mode", "source", "length", "seed")}


def arithmetic_problems(value: Mapping[str, object]) -> list[tuple[str, str]]:
    """Every problem of an ``arithmetic`` value as ``(field, message)``; empty when it is valid."""
    mode = value.get("mode")
    if mode not in ARITHMETIC_MODES:
        return [("mode", f"arithmetic mode must be one of {', '.join(ARITHMETIC_MODES)}, not {mode!r}")]
    takes = ", ".join(_ARITHMETIC_FIELDS[mode])
    problems = [(key, f"`{key}` is not a setting of {mode} arithmetic (it takes {takes})")
                for key in value if key not in _ARITHMETIC_FIELDS[mode]]
    if mode == "fixed":
        text = value.get("format")
        if not isinstance(text, str):
            problems.append(("format", "fixed arithmetic needs `format`, a Q format such as `Q8.8`"))
        else:
            try:
                QFormat.parse(text)
            except FormatError as exc:
                problems.append(("format", str(exc)))
    if mode != "sc":
        return problems
    source, length, seed = value.get("source"), value.get("length"), value.get("seed")
    if source not in SC_SOURCES:
        problems.append(("source", f"SC source must be one of {', '.join(SC_SOURCES)}, not {source!r}"))
    if isinstance(length, bool) or length not in SC_LENGTHS:
        problems.append(("length", f"SC length must be a power of two from 64 to 4096 "
                                   f"({', '.join(map(str, SC_LENGTHS))}), not {length!r}"))
    if seed is not None and source in SC_SOURCES:
        try:
            check_seed(source, seed)
        except ValueError as exc:
            problems.append(("seed", str(exc)))
    return problems


@dataclass(frozen=True)
class PopulationDef:
    """``size`` neurons of one model.

    ``parameters`` override model parameters: a quantity for the whole
    population (``20 ms``), or an expression evaluated per neuron
    (``15*ms + 5*ms*rand()``), a tuple of quantities (one per neuron) or an array of values in the model's units,
    either of which makes the parameter per-neuron.  ``initial`` sets state
    variables per neuron the same way (``V_r + rand()*(V_th - V_r)``).  ``arithmetic`` is the arithmetic of
    every incoming projection that states none of its own.
    """

    name: str
    model: LibraryModel | ModelSpec
    size: int
    parameters: Mapping[str, Quantity | Expression | ArrayLike] = field(default_factory=dict)
    initial: Mapping[str, Quantity | Expression | ArrayLike] = field(default_factory=dict)
    arithmetic: Arithmetic | None = None


@dataclass(frozen=True)
class STDP:
    """Pair-based STDP with traces (Song, Miller & Abbott 2000; NEST's stdp_synapse).

    With ``w`` in units of ``w_max``: a post spike adds
    ``a_plus * (1 - w)**mu * x_pre``, a pre spike subtracts
    ``a_minus * w**mu * x_post`` before transmitting, where the traces decay
    with ``tau_plus``/``tau_minus`` and grow by one per spike; ``bounds``
    ``"additive"`` is mu = 0 (hard bounds at 0 and ``w_max``),
    ``"multiplicative"`` is mu = 1 (soft bounds).
    """

    tau_plus: Quantity | str = Quantity(20.0, SECOND)
    tau_minus: Quantity | str = Quantity(20.0, SECOND)
    a_plus: float = 0.01
    a_minus: float = 0.0105
    w_max: Quantity | str | None = None
    bounds: str = "additive"


@dataclass(frozen=True)
class ProjectionDef:
    """Connections from one population to another.

    ``weight`` and ``delay`` are quantities, or expressions over constants drawn for every connection
    (``"redraw(w*(1 + 0.1*randn()), 0*pA)"``: ``rand()``, ``randn()``, and ``redraw(x, lo[, hi])``, which
    draws ``x`` again where it falls outside [lo, hi], as NEST's ``nest.math.redraw``); a drawn weight keeps one
    sign and needs ``static_synapse``.  ``receptor`` names a
    receptor (or gives a 1-based port); ``on_pre`` is the Brian2 form
    (``"ge += w"``) into any state variable of the target.  Without either,
    NEST's sign routing applies (positive to excitatory, negative to
    inhibitory).  ``arithmetic`` (:class:`Arithmetic`) overrides the run's arithmetic for this projection.
    """

    name: str
    source: str
    target: str
    rule: Rule
    weight: Quantity | Expression | str
    delay: Quantity | Expression | str = Quantity(0.1, SECOND)
    synapse: str = "static_synapse"
    receptor: str | int | None = None
    on_pre: str | None = None
    stdp: STDP | None = None
    arithmetic: Arithmetic | None = None


@dataclass(frozen=True)
class DeviceDef:
    """A NEST-named stimulation or recording device.

    ``targets`` names the population; ``neurons`` optionally picks indices.
    ``params`` holds the device's parameters as quantities, numbers or lists
    (e.g. ``{"rate": Quantity.parse("8 kHz")}``, ``{"spike_times": [Quantity(1.0, SECOND)]}``,
    ``{"record_from": ["V_m"], "interval": Quantity.parse("1 ms")}``).
    """

    name: str
    kind: str
    target: str
    params: Mapping[str, object] = field(default_factory=dict)
    neurons: tuple[int, ...] | None = None
    weight: Quantity | str | None = None
    delay: Quantity | str = Quantity(0.1, SECOND)
    receptor: str | int | None = None


@dataclass(frozen=True)
class NetworkDef:
    """A whole network: populations, projections, devices, time step and seed."""

    populations: tuple[PopulationDef, ...]
    projections: tuple[ProjectionDef, ...] = ()
    devices: tuple[DeviceDef, ...] = ()
    dt: Quantity | str = Quantity(0.1, SECOND)
    seed: int = 0
