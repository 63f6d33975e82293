"""What the live document and its undo stack announce: one frozen dataclass per kind of change, with its payload.

Subscribers connect a callback to an :class:`EventEmitter` and tell the kinds
apart by type, never by a string; :func:`dispatch` makes such a callback
from a ``{event type: handler}`` table::

    document.events.connect(dispatch({NodeAdded: on_added, SettingChanged: on_setting}))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from studio.document.elements import Edge, Node


@dataclass(frozen=True)
class NodeEvent:
    """A node was added, removed or changed: the node (as it is now, or as it was when removed) and its
    index among the nodes."""

    node: Node
    index: int

    @property
    def name(self) -> str:
        return self.node.name


class NodeAdded(NodeEvent):
    """A node was inserted at ``index``."""


class NodeRemoved(NodeEvent):
    """A node was removed from ``index``."""


class NodeChanged(NodeEvent):
    """A node was replaced (a field, its target or its position changed)."""


@dataclass(frozen=True)
class EdgeEvent:
    """A projection or a device link was added, removed or changed: the edge and, for projections, its index
    among the projections (``None`` for device links, which follow their device)."""

    edge: Edge
    index: int | None = None

    @property
    def name(self) -> str:
        return self.edge.name


class EdgeAdded(EdgeEvent):
    """An edge was inserted."""


class EdgeRemoved(EdgeEvent):
    """An edge was removed."""


class EdgeChanged(EdgeEvent):
    """A projection was replaced (one of its fields changed)."""


@dataclass(frozen=True)
class Renamed:
    """Node or projection ``old`` is now ``new``: announced after the removals and additions that moved it and
    what refers to it, so a view can keep it selected."""

    old: str
    new: str


@dataclass(frozen=True)
class SettingChanged:
    """A document-level setting (``constants``, ``models``, ``dt``, ``seed``, ``description``) has a new value."""

    key: str
    value: Any


@dataclass(frozen=True)
class PathChanged:
    """The document's file changed (saved under a new name, or forgotten: ``None``)."""

    path: Path | None


@dataclass(frozen=True)
class UndoStackChanged:
    """An undo stack did, undid, redid, cleared or marked clean: its new ``index`` and whether that is the
    saved state (``clean``)."""

    index: int
    clean: bool


DocumentEvent = NodeEvent | EdgeEvent | Renamed | SettingChanged | PathChanged


class EventEmitter:
    """Callbacks called with each event, in the order they connected."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Any], None]] = []

    def connect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.remove(callback)

    def emit(self, event: Any) -> None:
        for callback in list(self._callbacks):
            callback(event)


def dispatch(handlers: Mapping[type, Callable[[Any], None]]) -> Callable[[Any], None]:
    """A callback calling ``handlers[type(event)]`` for each event of a type in the table (others pass by)."""
    table = dict(handlers)

    def on_event(event: Any) -> None:
        handler = table.get(type(event))
        if handler is not None:
            handler(event)

    return on_event
