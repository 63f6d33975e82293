"""The engine's one exception hierarchy.

Every problem a person can cause (a malformed model, a bad unit, a bad file)
raises a :class:`NeuroCoreError`; a :class:`ModelError` carries one
:class:`Problem` per location so an editor can underline each of them.
"""

from __future__ import annotations

from dataclasses import dataclass


class NeuroCoreError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem at one place of a model: field, line and column are 1-based."""

    field: str
    line: int
    col: int
    message: str
    end_col: int | None = None
    source_line: str = ""

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.field}: line {self.line}, col {self.col}"
        return self.field

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


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
