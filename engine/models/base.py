"""Library models: equation text plus the metadata a person needs to use them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.errors import ModelError
from engine.equations.model import ModelSpec


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
        if port:
            if not 1 <= port <= len(self.receptors):
                raise ModelError(f"{self.name} has receptor ports 1..{len(self.receptors)}, not {port}")
            return self.receptors[port - 1], weight
        if self.sign_split is not None:
            pos, neg = self.sign_split
            if weight >= 0:
                return pos, weight
            return neg, (-weight if self.negate_negative else weight)
        if not self.receptors:
            raise ModelError(f"{self.name} has no input receptor")
        return self.receptors[0], weight

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
