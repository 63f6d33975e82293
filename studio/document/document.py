"""The open project as mutable, evented state (Qt-free; the views subscribe to its events).

A :class:`Document` holds nodes (populations and devices) and edges
(projections, and the links from devices to the population they stimulate or
record).  It changes only through a few primitives (``add_node``,
``remove_node``, ``set_node``, ``add_edge``, ``remove_edge``, ``set_edge``,
``set_setting``, and ``rename`` made of them); each announces itself with one typed event
(:mod:`studio.document.events`).  Edits a person makes go through
:mod:`studio.document.commands`, which call these primitives and nothing
else, pushed on the document's ``undo_stack``, so undo covers everything.

Refinements of the GUI contract (/tmp/gui_contract.md):

- Device links are edges in ``Document.edges`` with ``kind == "device"`` and
  ``data is None``, named ``"<device>-><population>"``.  They are derived from
  ``DeviceDoc.target``: the document adds and removes them itself (with
  ``EdgeAdded``/``EdgeRemoved`` events) when a device node is added,
  removed or retargeted, or its population appears or goes.  ``add_edge`` and
  friends accept projection edges only; commands connect a device by setting
  its target.  An unconnected device has ``target == ""``.
- ``set_constants`` is ``set_setting(key, value)`` for every document-level
  setting (``constants``, ``models``, ``dt``, ``seed``, ``description``);
  it emits ``SettingChanged(key, value)``.  ``path`` changes emit
  ``PathChanged``.
- ``Node.position`` may be ``None`` (a file without positions: lay it out).
  The position lives in the node, not in ``node.data`` (whose position is
  always ``None``); ``to_project`` writes it back.
- ``check_connect(source, target, data=None)``: with ``data`` (a
  ``ProjectionDoc``) the weight's unit and the synapse are checked as well.
- ``problems()`` returns :class:`~studio.document.checks.DocumentProblem`
  (element, field, message, path, line, col).
- ``nodes``, ``edges`` and ``settings`` are read-only mappings (``MappingProxyType``), in order.
- Renaming is the ``Rename`` command (nodes and projections; references follow); ``rename`` removes and
  re-adds what it moves, then announces ``Renamed(old, new)``.
- The remove primitives return the index among elements of the same
  collection: nodes (populations and devices together) or projection edges.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from engine.errors import NeuroCoreError
from studio.document.checks import DocumentProblem, connect_problem, document_problems
from studio.document.elements import DocumentError, Edge, Node, link_name
from studio.document.events import (EdgeAdded, EdgeChanged, EdgeRemoved, EventEmitter, NodeAdded, NodeChanged,
                                    NodeRemoved, PathChanged, Renamed, SettingChanged)
from studio.document.history import UndoStack
from studio.project.project_file import read_project, write_project
from studio.project.project_doc import ProjectDoc, ProjectionDoc

SETTINGS = ("constants", "models", "dt", "seed", "description")

__all__ = ["ConnectError", "Document", "DocumentError", "Edge", "FieldError", "Node", "SETTINGS", "link_name"]


class ConnectError(NeuroCoreError):
    """A connection is refused; the message says why, for a person."""


class FieldError(NeuroCoreError):
    """A field value is refused; the message says why (e.g. the wrong unit)."""


class Document:
    """An open project: nodes, edges and settings, announcing every change on ``events``.

    Events
    ------
    events : EventEmitter
        :class:`~studio.document.events.NodeAdded`, ``NodeRemoved``, ``NodeChanged``, ``EdgeAdded``,
        ``EdgeRemoved``, ``EdgeChanged`` (the element and its index), ``SettingChanged`` (a key of
        ``SETTINGS`` and its new value) and ``PathChanged``.

    ``undo_stack`` is the document's edit history (:class:`~studio.document.history.UndoStack`): the window
    pushes every edit on it and the tests drive the same object.
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.events = EventEmitter()
        self.undo_stack = UndoStack()
        self.uid = uuid.uuid4().hex[:12]
        self._path = None if path is None else Path(path)
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, Edge] = {}
        self._settings: dict[str, Any] = {"constants": {}, "models": {}, "dt": None, "seed": None,
                                          "description": None}
        self._format_version: int | None = None

    # -- files ------------------------------------------------------------------
    @classmethod
    def from_project(cls, doc: ProjectDoc, path: str | os.PathLike | None = None) -> "Document":
        """A document holding ``doc`` (read from ``path``, if any)."""
        self = cls(path)
        self._settings.update(constants=dict(doc.constants), models=dict(doc.models), dt=doc.dt, seed=doc.seed,
                              description=doc.description)
        self._format_version = doc.format_version
        for data in (*doc.populations, *doc.devices):
            self._nodes[data.name] = Node.of(data)
        for p in doc.projections:
            self._edges[p.name] = Edge.of(p)
        self._sync_links()
        return self

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Document":
        """Read a project file (:func:`studio.project.project_file.read_project`; raises ``ProjectFileError``, ``OSError``)."""
        return cls.from_project(read_project(path), path)

    def to_project(self) -> ProjectDoc:
        """The project description of the current state (what a save writes)."""
        s = self._settings
        pops = tuple(replace(n.data, position=n.position) for n in self._nodes.values() if n.kind == "population")
        devices = tuple(replace(n.data, position=n.position) for n in self._nodes.values() if n.kind == "device")
        projections = tuple(e.data for e in self._edges.values() if e.kind == "projection")
        extra = {} if self._format_version is None else {"format_version": self._format_version}
        return ProjectDoc(pops, projections, devices, models=dict(s["models"]), constants=dict(s["constants"]),
                          dt=s["dt"], seed=s["seed"], description=s["description"], **extra)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Write the project atomically to ``path`` (default: the document's path) and remember the path."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise DocumentError("the document has no file yet; give a path")
        write_project(target, self.to_project())
        self.path = target

    @property
    def path(self) -> Path | None:
        return self._path

    @path.setter
    def path(self, value: str | os.PathLike | None) -> None:
        self._path = None if value is None else Path(value)
        self.events.emit(PathChanged(self._path))

    @property
    def title(self) -> str:
        """The file's name without suffix, or ``"untitled"``."""
        return self._path.stem if self._path is not None else "untitled"

    # -- state (read-only views) ---------------------------------------------------
    @property
    def nodes(self) -> Mapping[str, Node]:
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> Mapping[str, Edge]:
        """Projections (in file order), then device links."""
        return MappingProxyType(self._edges)

    @property
    def settings(self) -> Mapping[str, Any]:
        return MappingProxyType(self._settings)

    def projections(self) -> list[Edge]:
        return [e for e in self._edges.values() if e.kind == "projection"]

    def edges_of(self, node: str) -> list[Edge]:
        """Every edge (projection or device link) with ``node`` at one end."""
        return [e for e in self._edges.values() if node in (e.source, e.target)]

    def devices_on(self, target: str) -> list[Node]:
        """The devices whose target is ``target`` (a population, or a projection for weight recorders)."""
        return [n for n in self._nodes.values() if n.kind == "device" and n.data.target == target]

    def unique_name(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``... whichever no node or edge uses yet."""
        name, k = base, 1
        while name in self._nodes or name in self._edges:
            k += 1
            name = f"{base}_{k}"
        return name

    # -- primitives -------------------------------------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> None:
        """Insert ``node`` (at ``index`` among the nodes, default last)."""
        if node.name in self._nodes or node.name in self._edges:
            raise DocumentError(f"the name `{node.name}` is already used")
        index = len(self._nodes) if index is None else index
        self._nodes = _inserted(self._nodes, node.name, node, index)
        self.events.emit(NodeAdded(node, index))
        self._sync_links()

    def remove_node(self, name: str) -> tuple[Node, int]:
        """Remove a node whose projections are gone already; returns it and its index."""
        node = self._node(name)
        busy = [e.name for e in self.projections() if name in (e.source, e.target)]
        if busy:
            raise DocumentError(f"`{name}` still has projections ({', '.join(busy)}); remove them first")
        index = list(self._nodes).index(name)
        del self._nodes[name]
        self._sync_links()
        self.events.emit(NodeRemoved(node, index))
        return node, index

    def set_node(self, name: str, node: Node) -> None:
        """Replace node ``name`` by ``node`` (same name and kind: a changed field, target or position)."""
        old = self._node(name)
        if node.name != name or node.kind != old.kind:
            raise DocumentError(f"set_node cannot rename `{name}` or change its kind")
        self._nodes[name] = node
        self.events.emit(NodeChanged(node, list(self._nodes).index(name)))
        self._sync_links()

    def add_edge(self, edge: Edge, index: int | None = None) -> None:
        """Insert a projection edge (at ``index`` among the projections, default last)."""
        if edge.kind != "projection":
            raise DocumentError("device links follow the device's target; set the target instead")
        if edge.name in self._edges or edge.name in self._nodes:
            raise DocumentError(f"the name `{edge.name}` is already used")
        projections = [e.name for e in self._edges.values() if e.kind == "projection"]
        index = len(projections) if index is None else index
        at = list(self._edges).index(projections[index]) if index < len(projections) else len(projections)
        self._edges = _inserted(self._edges, edge.name, edge, at)
        self.events.emit(EdgeAdded(edge, index))

    def remove_edge(self, name: str) -> tuple[Edge, int]:
        """Remove a projection edge; returns it and its index among the projections."""
        edge = self._edge(name)
        index = [e.name for e in self.projections()].index(name)
        del self._edges[name]
        self.events.emit(EdgeRemoved(edge, index))
        return edge, index

    def set_edge(self, name: str, edge: Edge) -> None:
        """Replace projection edge ``name`` by ``edge`` (same name, source and target)."""
        old = self._edge(name)
        if (edge.name, edge.source, edge.target, edge.kind) != (old.name, old.source, old.target, old.kind):
            raise DocumentError(f"set_edge cannot rename or reconnect `{name}`")
        self._edges[name] = edge
        self.events.emit(EdgeChanged(edge, [e.name for e in self.projections()].index(name)))

    def rename(self, old: str, new: str) -> None:
        """Rename node or projection ``old`` to ``new``, keeping every index; its projections, links and devices
        follow (use the ``Rename`` command, which checks ``new``)."""
        def moved(name: str) -> str:
            return new if name == old else name

        if old in self._edges:
            edge, index = self.remove_edge(old)
            self.add_edge(Edge.of(replace(edge.data, name=new)), index)
        else:
            removed = [self.remove_edge(e.name) for e in self.projections() if old in (e.source, e.target)]
            node, index = self.remove_node(old)
            self.add_node(Node(new, node.kind, replace(node.data, name=new), node.position), index)
            for edge, at in reversed(removed):
                self.add_edge(Edge.of(replace(edge.data, source=moved(edge.source), target=moved(edge.target))), at)
        for device in self.devices_on(old):
            self.set_node(device.name, replace(device, data=replace(device.data, target=new)))
        self.events.emit(Renamed(old, new))

    def set_setting(self, key: str, value: Any) -> Any:
        """Set a document-level setting (one of ``SETTINGS``); returns the old value."""
        if key not in SETTINGS:
            raise DocumentError(f"unknown setting `{key}` (have: {', '.join(SETTINGS)})")
        old = self._settings[key]
        self._settings[key] = dict(value) if key in ("constants", "models") else value
        self.events.emit(SettingChanged(key, self._settings[key]))
        return old

    # -- checks ---------------------------------------------------------------------
    def check_connect(self, source: str, target: str, data: ProjectionDoc | None = None) -> None:
        """Raise :class:`ConnectError` (with the reason) unless ``source`` may connect to ``target``."""
        reason = connect_problem(self, source, target, data)
        if reason is not None:
            raise ConnectError(reason)

    def can_connect(self, source: str, target: str, data: ProjectionDoc | None = None) -> bool:
        return connect_problem(self, source, target, data) is None

    def problems(self) -> list[DocumentProblem]:
        """Every problem found without building (see :func:`studio.document.checks.document_problems`)."""
        return document_problems(self)

    # -- internals ----------------------------------------------------------------------
    def _node(self, name: str) -> Node:
        try:
            return self._nodes[name]
        except KeyError:
            raise DocumentError(f"no node `{name}`") from None

    def _edge(self, name: str) -> Edge:
        edge = self._edges.get(name)
        if edge is None or edge.kind != "projection":
            raise DocumentError(f"no projection `{name}`")
        return edge

    def _sync_links(self) -> None:
        """Make the device links match the devices' targets, announcing each change."""
        want = {}
        for node in self._nodes.values():
            target = self._nodes.get(node.data.target) if node.kind == "device" else None
            if target is not None and target.kind == "population":
                name = link_name(node.name, target.name)
                want[name] = (Edge(name, node.name, target.name, kind="device") if node.role == "generator"
                              else Edge(name, target.name, node.name, kind="device"))
        for name, edge in list(self._edges.items()):
            if edge.kind == "device" and want.get(name) != edge:  # gone, or turned round (kind changed)
                del self._edges[name]
                self.events.emit(EdgeRemoved(edge))
        for name, edge in want.items():
            if name not in self._edges:
                self._edges[name] = edge
                self.events.emit(EdgeAdded(edge))
        links = [name for name, edge in self._edges.items() if edge.kind == "device"]
        if links != list(want):  # keep links in node order, so equal documents list equal edges
            self._edges = {**{n: e for n, e in self._edges.items() if e.kind == "projection"}, **want}


def _inserted(items: dict, key: str, value, index: int) -> dict:
    pairs = list(items.items())
    pairs.insert(index, (key, value))
    return dict(pairs)
