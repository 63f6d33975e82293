"""What :class:`~studio.playground.playground_state.PlaygroundState` announces: one frozen dataclass per kind of
change.  Subscribers tell them apart by type (see :func:`studio.document.events.dispatch`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextChanged:
    """The model text changed; ``text`` is the new text."""

    text: str


@dataclass(frozen=True)
class ModelChanged:
    """A new valid model (``spec``, ``checked``); also when the text becomes valid again."""


@dataclass(frozen=True)
class ProblemsChanged:
    """``problems`` or ``stale`` changed."""


@dataclass(frozen=True)
class ParametersChanged:
    """The parameter names or values changed; ``name`` is the one parameter set, if only one value changed."""

    name: str | None = None


@dataclass(frozen=True)
class StimulusChanged:
    """``stimulus``, ``duration`` or ``dt`` changed."""


@dataclass(frozen=True)
class TraceChanged:
    """``trace`` is a new simulation."""


PlaygroundEvent = TextChanged | ModelChanged | ProblemsChanged | ParametersChanged | StimulusChanged | TraceChanged
