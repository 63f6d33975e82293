"""Gestures on the graph, one installed at a time: each has ``start``, ``move``, ``finish`` and ``cancel``.

:class:`NewLink` drags a connection from a port to another port (or onto a
node), showing on the way whether the drop would be accepted and why not;
:class:`MoveNodes` turns a drag of the selected nodes into one command.
(Rubber-band selection, zoom and pan belong to the view.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen, QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from engine.errors import NeuroCoreError
from studio.document.commands import Connect, MoveNode, default_projection
from studio.document.history import Macro
from studio.document.document import Document
from views.graph.items import NodeItem, PortItem
from views.theme import colors

_OK = QColor("#3f9c5a")


class GestureScene(Protocol):
    """What a gesture needs of its scene (:class:`views.graph.scene.GraphScene` is one)."""

    document: Document
    stack: QUndoStack

    def addItem(self, item: QGraphicsItem) -> None: ...

    def removeItem(self, item: QGraphicsItem) -> None: ...

    def items(self, pos: QPointF) -> list[QGraphicsItem]: ...

    def refuse(self, reason: str, at: QPointF) -> None:
        """Show why an edit was refused, near ``at``."""


class Interaction:
    """A gesture on ``scene``."""

    def __init__(self, scene: GestureScene):
        self.scene = scene

    def start(self, pos: QPointF) -> None:
        """The button went down at ``pos``."""

    def move(self, pos: QPointF) -> None:
        """The pointer moved to ``pos``."""

    def finish(self, pos: QPointF) -> None:
        """The button went up at ``pos``: do the edit (one command) or refuse it."""

    def cancel(self, reason: str) -> None:
        """Abandon the gesture, leaving the document as it was."""


class NewLink(Interaction):
    """Drag from a port to a port: a projection between populations, or a device's link to its population."""

    def __init__(self, scene: GestureScene, port: PortItem):
        super().__init__(scene)
        self.port = port
        self.line = QGraphicsPathItem()
        self.line.setZValue(5)
        self._hover: PortItem | NodeItem | None = None

    def start(self, pos: QPointF) -> None:
        pen = QPen(colors().selection, 2, Qt.PenStyle.DashLine)
        self.line.setPen(pen)
        self.scene.addItem(self.line)
        self.move(pos)

    def _under(self, pos: QPointF) -> PortItem | NodeItem | None:
        for item in self.scene.items(pos):
            if isinstance(item, PortItem) and item is not self.port:
                return item
            if isinstance(item, NodeItem):
                return item
        return None

    def plan(self, end: PortItem | NodeItem | None):
        """``(source, target, projection or None)`` for a drop on ``end``, or a reason (str) why not."""
        if end is None:
            return "drop the link on a port or a node"
        node = end.node if isinstance(end, PortItem) else end
        start = self.port
        if start.direction == "out":
            source, target = start.node.name, node.name
            receptor = end.receptor if isinstance(end, PortItem) and end.direction == "in" else None
        else:
            source, target, receptor = node.name, start.node.name, start.receptor
        doc = self.scene.document
        try:
            doc.check_connect(source, target)
            data = None
            if doc.nodes[source].kind == "population" and doc.nodes[target].kind == "population":
                data = default_projection(doc, source, target)
                if receptor is not None:
                    data = replace(data, receptor=receptor, on_pre=None)
                doc.check_connect(source, target, data)
        except NeuroCoreError as exc:
            return str(exc)
        return source, target, data

    def move(self, pos: QPointF) -> None:
        start = self.port.scenePos()
        path = QPainterPath(start)
        reach = max(50.0, abs(pos.x() - start.x()) * 0.5)
        sign = 1 if self.port.direction == "out" else -1
        path.cubicTo(QPointF(start.x() + sign * reach, start.y()), QPointF(pos.x() - sign * reach, pos.y()), pos)
        self.line.setPath(path)
        hover = self._under(pos)
        if hover is not self._hover:
            if isinstance(self._hover, PortItem):
                self._hover.set_highlight(None)
            self._hover = hover
            if hover is not None:
                plan = self.plan(hover)
                ok = not isinstance(plan, str)
                if isinstance(hover, PortItem):
                    hover.set_highlight(_OK if ok else colors().error)
                self.line.setToolTip("" if ok else plan)
                self.line.setPen(QPen(_OK if ok else colors().error, 2, Qt.PenStyle.DashLine))

    def finish(self, pos: QPointF) -> None:
        self._clear()
        end = self._under(pos)
        if end is None:
            return  # dropped on empty canvas: nothing asked
        plan = self.plan(end)
        if isinstance(plan, str):
            self.scene.refuse(plan, pos)
            return
        source, target, data = plan
        try:
            command = Connect(self.scene.document, source, target, data)
        except NeuroCoreError as exc:
            self.scene.refuse(str(exc), pos)
            return
        self.scene.stack.push(command)

    def cancel(self, reason: str) -> None:
        self._clear()

    def _clear(self) -> None:
        if isinstance(self._hover, PortItem):
            self._hover.set_highlight(None)
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)


class MoveNodes(Interaction):
    """A drag of the selected nodes, pushed as one command when the button goes up."""

    def __init__(self, scene: GestureScene, items: list[NodeItem]):
        super().__init__(scene)
        self.items = items
        self.before = {item.name: (item.x(), item.y()) for item in items}

    def finish(self, pos: QPointF) -> None:
        doc = self.scene.document
        moves = [MoveNode(doc, item.name, (item.x(), item.y()))
                 for item in self.items if (item.x(), item.y()) != self.before[item.name] and item.name in doc.nodes]
        if len(moves) == 1:
            self.scene.stack.push(moves[0])
        elif moves:
            self.scene.stack.push(Macro(f"Move {len(moves)} nodes", moves))

    def cancel(self, reason: str) -> None:
        for item in self.items:
            item.setPos(*self.before[item.name])
