"""The engine's one exception hierarchy.

Every problem a person can cause (a malformed model, a bad unit, a bad file)
raises a :class:`NeuroCoreError`; a :class:`ModelError` carries one
:class:`Problem` per location so an editor can underline each of them.  An
error about an element of a network carries a :class:`Location` (the element,
the field, the span inside an expression), so a caller places it without
reading the message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Location:
    """Where in a network definition a problem is.

    ``kind`` is ``"population"``, ``"projection"`` or ``"device"`` (``""``: the
    network itself, e.g. ``dt``); ``field`` is a path inside the element
    (``"weight"``, ``"parameters.tau_m"``, ``"rule.p"``, ``"stdp.w_max"``,
    ``"params.rate"``; ``""``: the element as a whole); ``line``, ``col`` and
    ``end_col`` (1-based) mark a span inside that field's expression when known.
    """

    kind: str = ""
    name: str = ""
    field: str = ""
    line: int = 0
    col: int = 0
    end_col: int | None = None

    @property
    def element(self) -> str:
        """The element as messages name it: ``projection `EE```."""
        return f"{self.kind} `{self.name}`"

    def at(self, field: str) -> Location:
        """This element's ``field``."""
        return replace(self, field=field)

    def spanning(self, problem: Problem) -> Location:
        """This location narrowed to the line and columns of ``problem`` (an expression's problem)."""
        return replace(self, line=problem.line, col=problem.col, end_col=problem.end_col)


class NeuroCoreError(Exception):
    """Base class of every error the engine raises on purpose; ``location`` places it when known."""

    def __init__(self, message: str = "", location: Location | None = None):
        super().__init__(message)
        self.location = location


@dataclass(frozen=True)
class Problem:
    """One problem at one place of a model: field, line and column are 1-based.

    ``location`` places it in a network definition when the network's builder knows where.
    """

    field: str
    line: int
    col: int
    message: str
    end_col: int | None = None
    source_line: str = ""
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.field}: line {self.line}, col {self.col}" if self.line else self.field
        return f"{where}: {self.message}"


class ModelError(NeuroCoreError):
    """A neuron model is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("model", 0, 0, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SimulationError(NeuroCoreError):
    """A run cannot go on (numerical blow-up, bad input)."""


class ExtensionMissingError(NeuroCoreError, ImportError):
    """The compiled Cython kernels are not built."""
