"""The graph scene: one item per document node and edge, kept in step with the document's events.

The scene keeps explicit name→item dictionaries (``nodes``, ``edges``) and
subscribes to ``document.events`` until :meth:`GraphScene.close`.  It never
changes the document itself: every edit (move, connect, delete, add, paste,
rename, the right-click menus' :mod:`views.graph.menu_edits`) is a studio command
pushed on the document's undo stack.  Gestures are
:mod:`views.graph.interactions` objects, one at a time; a name is edited in
place (:mod:`views.graph.inline_rename`), one at a time.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem

from engine.equations.units import Quantity
from engine.errors import NeuroCoreError
from studio.document.commands import AddNode, Disconnect, MoveNode, RemoveNode, Rename, new_device, new_population
from studio.document.document import Document
from studio.document.elements import Edge, Node
from studio.document.events import (EdgeAdded, EdgeChanged, EdgeRemoved, NodeAdded, NodeChanged, NodeRemoved,
                                    Renamed, SettingChanged, dispatch)
from studio.document.history import Macro
from studio.project.constants import Constants
from views.graph import clipboard, looks, menu_edits
from views.graph.inline_rename import InlineRename
from views.graph.interactions import Interaction, MoveNodes, NewLink
from views.graph.items import NODE_WIDTH, EdgeItem, NodeItem, PortItem
from views.graph.layout import auto_layout
from views.theme import colors

GRID = 40.0
REFUSAL_MS = 4000


class GraphScene(QGraphicsScene):
    """The network of ``document`` as nodes and edges; edits are pushed on ``document.undo_stack``.

    Signals
    -------
    refused(reason)
        An edit (a connection, a paste) was refused; ``reason`` says why.
    arranged()
        The graph was laid out again (the views fit it).
    """

    refused = Signal(str)
    arranged = Signal()

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.stack = document.undo_stack
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.interaction: Interaction | None = None
        self.renaming: InlineRename | None = None
        self._problems: dict[str, str] = {}
        self._constants_of: Mapping[str, Any] | None = None  # the constants _constant_values were evaluated from
        self._constant_values: Mapping[str, Quantity] = {}
        self._unselected: set[str] = set()  # selected when they left the graph (a rename brings them back)
        self._toast: QGraphicsSimpleTextItem | None = None
        self._toast_timer = QTimer(self, singleShot=True, interval=REFUSAL_MS)
        self._toast_timer.timeout.connect(self._drop_toast)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        placed = self._layout_missing(document.nodes.values())
        for node in document.nodes.values():
            self.add_node(node, placed.get(node.name))
        for edge in document.edges.values():
            self.add_edge(edge)
        self._on_event = dispatch({
            NodeAdded: lambda event: self.add_node(event.node),
            NodeRemoved: lambda event: self.remove_node(event.name),
            NodeChanged: self._node_changed,
            EdgeAdded: lambda event: self.add_edge(event.edge),
            EdgeRemoved: lambda event: self.remove_edge(event.name),
            EdgeChanged: lambda event: self.edges[event.name].set_look(self._edge_look(event.edge)),
            Renamed: self._renamed,
            SettingChanged: lambda event: self.refresh() if event.key in ("models", "constants") else None,
        })
        document.events.connect(self._on_event)

    def close(self) -> None:
        """Stop following the document (before the scene is dropped)."""
        self.document.events.disconnect(self._on_event)

    # -- model -> items ---------------------------------------------------------------------
    def _layout_missing(self, nodes: Iterable[Node]) -> dict[str, tuple[float, float]]:
        """Positions for ``nodes`` that have none (an imported graph): networkx, around the placed ones."""
        missing = {n.name for n in nodes if n.position is None}
        if not missing:
            return {}
        fixed = {n.name: n.position for n in self.document.nodes.values() if n.position is not None}
        fixed.update({n: (item.x(), item.y()) for n, item in self.nodes.items() if n not in missing})
        links = [(e.source, e.target) for e in self.document.edges.values()]
        placed = auto_layout([*self.document.nodes], links, fixed)
        return {n: placed[n] for n in missing if n in placed}

    def add_node(self, node: Node, position: tuple[float, float] | None = None) -> NodeItem:
        item = NodeItem(self._node_look(node))
        at = node.position or position or self._layout_missing([node]).get(node.name, (0.0, 0.0))
        item.setPos(*at)
        self.nodes[node.name] = item
        self.addItem(item)
        return item

    def remove_node(self, name: str) -> None:
        self._stop_renaming(name)
        item = self.nodes.pop(name)
        if item.isSelected():
            self._unselected.add(name)
        for edge in list(item.edges):
            self.remove_edge(edge.name)
        self.removeItem(item)

    def add_edge(self, edge: Edge) -> EdgeItem | None:
        source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
        if source is None or target is None:
            return None
        item = EdgeItem(self._edge_look(edge), source, target)
        self.edges[edge.name] = item
        self.addItem(item)
        return item

    def remove_edge(self, name: str) -> None:
        self._stop_renaming(name)
        item = self.edges.pop(name, None)
        if item is not None:
            if item.isSelected():
                self._unselected.add(name)
            item.detach()
            self.removeItem(item)

    def _renamed(self, event: Renamed) -> None:
        """An element selected under its old name stays selected under its new one (a rename, its undo or
        redo)."""
        if event.old in self._unselected:
            (self.nodes.get(event.new) or self.edges[event.new]).setSelected(True)
        self._unselected.clear()

    def _node_changed(self, event: NodeChanged) -> None:
        node, item = event.node, self.nodes[event.name]
        item.set_look(self._node_look(node))
        at = node.position or self._layout_missing([node]).get(node.name)
        if at is not None and tuple(at) != (item.x(), item.y()):
            item.setPos(*at)
        for edge in self.document.edges_of(node.name):
            if edge.name in self.edges:
                self.edges[edge.name].set_look(self._edge_look(edge))

    def refresh(self) -> None:
        """Redraw every node and edge from the document (after models or problems changed)."""
        for name, item in self.nodes.items():
            item.set_look(self._node_look(self.document.nodes[name]))
        for name, item in self.edges.items():
            item.set_look(self._edge_look(self.document.edges[name]))

    def _node_look(self, node: Node):
        problem = self._problems.get(node.name, "")
        if node.kind == "population":
            return looks.population_look(node.data, self.document.settings["models"], problem)
        return looks.device_look(node.data, problem)

    def _target_receptors(self, name: str) -> tuple[str, ...]:
        node = self.document.nodes.get(name)
        if node is None or node.kind != "population":
            return ()
        return looks.receptors(node.data.model, self.document.settings["models"])

    def _constants(self) -> Mapping[str, Quantity]:
        """The project's constants, evaluated (again only when the document's constants were replaced)."""
        mapping = self.document.settings["constants"]
        if self._constants_of is not mapping:
            self._constants_of, self._constant_values = mapping, Constants(mapping, []).values
        return self._constant_values

    def _edge_look(self, edge: Edge):
        if edge.kind == "device":
            device = edge.source if self.document.nodes[edge.source].kind == "device" else edge.target
            return looks.device_link_look(edge.name, self.document.nodes[device].data,
                                          self._target_receptors(edge.target), self._constants())
        return looks.projection_look(edge.data, self._target_receptors(edge.target), self._problems.get(edge.name, ""),
                                     self._constants())

    def set_problems(self, problems: Iterable) -> None:
        """Mark the nodes and edges that have a problem (``DocumentProblem``: element, message)."""
        found: dict[str, str] = {}
        for p in problems:
            if p.element and p.element not in found:
                found[p.element] = f"{p.field}: {p.message}" if p.field else p.message
        if found != self._problems:
            self._problems = found
            self.refresh()

    def set_activity(self, rates_hz: dict[str, float]) -> None:
        """Show each population's recent rate on it and on the recorders attached to it."""
        for name, item in self.nodes.items():
            node = self.document.nodes[name]
            source = name if node.kind == "population" else node.data.target
            if source in rates_hz and item.look.category != "generator":
                item.activity.set_rate(rates_hz[source])

    # -- edits (each one command) -------------------------------------------------------------
    def selected_names(self) -> tuple[list[str], list[str]]:
        """The selected nodes and edges, by name, in document order."""
        chosen = {i for i in self.selectedItems()}
        nodes = [n for n, item in self.nodes.items() if item in chosen]
        edges = [e for e, item in self.edges.items() if item in chosen]
        return nodes, edges

    def select(self, names: Iterable[str]) -> None:
        names = set(names)
        self.clearSelection()
        for name, item in [*self.nodes.items(), *self.edges.items()]:
            item.setSelected(name in names)

    def delete_selected(self) -> None:
        """Remove the selected nodes (with their edges) and edges, as one edit (each node's removal is planned
        once the removals before it are done, so links between removed nodes are removed once)."""
        nodes, edges = self.selected_names()
        commands = []
        for name in edges:
            edge = self.document.edges.get(name)
            if edge is not None and edge.source not in nodes and edge.target not in nodes:
                commands.append(Disconnect(self.document, name))
        if not nodes and not commands:
            return
        count = len(nodes) + len(commands)
        steps = [*(lambda c=c: c for c in commands), *(lambda n=n: RemoveNode(self.document, n) for n in nodes)]
        self.stack.push_steps(f"Delete {[*nodes, *edges][0] if count == 1 else f'{count} items'}", steps)

    def duplicate_selected(self) -> list[str]:
        """Copies of the selected nodes beside them (selected then), as one edit; their names."""
        names = clipboard.duplicate(self.document, self.selected_names()[0])
        self.select(names)
        return names

    def item_at(self, at: QPointF) -> NodeItem | EdgeItem | None:
        """The node (also by one of its ports) or edge a click at ``at`` hits, if any."""
        for item in self.items(at):
            if isinstance(item, PortItem):
                return item.node
            if isinstance(item, (NodeItem, EdgeItem)):
                return item
        return None

    def anchor(self, item: NodeItem | EdgeItem) -> QPointF:
        """Where a menu for ``item`` opens from the keyboard: a node's title, an edge's label (or middle)."""
        if isinstance(item, NodeItem):
            return item.mapToScene(item.text_rects()["title"].center())
        if not item.label_rect().isEmpty():
            return item.label_rect().center()
        start, end = item.endpoints()
        return (start + end) / 2

    def free_spot(self, near: str) -> QPointF:
        """Where a node added for node ``near`` goes: on the grid to its right, below any node already there."""
        item = self.nodes[near]
        left = round((item.x() + NODE_WIDTH + 2 * GRID) / GRID) * GRID
        spot = QRectF(left, round(item.y() / GRID) * GRID, NODE_WIDTH, item.boundingRect().height())
        taken = [n.sceneBoundingRect() for n in self.nodes.values()]
        while any(spot.intersects(r) for r in taken):
            spot.translate(0, 2 * GRID)
        return spot.topLeft()

    def record_from(self, population: str, kind: str) -> str | None:
        """Add a recorder of ``kind`` beside ``population``, wired to it (one edit); its name (``None`` when
        refused, the reason shown)."""
        at = self.free_spot(population)
        position = (at.x(), at.y())
        return self._attempt(lambda: menu_edits.record_from(self.document, population, kind, position), at)

    def connect_to(self, node: str, population: str) -> None:
        """Connect ``node`` to ``population`` (see :func:`views.graph.menu_edits.connect`), or show why not."""
        self._attempt(lambda: menu_edits.connect(self.document, node, population), self.nodes[node].scenePos())

    def reverse(self, edge: str) -> str | None:
        """Turn projection ``edge`` round (one edit); its new name (``None`` when refused, the reason shown)."""
        at = self.edges[edge].label_rect().center()
        return self._attempt(lambda: menu_edits.reverse(self.document, edge), at)

    def _attempt(self, edit: Callable[[], str | None], at: QPointF) -> str | None:
        try:
            return edit()
        except NeuroCoreError as exc:
            self.refuse(str(exc), at)
            return None

    def add_from_palette(self, kind: str, name: str, at: QPointF) -> str:
        """Add a population of model ``name`` or a device of kind ``name`` at ``at``; returns the new name."""
        position = (round(at.x() / GRID) * GRID, round(at.y() / GRID) * GRID)
        node = (new_population(self.document, name, position) if kind == "population"
                else new_device(self.document, name, position))
        self.stack.push(AddNode(self.document, node))
        self.select([node.name])
        return node.name

    def arrange(self) -> None:
        """Lay the whole graph out again (networkx), as one undoable move, and have the views fit it."""
        names = list(self.document.nodes)
        links = [(e.source, e.target) for e in self.document.edges.values()]
        placed = auto_layout(names, links)
        moves = [MoveNode(self.document, n, placed[n]) for n in names]
        if moves:
            self.stack.push(Macro("Arrange the graph", moves))
        self.arranged.emit()

    def refuse(self, reason: str, at: QPointF) -> None:
        """Show why an edit was refused, next to where it happened, for a few seconds."""
        if self._toast is not None:
            self.removeItem(self._toast)
        self._toast = QGraphicsSimpleTextItem(f"✕ {reason}")
        self._toast.setBrush(colors().error)
        self._toast.setZValue(10)
        self._toast.setPos(at + QPointF(12, 12))
        self.addItem(self._toast)
        self._toast_timer.start()
        self.refused.emit(reason)

    def _drop_toast(self) -> None:
        if self._toast is not None:
            self.removeItem(self._toast)
            self._toast = None

    @property
    def toast(self) -> str:
        """The refusal shown right now ('' when none)."""
        return self._toast.text()[2:] if self._toast is not None else ""

    # -- renaming in place --------------------------------------------------------------------------
    def start_rename(self, name: str) -> InlineRename | None:
        """Open the name field over node ``name``'s title or projection ``name``'s label (device links have no
        name of their own: ``None``)."""
        if name in self.nodes:
            item = self.nodes[name]
            rect = item.mapRectToScene(item.text_rects()["title"])
        elif name in self.edges and not self.edges[name].look.device_link:
            rect = self.edges[name].label_rect()
        else:
            return None
        if self.renaming is not None:
            self.renaming.close_field()
        self.renaming = InlineRename(self.document, name, rect, lambda new: self._rename(name, new),
                                     self._rename_closed)
        self.addItem(self.renaming)
        self.renaming.start()
        return self.renaming

    def rename_selected(self) -> InlineRename | None:
        """Open the name field of the one selected node or projection (F2); ``None`` when there is no such
        single element or a name is being edited already."""
        nodes, edges = self.selected_names()
        if self.renaming is not None or len(nodes) + len(edges) != 1:
            return None
        return self.start_rename([*nodes, *edges][0])

    def _rename(self, old: str, new: str) -> None:
        self.stack.push(Rename(self.document, old, new))
        self.select([new])

    def _stop_renaming(self, name: str) -> None:
        """Close the name field of ``name`` (it is leaving the graph, e.g. undone meanwhile)."""
        if self.renaming is not None and self.renaming.name == name:
            self.renaming.close_field()

    def _rename_closed(self) -> None:
        self.renaming = None
        for view in self.views():
            view.setFocus()

    # -- gestures ---------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.interaction is None:
            port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem)), None)
            if port is not None:
                self.interaction = NewLink(self, port)
                self.interaction.start(event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.interaction is None:
            moving = [item for item in self.selectedItems() if isinstance(item, NodeItem)]
            if moving and any(isinstance(i, NodeItem) for i in self.items(event.scenePos())):
                self.interaction = MoveNodes(self, moving)
                self.interaction.start(event.scenePos())

    def mouseMoveEvent(self, event) -> None:
        if isinstance(self.interaction, NewLink):
            self.interaction.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        interaction, self.interaction = self.interaction, None
        if isinstance(interaction, NewLink):
            interaction.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if interaction is not None:
            interaction.finish(event.scenePos())

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.item_at(event.scenePos())
        if (isinstance(item, NodeItem) and event.button() == Qt.MouseButton.LeftButton
                and item.text_rects()["title"].contains(item.mapFromScene(event.scenePos()))):
            self.start_rename(item.name)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.interaction is not None:
            self.interaction.cancel("cancelled")
            self.interaction = None
            return
        super().keyPressEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        c = colors()
        painter.fillRect(rect, c.canvas)
        if painter.transform().m11() < 0.35:
            return  # too dense to help when zoomed far out
        painter.setPen(QPen(c.grid, 1))
        left, top = int(rect.left() // GRID) * GRID, int(rect.top() // GRID) * GRID
        lines = [QPointF(x, rect.top()) for x in _steps(left, rect.right())]
        painter.drawLines([p for x in lines for p in (x, QPointF(x.x(), rect.bottom()))])
        painter.drawLines([p for y in _steps(top, rect.bottom())
                           for p in (QPointF(rect.left(), y), QPointF(rect.right(), y))])


def _steps(start: float, stop: float) -> list[float]:
    out, x = [], start
    while x <= stop:
        out.append(x)
        x += GRID
    return out
