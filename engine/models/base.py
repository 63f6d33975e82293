"""Library models: equation text plus the metadata a person needs to use them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from engine.errors import NeuroCoreError
from engine.equations.model import ModelSpec


# NEST's hh_psc_alpha, iaf_cond_* and glif_cond integrate with GSL's rkf45 under
# gsl_odeiv_control_y_new(1e-3, 0.0), starting with a step of dt, and test the threshold once at the
# end of the step (docs/integration.md).
NEST_GSL_METHOD = "rkf45(control=y, eps_abs=1e-3, eps_rel=0, first_step=dt)"


class ReceptorError(NeuroCoreError):
    """An input names no receptor of its target (an unknown name, a port out of range, or none at all)."""


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as the library documents it (``default`` and ``low``/``high`` with units)."""

    name: str
    default: str
    meaning: str
    low: str | None = None
    high: str | None = None


@dataclass(frozen=True)
class LibraryModel:
    """A named model of the library.

    ``receptors`` lists the receptor ports in NEST's order (port 1 is the
    first); ``sign_split`` routes weights sent to the default port by their sign,
    ``(positive_receptor, negative_receptor)``, as NEST's current- and
    conductance-based models do.  ``negate_negative`` says whether the negative
    receptor receives ``-w`` (conductances) or ``w`` (currents).
    """

    name: str
    title: str
    spec: ModelSpec
    params: tuple[ParamInfo, ...]
    description: str = ""
    citation: str = ""
    nest_name: str | None = None
    receptors: tuple[str, ...] = ()
    sign_split: tuple[str, str] | None = None
    negate_negative: bool = False
    family: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        # The documented defaults are the model's parameter values: stated once, in ``params``.
        if not self.spec.parameters:
            object.__setattr__(self, "spec", replace(self.spec, parameters={p.name: p.default for p in self.params}))

    def with_parameters(self, **values: str) -> "LibraryModel":
        """A copy whose parameter values are replaced (quantity strings)."""
        merged = dict(self.spec.parameters)
        merged.update(values)
        return replace(self, spec=replace(self.spec, parameters=merged))

    def route(self, weight: float, port: int = 0) -> tuple[str, float]:
        """Receptor and weight for an input of ``weight`` to ``port`` (0: by sign; k: k-th receptor)."""
        return route_input(self.receptors, weight, port or None, library=self, owner=self.name)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "family": self.family,
            "nest_name": self.nest_name,
            "description": self.description,
            "citation": self.citation,
            "equations": self.spec.equations,
            "threshold": self.spec.threshold,
            "reset": self.spec.reset,
            "run_regularly": self.spec.run_regularly,
            "refractory": self.spec.refractory,
            "method": self.spec.method,
            "receptors": list(self.receptors),
            "current_input": self.spec.current_input,
            "parameters": [
                {"name": p.name, "default": p.default, "meaning": p.meaning,
                 "range": [p.low, p.high]} for p in self.params
            ],
        }


def route_input(receptors: Sequence[str], weight: float, receptor: str | int | None = None, *,
                library: LibraryModel | None = None, owner: str = "the model",
                none: str = "has no receptor; give `on_pre` (e.g. `v += w`)") -> tuple[str, float]:
    """The receptor an input of ``weight`` (a value) reaches, and the weight it delivers there.

    NEST's routing, stated once for projections, devices and the single-neuron runs: an explicit
    ``receptor`` (a name, or a 1-based port as a number or digits) takes the weight as it is, and so
    does a Brian2 ``on_pre`` statement, which is a receptor added to the target under its own name;
    without one, a library model with ``sign_split`` sends a positive weight to its first receptor and
    a negative one to its second, negated there when ``negate_negative`` (conductances); otherwise the
    first of ``receptors`` takes it.  Messages name the target as ``owner``; ``none`` ends the one
    for a target without receptors.
    """
    names = list(receptors)
    if receptor is not None:
        if isinstance(receptor, int) or receptor.isdigit():
            port = int(receptor)
            if not 1 <= port <= len(names):
                raise ReceptorError(f"{owner} has receptor ports 1..{len(names)}, not {port}")
            return names[port - 1], weight
        if receptor not in names:
            raise ReceptorError(f"{owner} has no receptor `{receptor}` (has: {', '.join(names) or 'none'})")
        return receptor, weight
    if library is not None and library.sign_split is not None:
        excitatory, inhibitory = library.sign_split
        if weight >= 0:
            return excitatory, weight
        return inhibitory, (-weight if library.negate_negative else weight)
    if not names:
        raise ReceptorError(f"{owner} {none}")
    return names[0], weight
