"""Graphics items of the network graph: nodes with ports and an activity indicator, edges with labels.

Items show plain, immutable descriptions (:class:`NodeLook`, :class:`EdgeLook`)
handed to them by the scene; they never hold the document.  Node and edge
painting is cached (``DeviceCoordinateCache``), and the activity indicator is
a separate child so a rate update repaints a few pixels, not the node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyle

from views.theme import colors

NODE_WIDTH = 176.0
HEADER = 24.0
PORT_SPACING = 18.0
PORT_RADIUS = 5.5
LANE = 60.0  # how far apart the curves of projections between the same two nodes run
LABEL_PLACES = sorted((k / 20 for k in range(2, 19)), key=lambda t: abs(t - 0.5))  # along its curve, middle first
CROWD = 24  # links around an edge beyond which its label gives way to its lane mates only
HIDING = 4  # a label over a node or a label hides it: worse than a curve passing under it
TEXT_BOTTOM = HEADER + 40.0


@dataclass(frozen=True)
class NodeLook:
    """What a node shows: ``category`` is "population", "generator" or "recorder"; ``in_ports`` lists receptor
    names (``None``: the default input, routed by the model); ``out_port`` whether it sends."""

    name: str
    category: str
    subtitle: str
    detail: str
    in_ports: tuple[str | None, ...]
    out_port: bool
    tooltip: str = ""
    problem: str = ""


@dataclass(frozen=True)
class EdgeLook:
    """What an edge shows: ``label`` (rule and weight), the target port and whether it is a device link."""

    name: str
    source: str
    target: str
    label: str
    receptor: str | None = None
    device_link: bool = False
    tooltip: str = ""
    problem: str = ""


class PortItem(QGraphicsItem):
    """An input (by receptor) or output port of a node; links are dragged from and to ports."""

    def __init__(self, node: "NodeItem", direction: str, receptor: str | None, label: str):
        super().__init__(node)
        self.node = node
        self.direction = direction
        self.receptor = receptor
        self.label = label
        self.highlight: QColor | None = None
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(f"{'input' if direction == 'in' else 'output'} {label}: drag to another port to connect")

    def boundingRect(self) -> QRectF:
        r = PORT_RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def scene_anchor(self) -> QPointF:
        return self.scenePos()

    def set_highlight(self, color: QColor | None) -> None:
        self.highlight = color
        self.update()

    def hoverEnterEvent(self, event) -> None:
        self.set_highlight(colors().selection)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlight(None)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        c = colors()
        fill = self.highlight or c.node
        painter.setPen(QPen(c.node_border if self.highlight is None else fill.darker(130), 1.5))
        painter.setBrush(fill)
        painter.drawEllipse(QPointF(0, 0), PORT_RADIUS, PORT_RADIUS)


class ActivityItem(QGraphicsItem):
    """A small bar whose length and colour follow a population's recent firing rate (log scale, 0.1-1000 Hz)."""

    WIDTH, HEIGHT = 44.0, 6.0

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.level = 0.0
        self.rate_hz = 0.0
        self.setToolTip("no activity yet")

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.WIDTH, self.HEIGHT)

    def set_rate(self, rate_hz: float) -> None:
        """Show ``rate_hz``; repaints only when the bar visibly changes."""
        level = 0.0 if rate_hz <= 0.1 else min(1.0, (math.log10(rate_hz) + 1) / 4)
        self.rate_hz = rate_hz
        self.setToolTip(f"{rate_hz:.1f} Hz over the last chunks")
        if abs(level - self.level) > 0.01:
            self.level = level
            self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        c = colors()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.grid)
        painter.drawRoundedRect(self.boundingRect(), 3, 3)
        if self.level > 0:
            hot = QColor.fromHsvF(max(0.0, 0.33 - 0.33 * self.level), 0.75, 0.9)
            painter.setBrush(hot)
            painter.drawRoundedRect(QRectF(0, 0, self.WIDTH * self.level, self.HEIGHT), 3, 3)


class NodeItem(QGraphicsObject):
    """A population, generator or recorder: name, model (or device kind), size, ports and activity."""

    def __init__(self, look: NodeLook):
        super().__init__()
        self.look = look
        self.edges: list[EdgeItem] = []
        self.in_ports: dict[str | None, PortItem] = {}
        self.out_port: PortItem | None = None
        self.activity = ActivityItem(self)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.set_look(look)

    @property
    def name(self) -> str:
        return self.look.name

    def height(self) -> float:
        return max(72.0, self._port_y(len(self.look.in_ports) - 1) + PORT_SPACING)

    def _port_y(self, index: int) -> float:
        """Where input port ``index`` sits: a lone input beside the subtitle, several on rows of their own,
        below the text, so their labels have room."""
        return HEADER + 13 if len(self.look.in_ports) <= 1 else TEXT_BOTTOM + PORT_SPACING / 2 + index * PORT_SPACING

    def text_rects(self) -> dict[str, QRectF]:
        """The rectangles the node's texts are drawn in (item coordinates): ``title``, ``subtitle``,
        ``detail`` and, where there are several inputs, ``port:<label>`` beside each input port."""
        rects = {"title": QRectF(10, 0, NODE_WIDTH - 20, HEADER),
                 "subtitle": QRectF(12, HEADER + 4, NODE_WIDTH - 24, 18),
                 "detail": QRectF(12, HEADER + 22, NODE_WIDTH - 24, 18)}
        if len(self.look.in_ports) > 1:
            for i, receptor in enumerate(self.look.in_ports):
                y = self._port_y(i)
                rects[f"port:{receptor or 'auto'}"] = QRectF(PORT_RADIUS + 6, y - PORT_SPACING / 2,
                                                              NODE_WIDTH / 2 - PORT_RADIUS - 6, PORT_SPACING)
        return rects

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, NODE_WIDTH + 4, self.height() + 4)

    def set_look(self, look: NodeLook) -> None:
        """Show ``look``; the ports are rebuilt when they change."""
        ports_changed = (look.in_ports, look.out_port) != (self.look.in_ports, self.look.out_port) or not (
            self.in_ports or self.out_port)
        self.prepareGeometryChange()
        self.look = look
        self.setToolTip(look.problem or look.tooltip)
        if ports_changed:
            for port in [*self.in_ports.values(), self.out_port]:
                if port is not None:
                    port.setParentItem(None)
                    if self.scene() is not None:
                        self.scene().removeItem(port)
            self.in_ports = {}
            for i, receptor in enumerate(look.in_ports):
                port = PortItem(self, "in", receptor, receptor or "input")
                port.setPos(0, self._port_y(i))
                self.in_ports[receptor] = port
            self.out_port = PortItem(self, "out", None, "spikes") if look.out_port else None
            if self.out_port is not None:
                self.out_port.setPos(NODE_WIDTH, HEADER + 13)
        self.activity.setPos(NODE_WIDTH - ActivityItem.WIDTH - 10, self.height() - ActivityItem.HEIGHT - 8)
        self.activity.setVisible(look.category != "generator")
        self.update()
        relayout(self.edges)

    def port(self, direction: str, receptor: str | None = None) -> PortItem | None:
        """The port links attach to (an unknown receptor falls back to the default input)."""
        if direction == "out":
            return self.out_port
        return self.in_ports.get(receptor) or next(iter(self.in_ports.values()), None)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            relayout(self.edges)
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        c = colors()
        look = self.look
        accent = {"population": c.population, "generator": c.generator, "recorder": c.recorder}[look.category]
        rect = QRectF(0, 0, NODE_WIDTH, self.height())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        border = c.error if look.problem else (c.selection if selected else c.node_border)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border, 2.2 if selected or look.problem else 1.2))
        painter.setBrush(c.node)
        painter.drawRoundedRect(rect, 7, 7)
        header = QPainterPath()
        header.setFillRule(Qt.FillRule.WindingFill)
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER), 7, 7)
        header.addRect(QRectF(0, HEADER / 2, NODE_WIDTH, HEADER / 2))
        painter.fillPath(header, accent)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        metrics = QFontMetricsF(font)
        rects = self.text_rects()
        painter.drawText(rects["title"], Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(look.name, Qt.TextElideMode.ElideRight, rects["title"].width()))
        font.setBold(False)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        for key, text, pen in (("subtitle", look.subtitle, c.text), ("detail", look.detail, c.muted)):
            painter.setPen(pen)
            painter.drawText(rects[key], Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(text, Qt.TextElideMode.ElideRight, rects[key].width()))
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(small)
        for key, rect in rects.items():
            if key.startswith("port:"):
                painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, key[5:])


def relayout(edges: list["EdgeItem"]) -> None:
    """Reroute ``edges``, then place their labels (a label keeps clear of the other curves' new course); the
    labels are placed twice, so the first ones placed also give way to the places the later ones took."""
    for edge in edges:
        edge.reroute()
    nodes = node_rects(edges[0].scene()) if edges else []
    for edge in [*edges, *edges]:
        edge.place_label(nodes)


def node_rects(scene) -> list[QRectF]:
    """Where the nodes of ``scene`` are (none without a scene)."""
    return [] if scene is None else [i.sceneBoundingRect() for i in scene.items() if isinstance(i, NodeItem)]


def _border(rect: QRectF, toward: QPointF) -> QPointF:
    """The point where the line from the centre of ``rect`` to ``toward`` leaves ``rect``."""
    centre = rect.center()
    dx, dy = toward.x() - centre.x(), toward.y() - centre.y()
    if dx == 0 and dy == 0:
        return centre
    scale = min(rect.width() / 2 / abs(dx) if dx else math.inf, rect.height() / 2 / abs(dy) if dy else math.inf)
    return QPointF(centre.x() + dx * scale, centre.y() + dy * scale)


class EdgeItem(QGraphicsItem):
    """A projection (or a device link) from an output port to an input port, labelled with rule and weight."""

    def __init__(self, look: EdgeLook, source: NodeItem, target: NodeItem):
        super().__init__()
        self.look = look
        self.source = source
        self.target = target
        self._path = QPainterPath()
        self._stroke = QPainterPath()
        self._label_rect = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(0)
        source.edges.append(self)
        if target is not source:
            target.edges.append(self)
        self.setToolTip(look.problem or look.tooltip)
        relayout([self, *self.lane_mates()])

    @property
    def name(self) -> str:
        return self.look.name

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSceneHasChanged and value is not None:
            self.place_label()  # now the nodes around it can be seen
        return super().itemChange(change, value)

    def label_rect(self) -> QRectF:
        """Where the label is drawn (scene coordinates; empty without a label)."""
        return QRectF(self._label_rect)

    def set_look(self, look: EdgeLook) -> None:
        self.look = look
        self.setToolTip(look.problem or look.tooltip)
        self.adjust()

    def detach(self) -> None:
        """Forget the end nodes (before removal)."""
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)
        relayout(self.lane_mates())
        for edge in self.neighbours():
            edge.update()  # no longer passing under this label

    def endpoints(self) -> tuple[QPointF, QPointF]:
        """Where the curve starts and ends: ports for projections; for a device link the facing borders of
        the two nodes (or the receptor port it names), so a recorder placed anywhere reads right."""
        if self.look.device_link:
            a, b = self.source.sceneBoundingRect(), self.target.sceneBoundingRect()
            port = self.target.port("in", self.look.receptor) if self.look.receptor else None
            end = port.scenePos() if port is not None else _border(b, a.center())
            return _border(a, end if port is not None else b.center()), end
        out = self.source.port("out")
        start = out.scenePos() if out is not None else self.source.sceneBoundingRect().center()
        port = self.target.port("in", self.look.receptor)
        end = port.scenePos() if port is not None else self.target.sceneBoundingRect().center()
        return start, end

    def neighbours(self) -> list["EdgeItem"]:
        """The other edges of this edge's two nodes: the curves and labels its label keeps clear of (only
        the lane mates around a hub of more than ``CROWD`` links, so a move stays cheap)."""
        if len(self.source.edges) + len(self.target.edges) > CROWD:
            return self.lane_mates()
        found = [e for e in (*self.source.edges, *self.target.edges) if e is not self]
        return list(dict.fromkeys(found))

    def adjust(self) -> None:
        """Recompute the curve and its label after an end moved (called by the nodes, never per frame)."""
        self.reroute()
        self.place_label()

    def lane_mates(self) -> list["EdgeItem"]:
        """The other projections between the same two nodes (either way): their lanes depend on this one."""
        if self.look.device_link or self.source is self.target:
            return []
        pair = {self.source, self.target}
        return [e for e in self.source.edges if e is not self and not e.look.device_link
                and {e.source, e.target} == pair]

    def _bend(self) -> float:
        """How far the curve bows to its right-hand side: projections sharing their two nodes with other
        projections (reciprocal or parallel) each take a lane of their own, so they meet only at the ports."""
        mates = self.lane_mates()
        if not mates:
            return 0.0
        same_way = sorted(e.name for e in [self, *mates] if e.source is self.source)
        return LANE * (1 + same_way.index(self.name))

    def reroute(self) -> None:
        """Recompute the curve from the ports' current places."""
        self.prepareGeometryChange()
        start, end = self.endpoints()
        path = QPainterPath(start)
        if self.source is self.target:
            top = self.source.sceneBoundingRect().top()
            path.cubicTo(QPointF(start.x() + 70, top - 60), QPointF(end.x() - 70, top - 60), end)
        elif self.look.device_link:
            path.lineTo(end)
        else:
            reach = max(60.0, abs(end.x() - start.x()) * 0.5, abs(end.y() - start.y()) * 0.3)
            chord = end - start
            length = math.hypot(chord.x(), chord.y()) or 1.0
            bend = QPointF(-chord.y() / length, chord.x() / length) * self._bend()  # right-hand side, y down
            path.cubicTo(QPointF(start.x() + reach, start.y()) + bend, QPointF(end.x() - reach, end.y()) + bend, end)
        self._path = path
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        self._stroke = stroker.createStroke(path)
        self.update()

    def place_label(self, nodes: list[QRectF] | None = None) -> None:
        """Put the label on the curve, at the first place along it (middle first) clear of the ``nodes``
        (default: the scene's) and of the neighbouring edges' curves and labels, so a click on a label
        selects its edge."""
        self.prepareGeometryChange()
        if not self.look.label:
            self._label_rect = QRectF()
            return
        nodes = node_rects(self.scene()) if nodes is None else nodes
        width = QFontMetricsF(QFont()).horizontalAdvance(self.look.label) + 12
        others = self.neighbours()
        best: tuple[int, QRectF] | None = None
        for t in LABEL_PLACES:
            at = self._path.pointAtPercent(t)
            rect = QRectF(at.x() - width / 2, at.y() - 10, width, 20)
            hidden = sum(rect.intersects(n) for n in nodes) + sum(rect.intersects(e._label_rect) for e in others)
            clashes = HIDING * hidden + sum(e._stroke.intersects(rect) for e in others)
            if best is None or clashes < best[0]:
                best = (clashes, rect)
            if not clashes:
                break
        self._label_rect = best[1]
        self.update()
        for edge in others:
            edge.update()  # its curve now gives way to this label

    def _labels_above(self) -> QPainterPath:
        """The neighbours' labels: this curve passes under them, neither drawn nor clickable there."""
        area = QPainterPath()
        for edge in self.neighbours():
            if not edge._label_rect.isEmpty():
                area.addRect(edge._label_rect)
        return area

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-8, -8, 8, 8).united(self._label_rect.adjusted(-2, -2, 2, 2))

    def shape(self) -> QPainterPath:
        label = QPainterPath()
        label.addRect(self._label_rect)
        return self._stroke.subtracted(self._labels_above()).united(label)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        c = colors()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        color = c.error if self.look.problem else (c.selection if selected else c.edge)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        above = self._labels_above()
        if not above.isEmpty():
            visible = QPainterPath()
            visible.addRect(self.boundingRect())
            painter.setClipPath(visible.subtracted(above))
        pen = QPen(color, 2.4 if selected else 1.6)
        if self.look.device_link:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        end = self._path.pointAtPercent(1.0)
        angle = math.radians(self._path.angleAtPercent(0.97))
        ahead = QPointF(math.cos(angle), -math.sin(angle))
        side = QPointF(-ahead.y(), ahead.x())
        tip = end - ahead * (0 if self.look.device_link and not self.look.receptor else PORT_RADIUS)
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon([tip, tip - ahead * 10 + side * 5, tip - ahead * 10 - side * 5])
        if self.look.label:
            painter.setBrush(QBrush(c.canvas))
            painter.setPen(QPen(color, 1))
            painter.drawRoundedRect(self._label_rect, 5, 5)
            painter.setPen(c.text)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.look.label)
